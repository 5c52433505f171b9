from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("notification_status") == "bounce":
            self.env["renewal.delivery"]._sync_bounces(self)
        return result
