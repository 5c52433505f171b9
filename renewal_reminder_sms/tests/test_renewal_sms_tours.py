import re
from datetime import date

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged

from odoo.addons.renewal_reminder.tests.common import RenewalCommon
from odoo.addons.sms.tests.common import SMSCase


@tagged("post_install", "-at_install")
class TestRenewalSmsTours(RenewalCommon, SMSCase, HttpCase):
    """The SMS channel as people click it, in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["renewal_reminder", "renewal_reminder_sms"], ["zh_CN"], overwrite=True
        )
        cls.chinese = cls.env["res.partner"].create(
            {
                "name": "上海客户",
                "is_company": True,
                "lang": "zh_CN",
                "email": "office@shanghai.example.com",
                "mobile": "+86 139 1234 5678",
                "renewal_tier_id": cls.tier_standard.id,
            }
        )
        cls.contract = cls._create_contract(
            cls.chinese, date_end=date(2027, 3, 31), name="SMS tour hosting"
        )
        cls.manager.write(
            {"login": "rr_sms_tour_manager", "password": "rr_sms_tour_manager"}
        )

    def test_a_manager_adds_sms_to_a_stage_and_reads_its_cost(self):
        self.start_tour(
            f"/odoo/action-renewal_reminder.renewal_policy_action/{self.policy_standard.id}",
            "renewal_sms_stage_tour",
            login="rr_sms_tour_manager",
        )
        first = self.policy_standard.stage_ids.sorted("sequence")[:1]
        self.assertEqual(first.channel, "email_sms")
        self.assertEqual(first._channels(), ["email", "sms"])

    def test_a_customer_stops_renewal_sms_on_a_phone(self):
        self.policy_standard.stage_ids.write({"channel": "sms"})
        with freeze_time("2027-03-01"), self.mockSMSGateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        [sent] = [sms for sms in self._sms if sms["number"] == "+8613912345678"]
        # The last of its two short links: the opt-out.
        stop = re.findall(r"/r/[\w-]+", sent["body"])[-1]
        self.browser_size = "390x844"
        self.touch_enabled = True
        self.start_tour(stop, "renewal_sms_stop_tour")
        self.assertTrue(self.chinese.renewal_sms_opt_out)
        self.assertFalse(self.chinese.renewal_opt_out)
