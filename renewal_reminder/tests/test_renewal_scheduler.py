import gc
import json
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.bus.models.bus import channel_with_db
from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalScheduler(RenewalCommon, MockEmail, CronMixinCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reminder = cls.env["renewal.reminder"]
        # Only this test's contracts are due: park every other one.
        cls.env["contract.contract"].search([]).write({"active": False})

    def _run(self, day):
        with freeze_time(day), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        return self.Reminder.search([("contract_id", "in", self._contracts.ids)])

    def _reminders(self, contract):
        return self.Reminder.search([("contract_id", "=", contract.id)]).sorted(
            "days_before"
        )

    def test_each_stage_goes_out_on_its_day_exactly_once(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        self._contracts = contract
        self.assertFalse(self._run("2027-02-28"))

        reminders = self._run("2027-03-01")
        self.assertEqual(reminders.mapped("days_before"), [30])
        reminder = reminders
        self.assertEqual(reminder.state, "queued")
        self.assertEqual(reminder.recipient_id, self.customer_standard)
        self.assertEqual(reminder.tone, "gentle")
        self.assertEqual(reminder.trigger, "scheduler")
        self.assertEqual(reminder.scheduled_date, date(2027, 3, 1))
        self.assertEqual(
            reminder.subject, f"Your contract {contract.name} ends on 03/31/2027"
        )
        self.assertIn("Dear Harbor Dental", reminder.body)
        self.assertIn("12,000.00", reminder.body)  # 1,000 a month
        self.assertEqual(reminder.mail_id.state, "outgoing")
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_standard)
        self.assertEqual(reminder.mail_id.email_from, self.salesperson.email_formatted)
        # The contract's chatter shows the email, sent to the customer.
        message = reminder.message_id
        self.assertIn(message, contract.message_ids)
        self.assertEqual(message.partner_ids, self.customer_standard)
        self.assertEqual(message.author_id, self.salesperson.partner_id)
        self.assertEqual(message.subject, reminder.subject)
        self.assertEqual(message.record_name, contract.display_name)
        # Logged as Odoo's mass mail composer logs an email it sends.
        self.assertEqual(message.message_type, "email_outgoing")
        self.assertTrue(reminder.mail_id.is_notification)
        self.assertIn("Dear Harbor Dental", message.body)
        self.assertEqual(
            message.notification_ids.mapped(
                lambda n: (n.res_partner_id, n.notification_type, n.notification_status)
            ),
            [(self.customer_standard, "email", "ready")],
        )
        # The text lives once, in the email; the reminder shows it.
        self.assertEqual(reminder.body, message.body)
        self.assertFalse(reminder.draft_body)
        # The salesperson is asked to follow up.
        follow_up = contract.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("renewal_reminder.mail_activity_type_renewal_follow_up")
            )
        )
        self.assertEqual(follow_up.user_id, self.salesperson)
        self.assertEqual(follow_up.date_deadline, date(2027, 3, 4))
        self.assertEqual(
            follow_up.summary, "Follow up the renewal reminder sent to Harbor Dental"
        )
        self.assertEqual(follow_up.res_name, contract.display_name)
        self.assertTrue(follow_up.automated)
        self.assertEqual(contract.activity_user_id, self.salesperson)
        self.assertEqual(contract.activity_date_deadline, date(2027, 3, 4))
        # They follow the contract: the customer's answer reaches them.
        self.assertIn(self.salesperson.partner_id, contract.message_partner_ids)
        self.assertEqual(contract.renewal_state, "reminding")
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 16))

        # Running again the same day sends nothing more.
        self.assertEqual(self._run("2027-03-01"), reminders)
        # The queue sends the email: the reminder follows.
        with self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue(ids=reminder.mail_id.ids)
        self.assertSentEmail(
            self.salesperson.partner_id,
            [self.customer_standard],
            subject=reminder.subject,
            body_content="Dear Harbor Dental",
        )
        self.assertEqual(reminder.state, "sent", reminder.reason)
        self.assertEqual(message.notification_ids.notification_status, "sent")
        self.assertTrue(reminder.sent_date)

        reminders = self._run("2027-03-16")
        self.assertEqual(reminders.mapped("days_before"), [15, 30])
        warning = reminders.filtered(lambda r: r.days_before == 15)
        self.assertEqual(warning.tone, "warning")
        self.assertIn("Without a renewal, the service it covers stops", warning.body)
        final = self._run("2027-03-28").filtered(lambda r: r.days_before == 3)
        self.assertEqual(final.tone, "final")
        self.assertFalse(contract.renewal_next_date)
        self.assertEqual(len(self._run("2027-03-30")), 3)

    def test_an_address_the_mail_composer_refuses_fails_with_its_reason(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Typo Dental",
                "email": "office-at-typo-dental",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        contract = self._create_contract(customer)
        self._contracts = contract
        [reminder] = self._run("2027-03-01")
        # Odoo's composer would not send it: the reminder says so at once,
        # and nothing waits in the mail queue.
        self.assertEqual(reminder.state, "failed")
        self.assertEqual(reminder.reason_code, "delivery")
        self.assertIn("nvalid", reminder.reason)
        self.assertEqual(reminder.mail_id.state, "cancel")
        # The next stage is not held back by it.
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 16))

    def test_the_chatter_shows_the_email_not_a_status_change(self):
        # The tests run with tracking off; this one needs it, as in production.
        tracked = {"tracking_disable": False, "mail_notrack": False}
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        ).with_context(**tracked)
        self._contracts = contract
        # Close the contract's creation: Odoo tracks nothing on a record
        # created in the same transaction.
        self.env.flush_all()
        self.env.cr.flush()

        def status_changes():
            self.env.flush_all()
            self.env.cr.flush()  # tracking is written when the transaction ends
            return contract.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "renewal_state"
            )

        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            self.env["renewal.scheduler"].with_context(
                **tracked
            )._cron_send_due_reminders()
            self.assertEqual(contract.renewal_state, "reminding")
            self.assertFalse(status_changes())
        self.assertEqual(
            contract.message_ids.filtered(
                lambda m: m.message_type != "notification"
            ).mapped("subject"),
            [f"Your contract {contract.name} ends on 03/31/2027"],
        )
        # What a person decides is tracked as usual.
        self._mark_lost(contract)
        self.assertEqual(
            status_changes().mapped(lambda t: (t.old_value_char, t.new_value_char)),
            [("Reminding", "Lost")],
        )

    def test_a_late_contract_gets_only_the_latest_stage_due(self):
        with freeze_time("2027-03-21"):
            contract = self._create_contract(
                self.customer_standard, date_end=date(2027, 3, 31)
            )
        self._contracts = contract
        reminders = self._run("2027-03-21")
        sent = reminders.filtered(lambda r: r.state == "queued")
        self.assertEqual(sent.days_before, 15)
        superseded = reminders - sent
        self.assertEqual(superseded.days_before, 30)
        self.assertEqual(superseded.state, "skipped")
        self.assertEqual(superseded.reason_code, "superseded")
        self.assertFalse(superseded.mail_id)

    def test_a_server_down_for_days_catches_up_without_a_burst(self):
        contract = self._create_contract(self.customer_gold, date_end=date(2027, 4, 30))
        self._contracts = contract
        # Gold: 45, 30, 15 and 7 days. The 45-day stage went out on time...
        self._run("2027-03-16")
        # ...then nothing ran until 12 days before the end.
        reminders = self._run("2027-04-18")
        by_days = {r.days_before: r for r in reminders}
        self.assertEqual(by_days[45].state, "queued")
        self.assertEqual(by_days[30].reason_code, "superseded")
        self.assertEqual(by_days[15].state, "queued")
        self.assertNotIn(7, by_days)
        self.assertEqual(contract.renewal_next_date, date(2027, 4, 23))

    def test_bad_data_is_logged_and_never_stops_the_pass(self):
        Partner = self.env["res.partner"]
        tier = self.tier_standard.id
        no_email = Partner.create(
            {"name": "No Mail", "is_company": True, "renewal_tier_id": tier}
        )
        opted_out = Partner.create(
            {
                "name": "Opted Out",
                "is_company": True,
                "email": "out@example.com",
                "renewal_tier_id": tier,
                "renewal_opt_out": True,
            }
        )
        blacklisted = Partner.create(
            {
                "name": "Blocked",
                "is_company": True,
                "email": "blocked@example.com",
                "renewal_tier_id": tier,
            }
        )
        self.env["mail.blacklist"].sudo()._add("blocked@example.com")
        archived = Partner.create(
            {
                "name": "Gone",
                "is_company": True,
                "email": "gone@example.com",
                "renewal_tier_id": tier,
            }
        )
        company_b = self.env["res.company"].create({"name": "Other Co"})
        foreign = Partner.create(
            {
                "name": "Foreign",
                "is_company": True,
                "email": "foreign@example.com",
                "renewal_tier_id": tier,
                "company_id": company_b.id,
            }
        )
        untiered = Partner.create(
            {"name": "No Tier", "is_company": True, "email": "nt@example.com"}
        )
        self.env["ir.config_parameter"].set_param(
            "renewal_reminder.default_policy_id", False
        )
        broken_template = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "subject": "Renewal",
                "body_html": '<p><t t-out="object.no_such_field"/></p>',
            }
        )
        leftover_template = self.env["mail.template"].create(
            {
                "name": "Leftover",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "subject": "Renewal of {{ object.name }}",
                "body_html": "<p>Dear ${partner_name}, your contract ends soon.</p>",
            }
        )
        lab = self.env["renewal.tier"].create({"name": "Lab"})
        broken_policy = self.env["renewal.policy"].create(
            {
                "name": "Broken",
                "tier_id": lab.id,
                "stage_ids": [
                    Command.create(
                        {"days_before": 30, "mail_template_id": broken_template.id}
                    )
                ],
            }
        )
        leftover_policy = self.env["renewal.policy"].create(
            {
                "name": "Leftover",
                "tier_id": lab.id,
                "stage_ids": [
                    Command.create(
                        {"days_before": 30, "mail_template_id": leftover_template.id}
                    )
                ],
            }
        )
        end = date(2027, 3, 31)
        contracts = {
            "no_email": self._create_contract(no_email, date_end=end),
            "opted_out": self._create_contract(opted_out, date_end=end),
            "blacklisted": self._create_contract(blacklisted, date_end=end),
            "archived_partner": self._create_contract(archived, date_end=end),
            "other_company": self._create_contract(foreign, date_end=end),
            "no_policy": self._create_contract(untiered, date_end=end),
            "render_error": self._create_contract(self.customer_standard, date_end=end),
            "unrendered": self._create_contract(self.customer_standard, date_end=end),
            "good": self._create_contract(self.customer_gold, date_end=end),
        }
        archived.active = False
        contracts["render_error"].renewal_policy_id = broken_policy
        contracts["unrendered"].renewal_policy_id = leftover_policy
        self._contracts = self.env["contract.contract"].union(*contracts.values())

        self._run("2027-03-01")
        for code, contract in contracts.items():
            reminders = self._reminders(contract)
            with self.subTest(code=code):
                if code == "good":
                    # Gold: the 30-day stage goes, the 45-day one is superseded.
                    self.assertEqual(reminders.mapped("state"), ["queued", "skipped"])
                    continue
                self.assertEqual(len(reminders), 1)
                self.assertEqual(reminders.reason_code, code)
                self.assertIn(reminders.state, ("skipped", "failed"))
                self.assertTrue(reminders.reason)
                self.assertFalse(reminders.mail_id)
                note = contract.message_ids.filtered(
                    lambda m: "Renewal reminder not sent" in (m.body or "")
                )
                self.assertEqual(len(note), 1)
                self.assertIn(str(reminders.reason).split(":")[0][:20], str(note.body))
        self.assertEqual(self._reminders(contracts["render_error"]).state, "failed")
        self.assertIn(
            "no_such_field", self._reminders(contracts["render_error"]).reason
        )
        self.assertIn("${", self._reminders(contracts["unrendered"]).reason)
        self.assertEqual(self._reminders(contracts["opted_out"]).state, "skipped")
        # Nothing is noted twice: the next run has nothing new to say.
        before = self.Reminder.search_count(
            [("contract_id", "in", self._contracts.ids)]
        )
        self._run("2027-03-02")
        self.assertEqual(
            self.Reminder.search_count([("contract_id", "in", self._contracts.ids)]),
            before,
        )

    def test_the_queries_of_a_batch_do_not_grow_with_its_size(self):
        def due_contracts(count, day):
            return self.env["contract.contract"].union(
                *(
                    self._create_contract(
                        (self.customer_standard, self.customer_gold)[index % 2],
                        date_end=date(2027, 3, 31),
                        price=100.0 + index,
                    )
                    for index in range(count)
                )
            )

        def queries(contracts):
            self._contracts = contracts
            self.env.flush_all()
            self.env.invalidate_all()
            # Odoo builds an environment's lazy values (its user, companies)
            # again when the garbage collector has dropped it: without the
            # collector, the count depends on the pass alone.
            gc.collect()
            gc.disable()
            try:
                before = self.env.cr.sql_log_count
                with freeze_time("2027-03-21"), self.mock_mail_gateway():
                    self.env["renewal.scheduler"]._process_due_contracts(
                        contracts, date(2027, 3, 21)
                    )
                    self.env.flush_all()
                count = self.env.cr.sql_log_count - before
            finally:
                gc.enable()
            reminders = self.Reminder.search([("contract_id", "in", contracts.ids)])
            self.assertEqual(
                len(reminders.filtered(lambda r: r.state == "queued")), len(contracts)
            )
            return count

        queries(due_contracts(2, "2027-03-21"))  # warm the caches (xml ids, settings)
        small = queries(due_contracts(5, "2027-03-21"))
        large = queries(due_contracts(25, "2027-03-21"))
        self.assertEqual(small, large)
        # The composer's own set-up of a batch included.
        self.assertLess(large, 85)

    def test_the_cron_works_in_batches_and_wakes_itself_up(self):
        self._contracts = self.env["contract.contract"].union(
            *(
                self._create_contract(
                    self.customer_standard, date_end=date(2027, 3, 31)
                )
                for _i in range(5)
            )
        )
        cron = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        with (
            freeze_time("2027-03-01"),
            self.mock_mail_gateway(),
            self.capture_triggers(cron.id) as triggers,
        ):
            remaining = self.env["renewal.scheduler"]._cron_send_due_reminders(
                batch_size=2
            )
        self.assertEqual(remaining, 3)
        self.assertEqual(len(triggers.records), 1)
        self.assertEqual(
            len(self.Reminder.search([("contract_id", "in", self._contracts.ids)])), 2
        )
        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            while self.env["renewal.scheduler"]._cron_send_due_reminders(batch_size=2):
                pass
        self.assertEqual(
            len(self.Reminder.search([("contract_id", "in", self._contracts.ids)])), 5
        )


