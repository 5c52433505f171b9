"""A policy edited mid-cycle never re-sends and never stops the pass."""

from datetime import date, timedelta
from unittest.mock import patch

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalPolicyEdits(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.Reminder = cls.env["renewal.reminder"]
        cls.policy = cls.env["renewal.policy"].create(
            {
                "name": "Edited mid-cycle",
                "tier_id": cls.tier_standard.id,
                "min_recurring_value": 1,
                "stage_ids": [
                    Command.create({"days_before": 30, "tone": "gentle"}),
                    Command.create({"days_before": 15, "tone": "warning"}),
                    Command.create({"days_before": 3, "tone": "final"}),
                ],
            }
        )
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31)
        )
        cls.contract.renewal_policy_id = cls.policy

    def _run(self, day):
        with freeze_time(day), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        return self.Reminder.search([("contract_id", "=", self.contract.id)])

    def _emails(self, day):
        """The emails to the customer that the pass of ``day`` queued."""
        Mail = self.env["mail.mail"]
        domain = [
            ("model", "=", "contract.contract"),
            ("res_id", "=", self.contract.id),
        ]
        before = Mail.search(domain)
        self._run(day)
        return Mail.search(domain) - before

    def _stage(self, days):
        return self.policy.stage_ids.filtered(lambda stage: stage.days_before == days)

    def test_moving_a_sent_stage_neither_resends_nor_breaks_the_pass(self):
        self.assertEqual(self._run("2027-03-01").mapped("state"), ["queued"])
        self._stage(30).with_user(self.manager).days_before = 31
        for day in ("2027-03-01", "2027-03-02", "2027-03-10"):
            with self.subTest(day=day):
                self.assertFalse(self._emails(day))
        reminders = self._run("2027-03-16")
        self.assertEqual(sorted(reminders.mapped("days_before")), [15, 30])
        self.assertEqual(self.contract.renewal_next_date, date(2027, 3, 28))

    def test_a_stage_deleted_and_added_again_on_its_day_is_not_resent(self):
        self._run("2027-03-01")
        sent = self._stage(30)
        self.policy.with_user(self.manager).write(
            {
                "stage_ids": [
                    Command.unlink(sent.id),
                    Command.create({"days_before": 30, "tone": "warning"}),
                ]
            }
        )
        self.assertFalse(self._emails("2027-03-02"))
        reminders = self.Reminder.search([("contract_id", "=", self.contract.id)])
        self.assertEqual(len(reminders), 1)
        # The log keeps what was sent, though its stage is gone.
        self.assertEqual(reminders.days_before, 30)
        self.assertEqual(reminders.state, "queued")
        self.assertEqual(self.contract.renewal_next_date, date(2027, 3, 16))

    def test_reordering_or_a_new_policy_mid_cycle_sends_nothing_already_past(self):
        self._run("2027-03-01")
        self.policy.stage_ids.with_user(self.manager).write({"sequence": 99})
        other = self.env["renewal.policy"].create(
            {
                "name": "Chosen mid-cycle",
                "stage_ids": [
                    Command.create({"days_before": 45}),
                    Command.create({"days_before": 20}),
                ],
            }
        )
        self.contract.with_user(self.manager).renewal_policy_id = other
        # Its 45-day stage lies before the reminder the customer already got.
        self.assertFalse(self._emails("2027-03-02"))
        self.assertEqual(self.contract.renewal_next_date, date(2027, 3, 11))
        self.assertEqual(len(self._emails("2027-03-11")), 1)

    def test_one_failing_contract_does_not_take_its_batch_down(self):
        others = self.env["contract.contract"]
        for index in range(3):
            others |= self._create_contract(
                self.customer_standard, date_end=date(2027, 3, 31), name=f"Good {index}"
            )
        bad = self.contract
        Scheduler = type(self.env["renewal.scheduler"])
        plan_values = Scheduler._plan_values

        def broken_for_one_contract(reminder, plan):
            values = plan_values(reminder, plan)
            if plan.contract == bad:
                values["cycle_end"] = None  # NOT NULL: a real database error
            return values

        cron = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        with (
            patch.object(Scheduler, "_plan_values", broken_for_one_contract),
            freeze_time("2027-03-01"),
            self.mock_mail_gateway(),
            mute_logger("odoo.sql_db"),
            self.assertLogs(
                "odoo.addons.renewal_reminder.models.renewal_scheduler", "WARNING"
            ) as logs,
        ):
            remaining = self.env["renewal.scheduler"]._cron_send_due_reminders()
            cron.method_direct_trigger()
        self.assertEqual(remaining, 0)
        self.assertTrue(cron.active)
        self.assertEqual(
            self.Reminder.search([("contract_id", "in", others.ids)]).mapped("state"),
            ["queued"] * 3,
        )
        self.assertFalse(self.Reminder.search([("contract_id", "=", bad.id)]))
        self.assertEqual(bad.renewal_pass_error_date, date(2027, 3, 1))
        self.assertIn("23502", bad.renewal_pass_error)  # not_null_violation
        self.assertIn(str(bad.id), "\n".join(logs.output))
        self.assertEqual(len([o for o in logs.output if "waits for tomorrow" in o]), 1)
        # The next day it is tried again, and goes out.
        reminders = self._run("2027-03-02")
        self.assertEqual(reminders.mapped("state"), ["queued"])
        self.assertFalse(bad.renewal_pass_error_date)
        self.assertFalse(bad.renewal_pass_error)

    def test_one_follow_up_activity_per_contract_not_one_per_stage(self):
        follow_up = self.env.ref(
            "renewal_reminder.mail_activity_type_renewal_follow_up"
        )
        self._run("2027-03-01")
        activities = self.contract.activity_ids.filtered(
            lambda activity: activity.activity_type_id == follow_up
        )
        self.assertEqual(len(activities), 1)
        # Due after the activity type's delay (3 days).
        self.assertEqual(activities.date_deadline, date(2027, 3, 4))
        self.assertEqual(activities.user_id, self.salesperson)
        self._run("2027-03-16")
        activities = self.contract.activity_ids.filtered(
            lambda activity: activity.activity_type_id == follow_up
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.date_deadline, date(2027, 3, 19))

    def test_one_review_at_a_time_the_latest_stage_replaces_a_held_one(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Key Account",
                "is_company": True,
                "email": "key@account.example.com",
                "renewal_tier_id": self.tier_strategic.id,
            }
        )
        self.contract = self._create_contract(customer, date_end=date(2027, 3, 31))
        review = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        self._run("2027-03-01")
        held_30 = self.Reminder.search(
            [("contract_id", "=", self.contract.id), ("state", "=", "review")]
        )
        self.assertEqual(held_30.days_before, 30)
        reminders = self._run("2027-03-16")
        held = reminders.filtered(lambda r: r.state == "review")
        self.assertEqual(held.mapped("days_before"), [15])
        self.assertEqual(held_30.state, "skipped")
        self.assertEqual(held_30.reason_code, "superseded")
        self.assertIn("15-day", held_30.reason)
        self.assertEqual(
            len(
                self.contract.activity_ids.filtered(
                    lambda a: a.activity_type_id == review
                )
            ),
            1,
        )
        self.assertFalse(self._emails("2027-03-17"))

    def test_a_cycle_that_ended_before_the_reminders_started_is_history(self):
        self.env["ir.config_parameter"].set_param(
            "renewal_reminder.first_day", "2027-01-01"
        )
        # The parameter is cached beyond this test's transaction.
        self.addCleanup(self.env.registry.clear_cache)
        history = self._create_contract(
            self.customer_standard, date_end=date(2026, 12, 15)
        )
        late = self._create_contract(self.customer_standard, date_end=date(2027, 1, 20))
        self.assertFalse(history.renewal_next_date)
        messages = history.message_ids
        with freeze_time("2027-01-05"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        self.assertFalse(self.Reminder.search([("contract_id", "=", history.id)]))
        self.assertEqual(history.message_ids, messages)
        # A cycle still running when they started gets its latest stage.
        self.assertEqual(
            self.Reminder.search([("contract_id", "=", late.id)])
            .filtered(lambda r: r.state == "queued")
            .mapped("days_before"),
            [15],
        )


@tagged("post_install", "-at_install")
class TestRenewalPolicyAssignment(RenewalCommon):
    """A policy's, a tier's or the Settings' change reaches existing contracts."""

    def test_a_new_or_edited_policy_reaches_existing_contracts(self):
        contract = self._create_contract(self.customer_standard)
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        closer = (
            self.env["renewal.policy"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Standard, big accounts",
                    "tier_id": self.tier_standard.id,
                    "min_recurring_value": 10000,
                    "stage_ids": [Command.create({"days_before": 20})],
                }
            )
        )
        self.assertEqual(contract.renewal_policy_id, closer)
        self.assertIn("10,000", contract.renewal_policy_reason)
        closer.with_user(self.manager).min_recurring_value = 50000
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        closer.with_user(self.manager).min_recurring_value = 1000
        self.assertEqual(contract.renewal_policy_id, closer)
        closer.with_user(self.manager).active = False
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)

    def test_a_tiers_default_and_the_settings_default_reach_existing_contracts(self):
        tier = self.env["renewal.tier"].create({"name": "Partner programme"})
        customer = self.env["res.partner"].create(
            {"name": "Programme member", "is_company": True, "renewal_tier_id": tier.id}
        )
        contract = self._create_contract(customer)
        fallback = contract.renewal_policy_id
        special = self.env["renewal.policy"].create(
            {
                "name": "Programme",
                "min_recurring_value": 999999999,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        tier.with_user(self.manager).policy_id = special
        self.assertEqual(contract.renewal_policy_id, special)
        self.assertIn("Partner programme", contract.renewal_policy_reason)
        tier.with_user(self.manager).policy_id = False
        self.assertEqual(contract.renewal_policy_id, fallback)

    def test_a_policy_chosen_by_hand_stays_until_a_manager_resets_it(self):
        contract = self._create_contract(self.customer_standard)
        contract.with_user(self.manager).renewal_policy_id = self.policy_gold
        self.assertTrue(contract.renewal_policy_manual)
        self.assertEqual(
            contract.renewal_policy_reason,
            f"Chosen by hand (the rules would choose {self.policy_standard.name})",
        )
        # Rules that change do not undo a person's choice.
        self.policy_standard.with_user(self.manager).sequence = 1
        self.tier_standard.with_user(self.manager).policy_id = self.policy_standard
        self.assertEqual(contract.renewal_policy_id, self.policy_gold)
        # A salesperson cannot reset it.
        with self.assertRaises(AccessError):
            contract.with_user(self.salesperson).action_renewal_reset_policy()
        contract.with_user(self.manager).action_renewal_reset_policy()
        self.assertFalse(contract.renewal_policy_manual)
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        self.assertNotIn("hand", contract.renewal_policy_reason)


@tagged("post_install", "-at_install")
class TestRenewalLapsed(RenewalCommon):
    def test_an_end_date_passed_without_renewal_is_lapsed(self):
        self.env["contract.contract"].search([]).write({"active": False})
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-31"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        self.assertNotEqual(contract.renewal_state, "lapsed")
        with freeze_time("2027-04-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        self.assertEqual(contract.renewal_state, "lapsed")
        # Renewing it (the end moved on) or losing it says so instead.
        self._mark_lost(contract)
        self.assertEqual(contract.renewal_state, "lost")
        contract.with_user(self.salesperson).action_renewal_reopen()
        with freeze_time("2027-04-02"):
            self.assertEqual(contract.renewal_state, "lapsed")
            contract.contract_line_ids.date_end = date(2028, 3, 31)
            contract.date_end = date(2028, 3, 31)
            self.assertEqual(contract.renewal_state, "renewed")

    def test_more_time_asked_lapses_once_the_grace_period_is_over(self):
        self.env["contract.contract"].search([]).write({"active": False})
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        grace = contract.renewal_policy_id.grace_days
        self.assertTrue(grace)
        with freeze_time("2027-03-28"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        last = contract.renewal_reminder_ids.filtered(
            lambda r: r.days_before == 3 and r.state == "queued"
        )
        self.assertEqual(len(last), 1)
        # The customer asks for more time from the last reminder: no stage
        # is left to send.
        with freeze_time("2027-03-29"):
            ok, _errors = self.env["renewal.answer"]._record(
                last, {"answer": "more_time", "reason": "budget_pending"}
            )
        self.assertTrue(ok)
        self.assertEqual(contract.renewal_state, "more_time")
        self.assertFalse(contract.renewal_next_date)
        # The end passed, the grace period not yet: the customer still has
        # the time they asked for.
        with freeze_time("2027-04-05"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.assertEqual(contract.renewal_state, "more_time")
        # The grace period is over too: the renewal lapsed, as any other
        # nobody renewed.
        with freeze_time(date(2027, 3, 31) + timedelta(days=grace + 1)):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.assertEqual(contract.renewal_state, "lapsed")


@tagged("post_install", "-at_install")
class TestRenewalLogReadable(RenewalCommon, MockEmail):
    def test_a_late_entrant_gets_one_superseded_line_hidden_by_default(self):
        self.env["contract.contract"].search([]).write({"active": False})
        customer = self.env["res.partner"].create(
            {
                "name": "Late Key Account",
                "is_company": True,
                "email": "late@key.example.com",
                "renewal_tier_id": self.tier_strategic.id,
            }
        )
        # Strategic: 60, 30, 15 and 7 days; it arrives 10 days before the end.
        contract = self._create_contract(customer, date_end=date(2027, 3, 31))
        with freeze_time("2027-03-21"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminders = contract.renewal_reminder_ids
        self.assertEqual(
            sorted((r.days_before, r.state) for r in reminders),
            [(15, "review"), (30, "skipped")],
        )
        superseded = reminders.filtered(lambda r: r.reason_code == "superseded")
        self.assertEqual(len(superseded), 1)
        self.assertEqual(superseded.days_before, 30)
        self.assertIn("60, 30", superseded.reason)
        held = reminders - superseded
        self.assertEqual(held.mapped("days_before"), [15])
        # The skipped stages never come back.
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 24))
        # The log hides that line unless asked.
        action = contract.action_view_renewal_reminders()
        self.assertEqual(action["context"]["search_default_not_superseded"], 1)
        search = self.env["renewal.reminder"].get_views([(False, "search")])
        arch = etree.fromstring(search["views"]["search"]["arch"])
        hide = arch.xpath("//filter[@name='not_superseded']")[0]
        shown = self.env["renewal.reminder"].search(
            action["domain"] + safe_eval(hide.get("domain"))
        )
        self.assertEqual(shown, held)
