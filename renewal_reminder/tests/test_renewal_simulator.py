from datetime import date

from odoo.tests import freeze_time, tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalSimulator(RenewalCommon):
    """The policy preview simulates a contract's cycle, scenario by
    scenario, without sending or writing anything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_standard.calendar_id = cls.sending_hours
        cls.customer_standard.tz = "Europe/Paris"
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-SIM"
        )

    def _simulate(self, scenario):
        wizard = (
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .create(
                {
                    "policy_id": self.policy_standard.id,
                    "contract_id": self.contract.id,
                    "scenario": scenario,
                }
            )
        )
        return str(wizard.simulation)

    def _written(self):
        self.env.flush_all()
        return (
            self.env["renewal.reminder"].search_count([]),
            self.env["mail.message"].search_count([]),
            self.env["mail.activity"].search_count([]),
            self.env["mail.mail"].search_count([]),
            self.contract.renewal_at_risk,
        )

    @freeze_time("2027-02-26 12:00:00")
    def test_every_scenario_shows_its_dated_timeline_and_writes_nothing(self):
        before = self._written()
        silent = self._simulate("no_answer")
        self.assertIn("Europe/Paris", silent)
        self.assertIn("Email: 30-day reminder (held for the sending hours)", silent)
        self.assertIn("The renewal is flagged at risk", silent)
        self.assertIn("the 15-day reminder goes out now", silent)
        self.assertIn("to call the customer", silent)
        # 09:00 in Paris on Monday.
        self.assertIn("3/1/27, 9:00", silent.replace("\u202f", " "))
        opens = self._simulate("opens_never_answers")
        self.assertIn("The customer opens the email", opens)
        self.assertIn("activity for the salesperson to follow up", opens)
        bounces = self._simulate("bounces")
        self.assertIn("The email bounces", bounces)
        self.assertIn("fix the email address", bounces)
        more_time = self._simulate("more_time_at_2")
        self.assertIn("move 14 days later", more_time)
        self.assertEqual(self._written(), before)

    @freeze_time("2027-03-20 12:00:00")
    def test_the_simulation_starts_from_where_the_cycle_stands(self):
        with freeze_time("2027-03-01 10:00:00"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        text = self._simulate("no_answer")
        # The 30-day stage went: the simulation goes on from the 15-day one.
        self.assertNotIn("30-day reminder (", text)
        self.assertIn("15-day reminder", text)
