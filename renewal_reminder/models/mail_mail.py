from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        # Before the parent: it deletes the mails meant to be auto-deleted.
        self.env["renewal.reminder"]._sync_from_mails(
            self, failure_type, failure_reason
        )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
