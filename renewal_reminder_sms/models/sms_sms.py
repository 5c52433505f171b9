from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Renewal SMS leave through the provider of the Renewals settings;
        every other SMS (and all of them with Odoo IAP) as Odoo sends them."""
        Provider = self.env["renewal.sms.provider"]
        if Provider._provider() == "iap":
            return super()._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        renewal_messages = set(
            self.env["renewal.reminder"]
            .sudo()
            .search([("message_id", "in", self.mail_message_id.ids)])
            .message_id.ids
        )
        renewal = self.filtered(lambda sms: sms.mail_message_id.id in renewal_messages)
        others = self - renewal
        if renewal:
            Provider._send_batch(renewal)
        if others:
            return super(SmsSms, others)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        return None
