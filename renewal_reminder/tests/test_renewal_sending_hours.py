from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalSendingHours(RenewalCommon, MockEmail):
    """Reminders leave within the sending hours of the customer's time zone,
    outside blackout periods, at the hour the customer usually reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        # Weekdays 09:00-18:00 in each customer's own time zone.
        cls.policy_standard.calendar_id = cls.sending_hours
        cls.education = cls.env["res.partner.industry"].create({"name": "Schools"})
        cls.paris = cls.env["res.partner"].create(
            {
                "name": "Lycée Voltaire",
                "is_company": True,
                "email": "office@voltaire.example.com",
                "tz": "Europe/Paris",
                "renewal_tier_id": cls.tier_standard.id,
            }
        )

    def _pass(self, moment):
        with freeze_time(moment), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["mail.mail"].sudo().process_email_queue()

    def _reminder(self, contract):
        """The reminder of the contract's current cycle."""
        return contract.renewal_reminder_ids.filtered(
            lambda r: r.state != "skipped" and r.cycle_end == contract.renewal_cycle_end
        )

    def test_a_saturday_reminder_waits_in_the_mail_queue_for_monday_9_paris_time(
        self,
    ):
        # Its 30-day stage falls on Saturday 2027-03-06.
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        reminder = self._reminder(contract)
        self.assertEqual(reminder.state, "queued")
        # 09:00 in Paris (CET) is 08:00 UTC.
        self.assertEqual(reminder.send_at, datetime(2027, 3, 8, 8, 0))
        self.assertEqual(reminder.mail_id.scheduled_date, datetime(2027, 3, 8, 8, 0))
        self.assertIn("Outside the sending hours", reminder.send_at_reason)
        self.assertIn("Europe/Paris", reminder.send_at_reason)
        self.assertIn("leaves at", reminder.with_context(tz="UTC").status_summary)
        # Sunday: Odoo's mail queue leaves it alone.
        self._pass("2027-03-07 12:00:00")
        self.assertEqual(reminder.state, "queued")
        self.assertFalse(self._mails)
        # Monday 09:01 in Paris: it leaves.
        self._pass("2027-03-08 08:01:00")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(len(self._mails), 1)

    def test_a_blackout_for_schools_holds_a_school_and_no_one_else(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Spring holidays",
                "calendar_id": self.sending_hours.id,
                "date_from": datetime(2027, 3, 7, 23, 0),
                "date_to": datetime(2027, 3, 14, 23, 0),
                "renewal_industry_ids": [(6, 0, self.education.ids)],
            }
        )
        self.paris.industry_id = self.education
        shop = self.paris.copy({"name": "Boulangerie", "industry_id": False})
        school = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        other = self._create_contract(shop, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        held = self._reminder(school)
        self.assertEqual(held.send_at, datetime(2027, 3, 15, 8, 0))
        self.assertIn("Spring holidays", held.send_at_reason)
        self.assertEqual(self._reminder(other).send_at, datetime(2027, 3, 8, 8, 0))

    def test_public_holidays_of_every_calendar_are_blackouts_too(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": False,
                "date_from": datetime(2027, 3, 8, 0, 0),
                "date_to": datetime(2027, 3, 9, 0, 0),
            }
        )
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        self.assertEqual(self._reminder(contract).send_at, datetime(2027, 3, 9, 8, 0))

    def test_a_customer_who_reads_at_two_gets_reminders_at_two(self):
        shanghai = self.paris.copy(
            {"name": "上海贸易", "tz": "Asia/Shanghai", "email": "sh@example.com"}
        )
        contract = self._create_contract(shanghai, date_end=date(2027, 3, 31))
        # Past cycles' reminders, read around 14:00 in Shanghai (06:00 UTC).
        for day, hour in ((1, 6), (10, 6), (20, 7)):
            self.env["renewal.reminder"].create(
                {
                    "contract_id": contract.id,
                    "cycle_end": date(2026, 3, 31),
                    "days_before": 30 - day,
                    "state": "opened",
                    "sent_date": datetime(2026, 3, day, 1, 0),
                    "opened_date": datetime(2026, 3, day, hour, 20),
                }
            )
        self.assertEqual(contract.renewal_timing_hour, 14.0)
        self.assertIn("14:00", contract.renewal_timing_reason)
        # Monday 2027-03-01, 09:00 in Shanghai: waits until 14:00 there.
        self._pass("2027-03-01 01:00:00")
        reminder = self._reminder(contract)
        self.assertEqual(reminder.send_at, datetime(2027, 3, 1, 6, 0))
        self.assertIn("usually reads", reminder.send_at_reason)

    def test_a_customer_slow_to_answer_gets_the_first_reminder_earlier(self):
        contract = self._create_contract(self.paris, date_end=date(2027, 3, 31))
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 1))
        # Last year they answered 10 days after the first reminder.
        Reminder = self.env["renewal.reminder"]
        Reminder.create(
            {
                "contract_id": contract.id,
                "cycle_end": date(2026, 3, 31),
                "days_before": 30,
                "state": "sent",
                "sent_date": datetime(2026, 3, 1, 9, 0),
            }
        )
        Reminder.create(
            {
                "contract_id": contract.id,
                "cycle_end": date(2026, 3, 31),
                "days_before": 15,
                "state": "sent",
                "sent_date": datetime(2026, 3, 16, 9, 0),
                "answer": "renew",
                "answer_date": datetime(2026, 3, 11, 9, 0),
            }
        )
        self.assertEqual(contract.renewal_timing_advance_days, 10)
        self.assertIn("10 days earlier", contract.renewal_timing_reason)
        self.assertEqual(contract.renewal_next_date, date(2027, 2, 19))
        # The policy bounds it.
        self.policy_standard.max_advance_days = 4
        self.assertEqual(contract.renewal_timing_advance_days, 4)
        self.assertEqual(contract.renewal_next_date, date(2027, 2, 25))
        self._pass("2027-02-25 10:00:00")
        self.assertEqual(self._reminder(contract).days_before, 30)
        # Learning switched off: the policy's days as they are.
        self.policy_standard.learn_timing = False
        self.assertEqual(contract.renewal_timing_advance_days, 0)
        self.assertFalse(contract.renewal_timing_reason)

    def test_an_answer_before_a_held_email_leaves_stops_it_and_a_change_resumes_it(
        self,
    ):
        # A first reminder 40 days before the end, on Wednesday 2027-02-24.
        self.policy_standard.stage_ids = [
            (0, 0, {"days_before": 40, "tone": "gentle", "sequence": 0})
        ]
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-02-24 10:00:00")
        earlier = self._reminder(contract)
        self.assertEqual((earlier.days_before, earlier.state), (40, "sent"))
        # The 30-day stage waits for Monday 09:00; the customer answers the
        # earlier reminder's link on Sunday.
        self._pass("2027-03-06 08:00:00")
        held = self._reminder(contract) - earlier
        self.assertEqual((held.state, held.mail_id.state), ("queued", "outgoing"))
        Answer = self.env["renewal.answer"]
        with freeze_time("2027-03-07 10:00:00"):
            ok, _errors = Answer._record(earlier, {"answer": "renew"})
        self.assertTrue(ok)
        self.assertEqual((held.state, held.reason_code), ("cancelled", "answered"))
        self.assertEqual(held.mail_id.state, "cancel")
        # The customer changes their mind before anyone acted: "more time".
        # The email stays stopped: a customer who asked for time is not
        # reminded meanwhile; the next stages move by the grace period.
        with freeze_time("2027-03-07 11:00:00"):
            ok, _errors = Answer._record(
                earlier,
                {"answer": "more_time", "reason": "budget_pending"},
                change=True,
            )
        self.assertTrue(ok)
        self.assertEqual((held.state, held.mail_id.state), ("cancelled", "cancel"))
        self._pass("2027-03-08 08:01:00")
        self.assertFalse(self._mails)
        self.assertEqual(contract.renewal_state, "more_time")

    def test_a_held_email_stops_when_the_contract_is_lost_renewed_or_archived(self):
        contracts = [
            self._create_contract(self.paris, date_end=date(2027, 4, 5))
            for _index in range(3)
        ]
        self._pass("2027-03-06 08:00:00")
        held = [self._reminder(contract) for contract in contracts]
        self.assertEqual({r.state for r in held}, {"queued"})
        self._mark_lost(contracts[0])
        contracts[1].contract_line_ids.write({"date_end": date(2028, 4, 5)})
        contracts[1].date_end = date(2028, 4, 5)
        contracts[2].active = False
        for reminder, code in zip(held, ("closed", "renewed", "closed"), strict=True):
            with self.subTest(code=code):
                self.assertEqual(
                    (reminder.state, reminder.reason_code), ("cancelled", code)
                )
                self.assertEqual(reminder.mail_id.state, "cancel")
        self._pass("2027-03-08 08:01:00")
        self.assertFalse(self._mails)

    def test_a_reminder_approved_on_a_saturday_waits_for_monday(self):
        self.policy_standard.stage_ids.write({"review_required": True})
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 2))
        self._pass("2027-03-03 10:00:00")
        held = self._reminder(contract)
        self.assertEqual(held.state, "review")
        with freeze_time("2027-03-06 15:00:00"):
            held.with_user(self.salesperson).action_approve()
        self.assertEqual(held.state, "queued")
        self.assertEqual(held.send_at, datetime(2027, 3, 8, 8, 0))
        self.assertEqual(held.mail_id.scheduled_date, datetime(2027, 3, 8, 8, 0))

    def test_a_renewals_manager_keeps_the_blackout_periods_of_renewals_only(self):
        Leaves = self.env["resource.calendar.leaves"].with_user(self.manager)
        blackout = Leaves.create(
            {
                "name": "Year-end freeze",
                "calendar_id": self.sending_hours.id,
                "date_from": datetime(2027, 12, 20),
                "date_to": datetime(2028, 1, 3),
            }
        )
        blackout.name = "Year-end freeze (all customers)"
        # Company-wide time off (every calendar) stays the administrators'.
        with self.assertRaises(AccessError):
            Leaves.create(
                {
                    "name": "Public holiday",
                    "calendar_id": False,
                    "date_from": datetime(2027, 5, 1),
                    "date_to": datetime(2027, 5, 2),
                }
            )

    def test_another_companys_holidays_do_not_hold_this_companys_customers(self):
        other = self.env["res.company"].create({"name": "India office"})
        diwali = self.env["resource.calendar.leaves"].create(
            {
                "name": "Diwali",
                "calendar_id": False,
                "date_from": datetime(2027, 3, 8),
                "date_to": datetime(2027, 3, 10),
            }
        )
        diwali.company_id = other
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        self.assertEqual(self._reminder(contract).send_at, datetime(2027, 3, 8, 8, 0))

    def test_a_blackout_past_the_end_skips_the_stage_with_its_reason(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Legal hold",
                "calendar_id": self.sending_hours.id,
                "date_from": datetime(2027, 3, 1),
                "date_to": datetime(2030, 3, 1),
            }
        )
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        skipped = contract.renewal_reminder_ids
        self.assertEqual(
            (skipped.state, skipped.reason_code), ("skipped", "no_send_window")
        )
        self.assertIn("before the renewal cycle ends", skipped.reason)
        self.assertFalse(skipped.mail_id)
        self.assertFalse([m for m in self._mails if "voltaire" in m["email_to"][0]])

    def test_a_two_week_calendar_sends_on_the_days_of_each_week(self):
        # Week of Monday 2027-03-08: the second week, Monday only; the week
        # of 2027-03-15: the first week, Wednesday only.
        def line(name, weekday, week, sequence, section=False):
            return Command.create(
                {
                    "name": name,
                    "dayofweek": weekday,
                    "hour_from": 0.0 if section else 9.0,
                    "hour_to": 0.0 if section else 18.0,
                    "day_period": "morning",
                    "week_type": week,
                    "sequence": sequence,
                    "display_type": "line_section" if section else False,
                }
            )

        self.policy_standard.calendar_id = self.env["resource.calendar"].create(
            {
                "name": "Every other Monday",
                "company_id": False,
                "tz": "Europe/Paris",
                "two_weeks_calendar": True,
                "attendance_ids": [
                    line("First week", "0", "0", 0, section=True),
                    line("Wednesday", "2", "0", 1),
                    line("Second week", "0", "1", 25, section=True),
                    line("Monday", "0", "1", 26),
                ],
            }
        )
        on_saturday = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        on_tuesday = self._create_contract(self.paris, date_end=date(2027, 4, 8))
        self._pass("2027-03-06 08:00:00")
        self.assertEqual(
            self._reminder(on_saturday).send_at, datetime(2027, 3, 8, 8, 0)
        )
        # Tuesday of the second week: the first week's Wednesday.
        self._pass("2027-03-09 08:00:00")
        self.assertEqual(
            self._reminder(on_tuesday).send_at, datetime(2027, 3, 17, 8, 0)
        )

    def test_a_line_of_the_sending_hours_only_counts_between_its_dates(self):
        Line = self.env["resource.calendar.attendance"]
        for name, weekday, first, last in (
            ("Saturdays last winter", "5", date(2026, 12, 1), date(2027, 2, 28)),
            ("Sundays in March", "6", date(2027, 3, 1), date(2027, 3, 31)),
        ):
            Line.create(
                {
                    "name": name,
                    "calendar_id": self.sending_hours.id,
                    "dayofweek": weekday,
                    "hour_from": 9.0,
                    "hour_to": 18.0,
                    "day_period": "morning",
                    "date_from": first,
                    "date_to": last,
                }
            )
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        # Saturday 09:00 in Paris: the Saturday line is over, Sunday's is on.
        self._pass("2027-03-06 08:00:00")
        reminder = self._reminder(contract)
        self.assertEqual(reminder.state, "queued")
        self.assertEqual(reminder.send_at, datetime(2027, 3, 7, 8, 0))

    def test_flexible_sending_hours_send_at_any_hour_outside_the_blackouts(self):
        # A calendar with flexible hours has no fixed hours (its attendance
        # lines are not used, as for the people working on it).
        self.sending_hours.flexible_hours = True
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Stocktaking",
                "calendar_id": self.sending_hours.id,
                "date_from": datetime(2027, 3, 6, 0, 0),
                "date_to": datetime(2027, 3, 6, 20, 0),
            }
        )
        held = self._create_contract(self.paris, date_end=date(2027, 4, 5))
        self._pass("2027-03-06 08:00:00")
        reminder = self._reminder(held)
        # Saturday 21:00 in Paris, when the blackout ends.
        self.assertEqual(reminder.send_at, datetime(2027, 3, 6, 20, 0))
        self.assertIn("Stocktaking", reminder.send_at_reason)
        # On Sunday, nothing holds a reminder.
        sunday = self._create_contract(self.paris, date_end=date(2027, 4, 6))
        self._pass("2027-03-07 03:00:00")
        self.assertEqual(self._reminder(sunday).state, "sent")

    def test_nine_in_the_morning_stays_nine_when_the_clocks_change(self):
        # Paris springs forward on Sunday 2027-03-28: 09:00 is 07:00 UTC then.
        contract = self._create_contract(self.paris, date_end=date(2027, 4, 26))
        self._pass("2027-03-27 12:00:00")
        self.assertEqual(self._reminder(contract).send_at, datetime(2027, 3, 29, 7, 0))
