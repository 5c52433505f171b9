from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import RenewalCommon

# Differ by nature between two records made one after the other.
VOLATILE = {"id", "message_id", "date", "create_date", "write_date", "display_name"}


@tagged("post_install", "-at_install")
class TestRenewalBulkRecords(RenewalCommon):
    """The daily pass writes emails and activities set-based, in SQL: the
    rows must be those Odoo's own create writes, field for field."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31)
        )

    def _stored(self, records):
        fnames = [
            fname
            for fname, field in records._fields.items()
            # Children (notifications, mails) are compared on their own.
            if field.store and field.type != "one2many" and fname not in VOLATILE
        ]
        records.invalidate_recordset()
        return [
            {fname: record[fname] for fname in fnames}
            for record in records.with_context(active_test=False)
        ]

    def test_an_email_is_written_as_odoo_writes_it(self):
        contract = self.contract
        subject = "Your contract ends on 03/31/2027"
        body = "<p>Dear Harbor Dental, <strong>shall we renew?</strong></p>"
        mails, messages = self.env["renewal.reminder"]._queue(
            [(contract, self.customer_standard, subject, body)]
        )
        # What the ORM writes for the same email, queued as a notification.
        orm_mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "model": "contract.contract",
                    "res_id": contract.id,
                    "message_type": "auto_comment",
                    "subtype_id": self.env.ref("mail.mt_comment").id,
                    "subject": subject,
                    "body": body,
                    "body_html": body,
                    "email_from": messages.email_from,
                    "reply_to": messages.reply_to,
                    "author_id": self.salesperson.partner_id.id,
                    "partner_ids": [Command.link(self.customer_standard.id)],
                    "recipient_ids": [Command.link(self.customer_standard.id)],
                    "is_notification": True,
                    "auto_delete": False,
                }
            )
        )
        orm_notification = (
            self.env["mail.notification"]
            .sudo()
            .create(
                {
                    "mail_message_id": orm_mail.mail_message_id.id,
                    "mail_mail_id": orm_mail.id,
                    "res_partner_id": self.customer_standard.id,
                    "notification_type": "email",
                    "notification_status": "ready",
                    "is_read": True,
                }
            )
        )
        self.env.flush_all()

        self.assertEqual(messages.email_from, self.salesperson.email_formatted)
        self.assertIn(f"-{contract.id}-contract.contract@", messages.message_id)
        self.assertEqual(self._stored(messages), self._stored(orm_mail.mail_message_id))
        mail_fields = self._stored(mails)[0]
        orm_mail_fields = self._stored(orm_mail)[0]
        for fields_ in (mail_fields, orm_mail_fields):
            fields_.pop("mail_message_id")
        self.assertEqual(mail_fields, orm_mail_fields)
        notification = messages.notification_ids
        for fields_ in (
            notification_fields := self._stored(notification)[0],
            orm_notification_fields := self._stored(orm_notification)[0],
        ):
            fields_.pop("mail_message_id")
            fields_.pop("mail_mail_id")
            fields_.pop("read_date")
        self.assertEqual(notification_fields, orm_notification_fields)
        # And the contract's chatter shows both alike.
        self.assertEqual(
            contract.message_ids.filtered(lambda m: m.subject == subject),
            messages | orm_mail.mail_message_id,
        )

    def test_an_activity_is_written_as_odoo_writes_it(self):
        contract = self.contract
        follow_up = self.env.ref(
            "renewal_reminder.mail_activity_type_renewal_follow_up"
        )
        values = {
            "res_id": contract.id,
            "activity_type_id": follow_up.id,
            "user_id": self.salesperson.id,
            "date_deadline": date(2027, 3, 4),
            "summary": "Follow up the renewal reminder sent to Harbor Dental",
        }
        activity = (
            self.env["mail.activity"]
            .sudo()
            ._renewal_schedule_bulk("contract.contract", [values])
        )
        orm_activity = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                dict(
                    values,
                    res_model_id=self.env["ir.model"]._get_id("contract.contract"),
                    automated=True,
                )
            )
        )
        self.env.flush_all()
        self.assertEqual(self._stored(activity), self._stored(orm_activity))
        self.assertEqual(activity.res_name, contract.display_name)
        self.assertEqual(contract.activity_ids, activity | orm_activity)
        self.assertIn(self.salesperson.partner_id, contract.message_partner_ids)
