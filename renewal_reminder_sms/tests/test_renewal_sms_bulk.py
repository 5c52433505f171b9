import gc
from contextlib import ExitStack
from datetime import date
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from odoo.addons.renewal_reminder.tests.common import RenewalCommon
from odoo.addons.renewal_reminder.tests.test_renewal_bulk_records import (
    VOLATILE,
    _counted,
)
from odoo.addons.sms.tests.common import SMSCase

# An SMS's own identity, besides what VOLATILE names.
SMS_VOLATILE = VOLATILE | {"uuid", "sms_tracker_id", "sms_id_int", "sms_uuid"}


@tagged("post_install", "-at_install")
class TestRenewalSmsBulk(RenewalCommon, SMSCase):
    """The daily pass sends its SMS in batches as Odoo's SMS composer sends
    to many records (mass mode, a log kept on each): what it writes for a
    contract is what the composer writes on a twin contract, record for
    record, each SMS tied to its log by the notification and tracker
    ``_message_sms`` gives it on a third; its queries do not grow with the
    batch."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.au = cls.env.ref("base.au")
        cls.customer_standard.write({"mobile": "0412 345 678", "country_id": cls.au.id})
        cls.policy_standard.stage_ids.write({"channel": "sms"})
        cls.follower = cls.env["res.partner"].create(
            {"name": "Fiona Follower", "email": "fiona@harbor.example.com"}
        )
        cls.ours = cls._create_contract(cls.customer_standard)
        cls.theirs = cls._create_contract(cls.customer_standard)
        cls.posted = cls._create_contract(cls.customer_standard)
        (cls.ours | cls.theirs | cls.posted).message_subscribe(
            partner_ids=cls.follower.ids
        )

    def _stored(self, records, volatile=SMS_VOLATILE):
        fnames = [
            fname
            for fname, field in records._fields.items()
            if field.store and field.type != "one2many" and fname not in volatile
        ]
        records.invalidate_recordset()
        return [{fname: record[fname] for fname in fnames} for record in records]

    def _new_messages(self, contract, before):
        return contract.message_ids.filtered(lambda m: m.id > before).sorted("id")

    def test_an_sms_reminder_is_what_the_sms_composer_writes(self):
        before = max((self.ours | self.theirs | self.posted).message_ids.ids, default=0)
        with freeze_time("2027-03-01"), self.mockSMSGateway():
            reminders = self.env["renewal.scheduler"]._process_due_contracts(
                self.ours, date(2027, 3, 1)
            )
            reminder = reminders.filtered(lambda r: r.state == "queued")
            self.assertEqual(len(reminder), 1)
            ours = reminder.message_id
            our_sms = self.env["sms.sms"].search([("mail_message_id", "=", ours.id)])
            text = our_sms.body
            their_sms = self.theirs._message_sms_schedule_mass(
                body=text, mass_use_blacklist=False
            )
            posted = self.posted._message_sms(
                text,
                partner_ids=self.customer_standard.ids,
                sms_pid_to_number={self.customer_standard.id: "+61412345678"},
                put_in_queue=True,
            )
            # And the salesperson's follow-up, as activity_schedule gives it.
            for activity in self.ours.activity_ids:
                self.theirs.activity_schedule(
                    activity_type_id=activity.activity_type_id.id,
                    summary=activity.summary,
                    user_id=activity.user_id.id,
                    date_deadline=activity.date_deadline,
                )
        self.env.flush_all()
        # The log on the contract, as the composer keeps it.
        self.assertEqual(self._new_messages(self.ours, before), ours)
        theirs = self._new_messages(self.theirs, before)
        self.assertEqual(len(theirs), 1)
        # The customer is notified by SMS, as by _message_sms.
        self.assertEqual(
            self._stored(ours, SMS_VOLATILE | {"notified_partner_ids"}),
            self._stored(theirs, SMS_VOLATILE | {"notified_partner_ids"}),
        )
        self.assertEqual(ours.notified_partner_ids, posted.notified_partner_ids)
        self.assertEqual(ours.notified_partner_ids, self.customer_standard)
        self.assertEqual(ours.message_type, "sms")
        self.assertIn("Stop SMS", str(ours.body))
        # The SMS, tied to that log.
        self.assertEqual(
            self._stored(our_sms, SMS_VOLATILE | {"mail_message_id"}),
            self._stored(their_sms, SMS_VOLATILE | {"mail_message_id"}),
        )
        self.assertEqual(
            (our_sms.body, our_sms.number, our_sms.state, our_sms.partner_id),
            (text, "+61412345678", "outgoing", self.customer_standard),
        )
        self.assertEqual(our_sms.mail_message_id, ours)
        # Its notification and tracker, as _message_sms gives them.
        self.assertEqual(ours.notification_ids.notification_type, "sms")
        self.assertEqual(
            self._stored(ours.notification_ids),
            self._stored(posted.notification_ids),
        )
        self.assertEqual(
            our_sms.sms_tracker_id.mail_notification_id, ours.notification_ids
        )
        self.assertEqual(ours.notification_ids.sms_id_int, our_sms.id)
        # The followers: the follower is not told of an SMS.
        self.assertEqual(self.ours.message_partner_ids, self.theirs.message_partner_ids)
        self.assertFalse(
            ours.notification_ids.filtered(lambda n: n.res_partner_id == self.follower)
        )

    def test_two_sms_of_one_contract_in_a_batch_get_a_log_each(self):
        reminders = self.env["renewal.reminder"].union(
            *(
                self._create_reminder(
                    self.ours,
                    days_before,
                    "review",
                    channel="sms",
                    recipient_id=self.customer_standard.id,
                    draft_body=f"<p>{text}</p>",
                )
                for days_before, text in ((30, "First"), (15, "Second"))
            )
        )
        with self.mockSMSGateway():
            self.env["renewal.dispatch"]._send_approved_sms(reminders)
        self.assertEqual(set(reminders.mapped("state")), {"queued"})
        messages = reminders.message_id
        self.assertEqual(len(messages), 2)
        self.assertEqual(messages.mapped("res_id"), self.ours.ids * 2)
        for reminder, text in zip(reminders, ("First", "Second"), strict=True):
            sms = self.env["sms.sms"].search(
                [("mail_message_id", "=", reminder.message_id.id)]
            )
            self.assertEqual(sms.body, text)
            self.assertIn(text, str(reminder.message_id.body))
            self.assertEqual(
                sms.sms_tracker_id.mail_notification_id,
                reminder.message_id.notification_ids,
            )

    def _due_contracts(self, count):
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {count}-{index}",
                    "mobile": f"0412 {count:03d} {index:03d}",
                    "country_id": self.au.id,
                    "renewal_tier_id": self.tier_standard.id,
                }
                for index in range(count)
            ]
        )
        return self.env["contract.contract"].union(
            *(self._create_contract(customer) for customer in customers)
        )

    def test_every_sms_record_is_created_in_one_create(self):
        contracts = self._due_contracts(4)
        calls = {}
        with ExitStack() as stack:
            for model in (
                "mail.message",
                "sms.sms",
                "mail.notification",
                "sms.tracker",
            ):
                cls = type(self.env[model])
                stack.enter_context(
                    patch.object(cls, "create", _counted(cls.create, model, calls))
                )
            stack.enter_context(freeze_time("2027-03-01"))
            stack.enter_context(self.mockSMSGateway())
            self.env["renewal.scheduler"]._process_due_contracts(
                contracts, date(2027, 3, 1)
            )
        self.assertEqual(calls["mail.message"], [4])
        self.assertEqual(calls["sms.sms"], [4])
        self.assertEqual(calls["mail.notification"], [4])
        self.assertEqual(calls["sms.tracker"], [4])

    def test_the_queries_do_not_grow_with_the_sms_of_a_batch(self):
        def queries(contracts):
            self.env.flush_all()
            self.env.invalidate_all()
            gc.collect()
            gc.disable()
            try:
                before = self.env.cr.sql_log_count
                with freeze_time("2027-03-01"), self.mockSMSGateway():
                    reminders = self.env["renewal.scheduler"]._process_due_contracts(
                        contracts, date(2027, 3, 1)
                    )
                    self.env.flush_all()
                self.assertEqual(
                    set(reminders.filtered("stage_id").mapped("state")), {"queued"}
                )
                return self.env.cr.sql_log_count - before
            finally:
                gc.enable()

        queries(self._due_contracts(2))  # warm the caches
        self.assertEqual(
            queries(self._due_contracts(5)), queries(self._due_contracts(25))
        )
