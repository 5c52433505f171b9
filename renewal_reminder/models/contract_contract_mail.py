"""A contract's reminder emails in Odoo's composer.

``renewal.dispatch`` sends reminders through ``mail.compose.message`` in
``mass_mail`` mode and hands it what each contract's reminder already holds
(``renewal_mail_prepared`` in the context); these hooks of the contract
give each email its unsubscribe headers and footer link, and the chatter
its delivery status.
"""

from odoo import models


class ContractContract(models.Model):
    _inherit = "contract.contract"

    def _renewal_mail_prepared(self):
        """What ``renewal.dispatch`` prepared for this contract's reminder
        email now leaving through the composer, or an empty dict."""
        prepared = self.env.context.get("renewal_mail_prepared") or {}
        return prepared.get(self.id) or {} if len(self) == 1 else {}

    def _message_get_default_recipients(self):
        recipients = super()._message_get_default_recipients()
        # The composer lays each reminder out for whom it goes to (its
        # portal links are theirs): the checked recipient, not the customer.
        prepared = self.env.context.get("renewal_mail_prepared") or {}
        for contract in self:
            item = prepared.get(contract.id)
            if item:
                recipients[contract.id] = {
                    "email_cc": False,
                    "email_to": False,
                    "partner_ids": list(item["partner_ids"]),
                }
        return recipients

    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        # The reminder's one-click unsubscribe (RFC 8058).
        for name, value in (self._renewal_mail_prepared().get("headers") or {}).items():
            headers.setdefault(name, value)
        return headers

    def _notify_by_email_prepare_rendering_context(
        self, message, msg_vals=False, **kwargs
    ):
        context = super()._notify_by_email_prepare_rendering_context(
            message, msg_vals=msg_vals, **kwargs
        )
        prepared = self._renewal_mail_prepared()
        if prepared:
            # A reminder's template writes the whole body, the salesperson's
            # signature included: the layout adds no other.
            context.update(email_add_signature=False, signature="")
            # The renewal layout shows the reminder's unsubscribe link.
            if prepared.get("unsubscribe_url"):
                context["renewal_unsubscribe_url"] = prepared["unsubscribe_url"]
        return context

    def _message_mail_after_hook(self, mails):
        result = super()._message_mail_after_hook(mails)
        prepared = self.env.context.get("renewal_mail_prepared") or {}
        # The team sees each reminder's delivery in the chatter, and a bounce
        # comes back to it, as for any notified email.
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": mail.author_id.id,
                    "is_read": True,
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": partner.id,
                }
                for mail in mails
                if mail.res_id in prepared and mail.model == self._name
                for partner in mail.recipient_ids
            ]
        )
        return result
