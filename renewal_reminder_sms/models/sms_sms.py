from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def send(
        self,
        unlink_failed=False,
        unlink_sent=True,
        auto_commit=False,
        raise_exception=False,
    ):
        # The renewal provider commits each SMS it hands over when the queue
        # commits its batches (see renewal.sms.provider._send_batch).
        return super(
            SmsSms, self.with_context(renewal_sms_auto_commit=auto_commit)
        ).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _renewal_only(self):
        """The SMS among these that carry renewal reminders."""
        messages = set(
            self.env["renewal.reminder"]
            .sudo()
            .search([("message_id", "in", self.mail_message_id.ids)])
            .message_id.ids
        )
        return self.filtered(lambda sms: sms.mail_message_id.id in messages)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Renewal SMS leave through the provider of the Renewals settings;
        every other SMS (and all of them with Odoo IAP) as Odoo sends them."""
        Provider = self.env["renewal.sms.provider"]
        renewal = (
            self._renewal_only() if Provider._provider() != "iap" else self.browse()
        )
        if renewal:
            Provider._send_batch(renewal)
        others = self - renewal
        if others:
            return super(SmsSms, others)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        return None
