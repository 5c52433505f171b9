from odoo import api, models


class MailTrackingEvent(models.Model):
    _inherit = "mail.tracking.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        # What the customer did with a reminder email reaches its reminder.
        self.env["renewal.delivery"]._sync_tracking_events(events)
        return events
