import gc
import re
from contextlib import ExitStack
from datetime import date
from unittest.mock import patch

from odoo import api, fields
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon

# Differ by nature between two records made one after the other.
VOLATILE = {
    "id",
    "message_id",
    "date",
    "create_date",
    "write_date",
    "display_name",
    "res_id",
    "parent_id",
    "mail_message_id",
    "mail_mail_id",
    "read_date",
}


# What a reminder writes on purpose beyond what Odoo's composer writes: its
# author is the salesperson (not whoever runs the pass), the chatter names
# the contract and the recipient, whose delivery it shows (notified).
OURS_ON_PURPOSE = {"author_id", "record_name", "partner_ids", "notified_partner_ids"}


@tagged("post_install", "-at_install")
class TestRenewalBulkRecords(RenewalCommon, MockEmail):
    """The daily pass sends its reminders through Odoo's composer in
    ``mass_mail`` mode, as ``event_mail`` does: what it writes for a
    contract is what that composer writes for the same template on a twin
    contract, field for field (but for the answer links and the few values
    it sets on purpose), and its activities are those of
    ``activity_schedule``."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()  # an alias domain, with its bounce address
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.follower = cls.env["res.partner"].create(
            {"name": "Fiona Follower", "email": "fiona@harbor.example.com"}
        )
        cls.ours = cls._create_contract(cls.customer_standard)
        cls.theirs = cls._create_contract(cls.customer_standard)
        # A follower of the contract, who gets no copy of a reminder.
        (cls.ours | cls.theirs).message_subscribe(partner_ids=cls.follower.ids)

    @staticmethod
    def _without_answer_block(text):
        """``text`` without what only a reminder carries: its answer links
        (see renewal.answer), their one-click unsubscribe headers, and the
        signature of whoever runs a composer, which a reminder's layout
        leaves to its template."""
        text = re.sub(
            r'<table[^>]*class="o_renewal_answer_block".*?</table>',
            "",
            str(text or ""),
            flags=re.DOTALL,
        )
        text = re.sub(
            r'\s*<div class="o_renewal_layout_unsubscribe".*?</a>\s*</div>',
            "",
            text,
            flags=re.DOTALL,
        )
        text = re.sub(
            r'\s*<div style="font-size: 13px;">.*?</div>', "", text, flags=re.DOTALL
        )
        text = re.sub(r", 'List-Unsubscribe(-Post)?': '[^']*'", "", text)
        return _serialized_alike(text)

    def _stored(self, records, skip=()):
        fnames = [
            fname
            for fname, field in records._fields.items()
            # Children (notifications, mails) are compared on their own.
            if field.store
            and field.type != "one2many"
            and fname not in VOLATILE
            and fname not in skip
        ]
        records.invalidate_recordset()
        values = [
            {fname: record[fname] for fname in fnames}
            for record in records.with_context(active_test=False)
        ]
        for item in values:
            if "body" in item and records._name == "mail.message":
                item["body"] = self._without_answer_block(item["body"])
        return values

    def _anonymous(self, text, contract):
        """``text`` with what names ``contract`` (its id, its portal token)
        replaced, so that two contracts' emails compare."""
        text = str(text or "")
        # The signed links of the buttons sign the contract's id.
        text = re.sub(r"hash=[0-9a-f]+", "hash=<signed>", text)
        text = text.replace(contract.access_token or "<no token>", "<contract>")
        # The id where a link or a header names it (res_id=42, /42), never
        # a number of the text that happens to be the same.
        text = text.replace(
            f"contract.contract-{contract.id}", "contract.contract-<contract>"
        )
        return re.sub(rf"(?<=[=/]){contract.id}(?![0-9])", "<contract>", text)

    def _mail_values(self, contract, message):
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", message.id)], order="id")
        )
        values = self._stored(mails, skip=OURS_ON_PURPOSE)
        for mail, item in zip(mails, values, strict=True):
            item["body_html"] = self._without_answer_block(
                self._anonymous(mail.body_html, contract)
            )
            item["headers"] = self._without_answer_block(
                self._anonymous(mail.headers, contract)
            )
            item["references"] = mail.references.replace(message.message_id, "<self>")
        return values

    def setUp(self):
        super().setUp()
        self._activities_seen = []

    def _post_both(self, day):
        """Our pass on ``ours``; Odoo's mass mail composer on ``theirs``."""
        with freeze_time(day), self.mock_mail_gateway():
            reminders = self.env["renewal.scheduler"]._process_due_contracts(
                self.ours, fields_date(day)
            )
            reminder = reminders.filtered(lambda r: r.state == "queued")
            self.assertEqual(len(reminder), 1)
            template = reminder.stage_id._template()
            composer = self.env["mail.compose.message"].create(
                {
                    "composition_mode": "mass_mail",
                    "model": "contract.contract",
                    "res_ids": self.theirs.ids,
                    "template_id": template.id,
                    "auto_delete_keep_log": True,
                    "force_send": False,
                }
            )
            mails, _messages = composer._action_send_mail()
            theirs = mails.mail_message_id
            # And the follow-up activity, as activity_schedule gives it.
            for activity in self.ours.activity_ids.filtered(
                lambda a: a.id not in self._activities_seen
            ):
                self._activities_seen.append(activity.id)
                self.theirs.with_context(
                    mail_activity_quick_update=True
                ).activity_schedule(
                    activity_type_id=activity.activity_type_id.id,
                    summary=activity.summary,
                    user_id=activity.user_id.id,
                    date_deadline=activity.date_deadline,
                )
        self.env.flush_all()
        return reminder, reminder.message_id, theirs

    def test_a_reminder_is_what_odoo_composer_writes(self):
        reminder, ours, theirs = self._post_both("2027-03-01")
        # The customer's email carries the answer links and one-click
        # headers on top of what Odoo writes; the chatter's log does not.
        self.assertIn("o_renewal_answer_block", reminder.mail_id.body_html)
        self.assertNotIn("o_renewal_answer_block", str(ours.body))
        self.assertIn("List-Unsubscribe-Post", reminder.mail_id.headers)
        # The message, field by field (company, alias domain, layout, type,
        # reply-to...).
        self.assertEqual(
            self._stored(ours, skip=OURS_ON_PURPOSE),
            self._stored(theirs, skip=OURS_ON_PURPOSE),
        )
        self.assertEqual(ours.record_company_id, self.company)
        self.assertEqual(ours.record_alias_domain_id, self.mail_alias_domain)
        # What it sets on purpose.
        self.assertEqual(ours.author_id, self.salesperson.partner_id)
        self.assertEqual(ours.email_from, self.salesperson.email_formatted)
        self.assertEqual(ours.record_name, self.ours.display_name)
        self.assertEqual(ours.partner_ids, self.customer_standard)
        # The email: the customer's alone (no follower's copy), in the
        # renewal layout, with the same headers and references.
        our_mails = self._mail_values(self.ours, ours)
        self.assertEqual(our_mails, self._mail_values(self.theirs, theirs))
        self.assertEqual(len(our_mails), 1)
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_standard)
        self.assertIn("<html", reminder.mail_id.body_html)
        self.assertIn("Harbor Dental", reminder.mail_id.body_html)
        self.assertEqual(reminder.mail_id.references, ours.message_id)
        # The team sees its delivery in the chatter (a notification of the
        # customer, by the salesperson), as for a notified email.
        self.assertEqual(ours.notification_ids.res_partner_id, self.customer_standard)
        self.assertEqual(ours.notification_ids.author_id, self.salesperson.partner_id)
        self.assertEqual(ours.notification_ids.mail_mail_id, reminder.mail_id)
        # The followers are untouched by a reminder.
        self.assertEqual(self.ours.message_partner_ids, self.theirs.message_partner_ids)
        # The salesperson's follow-up.
        self.assertTrue(self.ours.activity_ids)
        self.assertEqual(
            self._stored(self.ours.activity_ids), self._stored(self.theirs.activity_ids)
        )

    def test_successive_reminders_thread_and_match_odoo(self):
        _first, first_ours, _first_theirs = self._post_both("2027-03-01")
        _second, ours, theirs = self._post_both("2027-03-16")
        self.assertEqual(
            self._stored(ours, skip=OURS_ON_PURPOSE),
            self._stored(theirs, skip=OURS_ON_PURPOSE),
        )
        self.assertNotEqual(ours.message_id, first_ours.message_id)
        self.assertEqual(
            self._mail_values(self.ours, ours), self._mail_values(self.theirs, theirs)
        )

    def test_a_failed_reminder_reaches_the_salesperson(self):
        reminder, message, _theirs = self._post_both("2027-03-01")
        with self.mock_mail_gateway():
            self.connect_mocked.side_effect = ConnectionRefusedError("refused")
            at = fields.Datetime.now()
            for _attempt in range(3):
                # Each retry waits in the queue until its time has come.
                with freeze_time(reminder.next_attempt_date or at):
                    self.env["mail.mail"].sudo().process_email_queue(
                        ids=reminder.mail_id.ids
                    )
        self.assertEqual(reminder.state, "failed")
        # The author's failure list and the record's error flag, as in Odoo.
        self.assertTrue(self.ours.with_user(self.salesperson).message_has_error)
        failures = (
            self.env["mail.notification"]
            .sudo()
            .search(
                [
                    ("author_id", "=", self.salesperson.partner_id.id),
                    ("notification_status", "=", "exception"),
                ]
            )
        )
        self.assertIn(message, failures.mail_message_id)

    def test_an_activity_is_what_activity_schedule_writes(self):
        follow_up = self.env.ref(
            "renewal_reminder.mail_activity_type_renewal_follow_up"
        )
        values = {
            "activity_type_id": follow_up.id,
            "user_id": self.salesperson.id,
            "date_deadline": date(2027, 3, 4),
            "summary": "Follow up the renewal reminder sent to Harbor Dental",
        }
        Activity = self.env["mail.activity"].sudo()
        ours = Activity._renewal_schedule_bulk(
            "contract.contract", [dict(values, res_id=self.ours.id)]
        )
        theirs = self.theirs.with_context(
            mail_activity_quick_update=True
        ).activity_schedule(**values)
        self.env.flush_all()
        self.assertEqual(self._stored(ours), self._stored(theirs))
        self.assertEqual(ours.res_name, self.ours.display_name)
        self.assertTrue(ours.automated)
        self.assertEqual(self.ours.activity_ids, ours)
        self.assertIn(self.salesperson.partner_id, self.ours.message_partner_ids)

    def _due_contracts(self, count):
        """``count`` due contracts, each with a customer of its own."""
        customers = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {count}-{index}",
                    "email": f"customer{count}-{index}@example.com",
                    "renewal_tier_id": self.tier_standard.id,
                }
                for index in range(count)
            ]
        )
        return self.env["contract.contract"].union(
            *(self._create_contract(customer) for customer in customers)
        )

    def test_every_record_is_created_through_the_orm_in_one_create(self):
        contracts = self._due_contracts(4)
        calls = {}
        with ExitStack() as stack:
            for model in (
                "mail.message",
                "mail.mail",
                "mail.notification",
                "mail.activity",
            ):
                cls = type(self.env[model])
                stack.enter_context(
                    patch.object(cls, "create", _counted(cls.create, model, calls))
                )
            stack.enter_context(freeze_time("2027-03-01"))
            stack.enter_context(self.mock_mail_gateway())
            self.env["renewal.scheduler"]._process_due_contracts(
                contracts, date(2027, 3, 1)
            )
        # Each of the four contracts' rows, in one create per model.
        self.assertEqual(calls["mail.message"], [4])
        self.assertEqual(calls["mail.mail"], [4])
        self.assertEqual(calls["mail.notification"], [4])
        self.assertEqual(calls["mail.activity"], [4])

    def test_the_queries_do_not_grow_with_the_customers_of_a_batch(self):
        def queries(contracts):
            self.env.flush_all()
            self.env.invalidate_all()
            gc.collect()
            gc.disable()
            try:
                before = self.env.cr.sql_log_count
                with freeze_time("2027-03-01"), self.mock_mail_gateway():
                    self.env["renewal.scheduler"]._process_due_contracts(
                        contracts, date(2027, 3, 1)
                    )
                    self.env.flush_all()
                return self.env.cr.sql_log_count - before
            finally:
                gc.enable()

        queries(self._due_contracts(2))  # warm the caches
        self.assertEqual(
            queries(self._due_contracts(5)), queries(self._due_contracts(25))
        )


def _serialized_alike(text):
    """``text`` as HTML serializes it whatever the order of rendering and
    sanitizing (a reminder is rendered, then sanitized; the mass mail
    composer sanitizes its template, then renders it): entities as
    characters, without Odoo's quote markers, spacing between tags folded."""
    if "<" not in text:
        return text
    text = re.sub(r'\s*data-o-mail-quote(-container)?="1"', "", text)
    text = text.replace("&nbsp;", "\xa0").replace("<br/>", "<br>")
    return re.sub(r">\s+<", "><", text).strip()


def _counted(original, model, calls):
    """``original`` create, counting the records of each call in ``calls``."""

    @api.model_create_multi
    def create(self, vals_list):
        calls.setdefault(model, []).append(len(vals_list))
        return original(self, vals_list)

    return create


def fields_date(day):
    return date.fromisoformat(day)
