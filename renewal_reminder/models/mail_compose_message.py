from odoo import models

from ..tools import renewal_mail

# What a prepared reminder brings to the composer's rendering: its texts are
# final (rendered from the stage's template, answer links included, perhaps
# reviewed by the salesperson), so the composer takes them as they are.
PREPARED_FIELDS = ("subject", "body", "email_from", "lang")


class MailComposeMessage(models.TransientModel):
    """Reminders leave through Odoo's composer in ``mass_mail`` mode, as
    ``event_mail`` sends its emails: one composer per batch, each email in
    its contract's chatter (``auto_delete_keep_log``), Odoo's layout, headers,
    message ids and after-hooks. ``renewal.dispatch`` hands the composer
    what each contract's reminder already holds (``renewal_mail_prepared``
    in the context: {contract id: values}); the composer renders nothing of
    its own for those contracts."""

    _inherit = "mail.compose.message"

    def _renewal_prepared(self):
        if self.composition_mode != "mass_mail" or self.model != "contract.contract":
            return {}
        return renewal_mail.prepared_mails(self.env.context)

    def _render_field(self, field, res_ids, *args, **kwargs):
        prepared = self._renewal_prepared()
        if field in PREPARED_FIELDS and prepared and set(res_ids) <= set(prepared):
            return {res_id: prepared[res_id].get(field) or "" for res_id in res_ids}
        return super()._render_field(field, res_ids, *args, **kwargs)

    def _prepare_mail_values_dynamic(self, res_ids):
        values_all = super()._prepare_mail_values_dynamic(res_ids)
        prepared = self._renewal_prepared()
        for res_id, values in values_all.items():
            item = prepared.get(res_id)
            if not item:
                continue
            # The customer alone (the checked recipient, and the further
            # recipients the template names, see the contract's default
            # recipients): the chatter says whom it went to.
            values["partner_ids"] = [(6, 0, item["partner_ids"])]
            # What the team reads in the chatter carries no answer link.
            values["body"] = item["log_body"]
            values["author_id"] = item["author_id"]
            values["record_name"] = item["record_name"]
            values["scheduled_date"] = item.get("scheduled_date") or False
            if item.get("reply_to"):
                values["reply_to"] = item["reply_to"]
            if item.get("attachment_ids") or item.get("attachments"):
                record = self.env[self.model].browse(res_id)
                values["attachment_ids"] = record._process_attachments_for_post(
                    item.get("attachments") or [],
                    item.get("attachment_ids") or [],
                    {"model": "mail.message", "res_id": 0},
                )["attachment_ids"]
        return values_all

    def _process_mail_values_state(self, mail_values_dict):
        values_all = super()._process_mail_values_state(mail_values_dict)
        prepared = self._renewal_prepared()
        for res_id, values in values_all.items():
            # Each contract's reminder is its own, even when a customer has
            # several contracts whose reminders read the same.
            if res_id in prepared and values.get("failure_type") == "mail_dup":
                values.pop("state", None)
                values.pop("failure_type", None)
        return values_all
