from odoo import Command, api, models
from odoo.tools import html2plaintext


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def _renewal_notify_other_channels(self, notified):
        """The SMS of a batch of SMS messages, as ``_notify_thread_by_sms``
        makes them for each message: one SMS per recipient notified by SMS,
        its notification and its delivery tracker, each kind of record in
        one ``create``."""
        super()._renewal_notify_other_channels(notified)
        sms_values, owners = [], []
        partners = self.env["res.partner"].sudo()
        for _record, message, values, kwargs, recipients in notified:
            if values.get("message_type") != "sms":
                continue
            body = kwargs.get("sms_content") or html2plaintext(values.get("body"))
            numbers = kwargs.get("sms_pid_to_number") or {}
            for data in recipients:
                if data["notif"] != "sms":
                    continue
                partner = partners.browse(data["id"])
                number = numbers.get(partner.id) or partner.mobile or partner.phone
                sms_values.append(
                    {
                        "body": body,
                        "mail_message_id": message.id,
                        "state": "outgoing",
                        "partner_id": partner.id,
                        "number": partner._phone_format(number=number) or number,
                    }
                )
                owners.append((message, kwargs))
        if not sms_values:
            return
        sms_records = self.env["sms.sms"].sudo().create(sms_values)
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                    "failure_type": "",
                }
                for sms, (message, _kwargs) in zip(sms_records, owners, strict=True)
            ]
        )
        now = sms_records.browse(
            sms.id
            for sms, (_message, kwargs) in zip(sms_records, owners, strict=True)
            if not kwargs.get("put_in_queue")
        )
        if now:
            now.send(auto_commit=False, raise_exception=False)
