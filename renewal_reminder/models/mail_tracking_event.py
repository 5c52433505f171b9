from odoo import api, models


class MailTrackingEvent(models.Model):
    _inherit = "mail.tracking.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        # What the customer did with a reminder email reaches its reminder;
        # only a contract's emails may be reminders.
        reminder_events = events.filtered(
            lambda event: (
                event.sudo().tracking_email_id.mail_message_id.model
                == "contract.contract"
            )
        )
        if reminder_events:
            self.env["renewal.delivery"]._sync_tracking_events(reminder_events)
        return events
