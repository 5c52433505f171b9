from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        # Before the parent: it deletes the mails meant to be auto-deleted.
        # Only a contract's emails may be reminders: the others cost nothing.
        reminder_mails = self.filtered(lambda mail: mail.model == "contract.contract")
        if reminder_mails:
            self.env["renewal.delivery"]._sync_from_mails(
                reminder_mails, failure_type, failure_reason
            )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
