from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalEscalation(RenewalCommon, MockEmail):
    """Silence escalates, a reading left unanswered is followed up, each
    step once, through the escalation pass's scheduled action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        # Standard policy: 30, 15 and 3 days before the end.
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-SILENT"
        )
        # An unread email's fallback (a channel add-on's) has tests of its own.
        if "fallback_channel" in cls.env["renewal.policy"]._fields:
            cls.env["renewal.policy"].search([]).write({"fallback_channel": False})
        cls.read_type = cls.env.ref("renewal_reminder.mail_activity_type_renewal_read")
        cls.call_type = cls.env.ref("renewal_reminder.mail_activity_type_renewal_call")

    def _pass(self, moment):
        """The daily pass at ``moment``, then Odoo's mail queue."""
        with freeze_time(moment), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["mail.mail"].sudo().process_email_queue()

    def _escalate(self, moment):
        with freeze_time(moment), self.mock_mail_gateway():
            self.env["renewal.escalation"]._cron_escalate()

    def _sent(self):
        return self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state not in ("skipped", "cancelled")
        ).sorted("days_before")

    def _risk_notes(self):
        return self.contract.message_ids.filtered(
            lambda m: "Renewal at risk" in str(m.body)
        )

    def test_silence_brings_the_next_stage_forward_and_flags_the_renewal(self):
        self._pass("2027-03-01 10:00:00")
        first = self._sent()
        self.assertEqual((first.days_before, first.state), (30, "sent"))
        self.assertEqual(first.escalation_due, datetime(2027, 3, 4, 10, 0))
        # 47 hours later: nothing yet.
        self._escalate("2027-03-03 09:00:00")
        self.assertFalse(first.escalated_date)
        self.assertFalse(self.contract.renewal_at_risk)
        # 72 hours without an answer: at risk, and the 15-day stage is due now.
        self._escalate("2027-03-04 10:30:00")
        self.assertEqual(first.escalated_date, datetime(2027, 3, 4, 10, 30))
        self.assertTrue(self.contract.renewal_at_risk)
        self.assertIn("72 hours", self.contract.renewal_risk_reason)
        self.assertIn("15-day reminder goes out now", self.contract.renewal_risk_reason)
        self.assertEqual(self.contract.renewal_next_date, date(2027, 3, 4))
        self.assertEqual(len(self._risk_notes()), 1)
        self._pass("2027-03-04 10:45:00")
        second = self._sent() - first
        self.assertEqual((second.days_before, second.state), (15, "sent"))
        self.assertEqual(second.scheduled_date, date(2027, 3, 4))
        # Logged once: the pass again adds nothing.
        self._escalate("2027-03-04 12:00:00")
        self._pass("2027-03-05 10:00:00")
        self.assertEqual(len(self._sent()), 2)
        self.assertEqual(len(self._risk_notes()), 1)
        # Silence again: the last stage now; then a call after it.
        self._escalate("2027-03-07 11:00:00")
        self._pass("2027-03-07 11:05:00")
        last = self._sent() - first - second
        self.assertEqual((last.days_before, last.state), (3, "sent"))
        self.assertFalse(
            self.contract.activity_ids.filtered(
                lambda a: a.activity_type_id == self.call_type
            )
        )
        self._escalate("2027-03-10 12:00:00")
        calls = self.contract.activity_ids.filtered(
            lambda a: a.activity_type_id == self.call_type
        )
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls.user_id, self.salesperson)
        self.assertIn("Harbor Dental", calls.summary)
        self.assertIn("last reminder", self.contract.renewal_risk_reason)
        self._escalate("2027-03-12 12:00:00")
        self.assertEqual(
            len(
                self.contract.activity_ids.filtered(
                    lambda a: a.activity_type_id == self.call_type
                )
            ),
            1,
        )
        self.assertEqual(len(self._risk_notes()), 3)
        self.assertEqual(len(self._sent()), 3)

    def test_a_reading_left_unanswered_gets_one_follow_up_with_what_was_done(self):
        self._pass("2027-03-01 10:00:00")
        first = self._sent()
        self.env["renewal.delivery"]._note_engagement(
            {first: {"opened": datetime(2027, 3, 1, 12, 0)}}
        )
        self.assertEqual(first.state, "opened")
        self.assertEqual(first.escalation_due, datetime(2027, 3, 3, 12, 0))
        self._escalate("2027-03-03 11:00:00")
        self.assertFalse(
            self.contract.activity_ids.filtered(
                lambda a: a.activity_type_id == self.read_type
            )
        )
        self._escalate("2027-03-03 12:30:00")
        follow = self.contract.activity_ids.filtered(
            lambda a: a.activity_type_id == self.read_type
        )
        self.assertEqual(len(follow), 1)
        self.assertIn("read the 30-day reminder but did not answer", follow.summary)
        self.assertIn("opened it on", str(follow.note))
        self.assertIn("03/01/2027", str(follow.note))
        self.assertTrue(first.followed_up_date)
        # Not at risk yet: silence is counted from the send, 72 hours.
        self.assertFalse(self.contract.renewal_at_risk)
        self._escalate("2027-03-03 18:00:00")
        self.assertEqual(
            len(
                self.contract.activity_ids.filtered(
                    lambda a: a.activity_type_id == self.read_type
                )
            ),
            1,
        )

    def test_an_answer_stops_the_escalation(self):
        self._pass("2027-03-01 10:00:00")
        first = self._sent()
        self.contract.sudo().write(
            {
                "renewal_answer": "more_time",
                "renewal_answer_end": self.contract.renewal_cycle_end,
                "renewal_answer_reminder_id": first.id,
            }
        )
        self.assertFalse(first.escalation_due)
        self._escalate("2027-03-10 10:00:00")
        self.assertFalse(first.escalated_date)
        self.assertFalse(self.contract.renewal_at_risk)
        self.assertFalse(self._risk_notes())

    def test_renewing_clears_the_risk(self):
        self._pass("2027-03-01 10:00:00")
        self._escalate("2027-03-04 10:30:00")
        self.assertTrue(self.contract.renewal_at_risk)
        self.contract.contract_line_ids.sudo().write({"date_end": date(2028, 3, 31)})
        self.contract.sudo().date_end = date(2028, 3, 31)
        self.assertEqual(self.contract.renewal_state, "renewed")
        self.assertFalse(self.contract.renewal_at_risk)

    def test_a_reminder_that_breaks_is_noted_and_the_others_escalate(self):
        other = self._create_contract(
            self.customer_gold, date_end=date(2027, 3, 31), code="CT-OTHER"
        )
        self.policy_gold.stage_ids.write({"review_required": False})
        self.customer_gold.renewal_tier_id.review_required = False
        self._pass("2027-03-01 10:00:00")
        broken = self._sent()
        Escalation = type(self.env["renewal.escalation"])
        original = Escalation._escalate

        def breaks_on_ours(this, reminders, now):
            if broken in reminders:
                raise ValueError("a broken add-on")
            return original(this, reminders, now)

        from unittest.mock import patch

        with (
            patch.object(Escalation, "_escalate", breaks_on_ours),
            self.assertLogs("odoo.addons.renewal_reminder", level="WARNING") as logs,
        ):
            self._escalate("2027-03-06 10:30:00")
        self.assertTrue(any("left out" in line for line in logs.output))
        # Ours is left out for good (it never blocks the queue), the other
        # contract escalated.
        self.assertTrue(broken.escalated_date)
        self.assertFalse(broken.escalation_due)
        self.assertFalse(self.contract.renewal_at_risk)
        self.assertTrue(other.renewal_at_risk)

    def test_the_queries_do_not_grow_with_the_reminders_of_a_batch(self):
        def silent_reminders(count):
            customers = self.env["res.partner"].create(
                [
                    {
                        "name": f"Quiet {count}-{index}",
                        "email": f"quiet{count}-{index}@example.com",
                        "renewal_tier_id": self.tier_standard.id,
                    }
                    for index in range(count)
                ]
            )
            contracts = self.env["contract.contract"].union(
                *(self._create_contract(customer) for customer in customers)
            )
            with freeze_time("2027-03-01 10:00:00"), self.mock_mail_gateway():
                self.env["renewal.scheduler"]._process_due_contracts(
                    contracts, date(2027, 3, 1)
                )
            # As the pass claims them.
            reminders = self.env["renewal.reminder"].browse(
                contracts.renewal_reminder_ids.ids
            )
            reminders.write({"state": "sent", "sent_date": datetime(2027, 3, 1, 10)})
            # Half of them were read: they are followed up too.
            reminders[::2].write(
                {"state": "opened", "opened_date": datetime(2027, 3, 1, 11)}
            )
            return reminders

        def queries(reminders):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time("2027-03-05 12:00:00"), self.mock_mail_gateway():
                self.env["renewal.escalation"]._escalate_batch(
                    reminders, datetime(2027, 3, 5, 12)
                )
                self.env.flush_all()
            self.assertTrue(all(reminders.mapped("escalated_date")))
            return self.env.cr.sql_log_count - before

        queries(silent_reminders(2))  # warm the caches
        self.assertEqual(queries(silent_reminders(5)), queries(silent_reminders(25)))
