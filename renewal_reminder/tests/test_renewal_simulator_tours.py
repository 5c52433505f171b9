from datetime import date, timedelta

from odoo import http
from odoo.tests import HttpCase, tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalSimulatorTours(RenewalCommon, HttpCase):
    """The simulation as a Renewals manager clicks it, in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.manager.write(
            {"login": "rr_sim_tour_manager", "password": "rr_sim_tour_manager"}
        )
        cls.contract = cls._create_contract(
            cls.customer_standard,
            date_end=date.today() + timedelta(days=365),
            name="Simulated hosting",
        )

    def test_a_manager_simulates_silence_readings_and_bounces(self):
        before = self.env["renewal.reminder"].search_count([])
        self.start_tour(
            f"/odoo/action-renewal_reminder.renewal_policy_action/{self.policy_standard.id}",
            "renewal_simulator_tour",
            login="rr_sim_tour_manager",
        )
        self.assertEqual(self.env["renewal.reminder"].search_count([]), before)
        self.assertFalse(self.contract.renewal_at_risk)