@tagged("post_install", "-at_install")
class TestRenewalReview(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.key_account = cls.env["res.partner"].create(
            {
                "name": "Northwind",
                "is_company": True,
                "email": "renewals@northwind.example.com",
                "renewal_tier_id": cls.tier_strategic.id,
            }
        )

    def _due_for_review(self, count=1):
        contracts = self.env["contract.contract"].union(
            *(
                self._create_contract(self.key_account, date_end=date(2027, 3, 31))
                for _i in range(count)
            )
        )
        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        return self.env["renewal.reminder"].search(
            [("contract_id", "in", contracts.ids), ("state", "!=", "skipped")]
        )

    def _bus_notifications(self, user, notification_type):
        """What the web client of ``user`` is told, as the bus stores it."""
        self.env.cr.precommit.run()  # the bus writes its messages at commit
        channel = json.dumps(
            channel_with_db(self.env.cr.dbname, user._bus_channel()),
            separators=(",", ":"),
        )
        messages = self.env["bus.bus"].sudo().search([("channel", "=", channel)])
        return [
            json.loads(message.message)["payload"]
            for message in messages
            if json.loads(message.message)["type"] == notification_type
        ]

    def test_key_account_reminders_wait_for_the_salesperson(self):
        reminder = self._due_for_review()
        # Due today: the salesperson's activity counter is refreshed at once.
        self.assertEqual(
            self._bus_notifications(self.salesperson, "mail.activity/updated"),
            [{"activity_created": True}],
        )
        self.assertFalse(
            self._bus_notifications(self.other_salesperson, "mail.activity/updated")
        )
        self.assertEqual(reminder.state, "review")
        self.assertFalse(reminder.mail_id)
        self.assertIn("Dear Northwind", reminder.body)
        contract = reminder.contract_id
        self.assertEqual(contract.renewal_state, "review")
        review = contract.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
            )
        )
        self.assertEqual(review.user_id, self.salesperson)

        # The salesperson reads the preview, edits it and approves it.
        as_sales = reminder.with_user(self.salesperson)
        as_sales.body = "<p>Dear Northwind, shall we renew together? Lena</p>"
        with self.mock_mail_gateway():
            as_sales.action_approve()
        self.assertEqual(reminder.state, "queued")
        self.assertEqual(reminder.reviewer_id, self.salesperson)
        # The edited text goes out, in Odoo's email layout.
        self.assertEqual(
            str(reminder.message_id.body),
            "<p>Dear Northwind, shall we renew together? Lena</p>",
        )
        self.assertIn(
            "<p>Dear Northwind, shall we renew together? Lena</p>",
            reminder.mail_id.body_html,
        )
        self.assertIn("<html", reminder.mail_id.body_html)
        self.assertFalse(
            contract.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id.res_model == "contract.contract"
                    and a.summary.startswith("Review")
                )
            )
        )

    def test_approve_and_refuse_many_at_once(self):
        reminders = self._due_for_review(count=4)
        to_send, to_refuse = reminders[:2], reminders[2:]
        with self.mock_mail_gateway():
            to_send.with_user(self.salesperson).action_approve()
        self.assertEqual(set(to_send.mapped("state")), {"queued"})
        action = to_refuse.with_user(self.salesperson).action_refuse()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.salesperson)
            .with_context(**action["context"])
        )
        wizard.reason = "Renewed by phone already."
        wizard.save().action_refuse()
        self.assertEqual(set(to_refuse.mapped("state")), {"refused"})
        self.assertEqual(set(to_refuse.mapped("reason")), {"Renewed by phone already."})
        self.assertFalse(to_refuse.mail_id)

    def test_renewal_cancels_what_waits_and_plans_the_next_cycle(self):
        reminder = self._due_for_review()
        contract = reminder.contract_id
        contract.contract_line_ids.date_end = date(2028, 3, 31)
        self.assertEqual(reminder.state, "cancelled")
        self.assertEqual(reminder.reason_code, "renewed")
        self.assertEqual(contract.renewal_state, "renewed")
        # Strategic, monthly: first stage 60 days before the new end.
        self.assertEqual(contract.renewal_next_date, date(2028, 1, 31))

    def test_archiving_or_losing_a_contract_stops_its_reminders(self):
        reminders = self._due_for_review(count=2)
        archived, lost = reminders.contract_id
        archived.active = False
        self._mark_lost(lost)
        self.assertEqual(set(reminders.mapped("state")), {"cancelled"})
        self.assertEqual(set(reminders.mapped("reason_code")), {"closed"})
        self.assertFalse(archived.renewal_next_date)
        self.assertFalse(lost.renewal_next_date)


