from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("notification_status") == "bounce":
            # Only a contract's emails may be reminders.
            bounced = self.filtered(
                lambda notif: notif.mail_message_id.model == "contract.contract"
            )
            if bounced:
                self.env["renewal.delivery"]._sync_bounces(bounced)
        return result
