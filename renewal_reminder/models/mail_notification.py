from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if "notification_status" in vals:
            self.env["renewal.reminder"]._sync_from_notifications(self)
        return result