@tagged("post_install", "-at_install")
class TestUrgentReminder(RenewalCommon, MockEmail):
    def test_salesperson_sends_an_edited_urgent_reminder(self):
        contract = self._create_contract(self.customer_gold, date_end=date(2027, 3, 31))
        action = contract.with_user(self.salesperson).action_renewal_urgent_reminder()
        with freeze_time("2027-03-20"):
            form = Form(
                self.env[action["res_model"]]
                .with_user(self.salesperson)
                .with_context(**action["context"])
            )
            self.assertEqual(form.recipient_id, self.customer_gold)
            self.assertIn("ends on 03/31/2027", form.subject)
            form.subject = "Urgent: your platform licence ends in 11 days"
            wizard = form.save()
            with self.mock_mail_gateway():
                wizard.action_send()
        reminder = contract.renewal_reminder_ids
        self.assertEqual(reminder.trigger, "urgent")
        self.assertEqual(reminder.state, "queued")
        self.assertEqual(reminder.days_before, 11)
        self.assertEqual(
            reminder.mail_id.subject, "Urgent: your platform licence ends in 11 days"
        )
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_gold)
        self.assertIn(reminder.message_id, contract.message_ids)
        # The stages the customer is past (45 and 30 days) do not follow the
        # urgent reminder: the next one is the 7-day stage.
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 24))

    def test_an_opted_out_customer_is_not_written_to_even_by_hand(self):
        self.customer_gold.renewal_opt_out = True
        contract = self._create_contract(self.customer_gold)
        action = contract.action_renewal_urgent_reminder()
        wizard = Form(
            self.env[action["res_model"]].with_context(**action["context"])
        ).save()
        with self.assertRaisesRegex(
            UserError, "asked not to receive renewal reminders"
        ):
            wizard.action_send()
        self.assertFalse(contract.renewal_reminder_ids)
