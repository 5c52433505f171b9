import re
from datetime import date
from urllib.parse import urlsplit

import requests

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.renewal_reminder.tests.common import RenewalCommon
from odoo.addons.sms.tests.common import SMSCase

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEEN_URL = re.compile(r'data-renewal-seen-url="([^"]+)"')
SEEN_CSRF = re.compile(r'o_renewal_seen"[^>]*data-csrf-token="([^"]+)"')
CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)


@tagged("post_install", "-at_install")
class TestRenewalSmsStop(RenewalCommon, SMSCase, HttpCase):
    """The SMS's opt-out link stops renewal SMS, and only them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.customer_standard.write(
            {"mobile": "0412 345 678", "country_id": cls.env.ref("base.au").id}
        )
        cls.policy_standard.stage_ids.write({"channel": "sms"})
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31)
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2027-03-01"), self.mockSMSGateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()

    def _stop_path(self):
        reminder = self.contract.renewal_reminder_ids.filtered(lambda r: r.sms_number)
        body = reminder.message_id.body
        codes = re.findall(r"/r/([\w-]+)", str(body))
        links = self.env["link.tracker.code"].search([("code", "in", codes)]).link_id
        stops = [link.url for link in links if "/renewal/sms/stop/" in link.url]
        assert len(stops) == 1, (body, links.mapped("url"))
        [stop] = stops
        return urlsplit(stop).path

    def test_the_stop_link_stops_renewal_sms_only(self):
        path = self._stop_path()
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Stop renewal SMS", page.text)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)
        csrf = CSRF.search(page.text)[1]
        page = self.url_open(path, data={"csrf_token": csrf})
        self.assertIn("no longer receive renewal reminders by SMS", page.text)
        self.assertTrue(self.customer_standard.renewal_sms_opt_out)
        self.assertFalse(self.customer_standard.renewal_opt_out)
        consent = self.customer_standard.renewal_consent_ids[:1]
        self.assertEqual(
            (consent.action, consent.channel, consent.method),
            ("opt_out", "sms", "link"),
        )
        # The next SMS stage is skipped with its reason; it stays reversible.
        with freeze_time("2027-03-16"), self.mockSMSGateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        skipped = self.contract.renewal_reminder_ids.filtered(
            lambda r: r.reason_code == "sms_opted_out"
        )
        self.assertTrue(skipped)
        csrf = CSRF.search(page.text)[1]
        page = self.url_open(path, data={"csrf_token": csrf, "subscribe": "1"})
        self.assertIn("by SMS again", page.text)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)

    def test_the_stop_page_reads_the_sms_once_a_person_has_it_shown(self):
        reminder = self.contract.renewal_reminder_ids.filtered(lambda r: r.sms_number)
        path = self._stop_path()
        # A messaging app's link preview, a scanner posing as a browser.
        for agent in ("WhatsApp/2.23.20.0", CHROME):
            page = self.url_open(path, headers={"User-Agent": agent})
            self.assertEqual(page.status_code, 200)
        self.assertFalse(reminder.clicked_date)
        # The page's script, in the customer's browser.
        response = self.url_open(
            SEEN_URL.search(page.text)[1],
            data={"csrf_token": SEEN_CSRF.search(page.text)[1]},
            headers={"User-Agent": CHROME},
        )
        self.assertEqual(response.status_code, 204)
        self.assertTrue(reminder.clicked_date)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)

    def test_the_stop_page_needs_its_own_token_and_the_form_token(self):
        path = self._stop_path()
        with mute_logger("odoo.http"):
            response = requests.post(self.base_url() + path, data={}, timeout=30)
            self.assertEqual(response.status_code, 403)
            page = self.url_open("/renewal/sms/stop/not-a-token")
            self.assertEqual(page.status_code, 404)
            answer_token = self.env["renewal.answer"]._token(
                self.contract.renewal_reminder_ids.filtered("sms_number")
                .sudo()
                .answer_key,
                date(2027, 3, 31),
            )
            page = self.url_open(f"/renewal/sms/stop/{answer_token}")
            self.assertEqual(page.status_code, 404)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)

    def _reminder(self):
        return self.contract.renewal_reminder_ids.filtered("sms_number").sudo()

    def test_the_email_unsubscribe_token_does_not_open_the_stop_page(self):
        email_token = self.env["renewal.answer"]._unsubscribe_token(
            self._reminder().answer_key
        )
        with mute_logger("odoo.http"):
            page = self.url_open(f"/renewal/sms/stop/{email_token}")
            self.assertEqual(page.status_code, 404)
            self.assertNotIn("Stop renewal SMS", page.text)
            response = requests.post(
                f"{self.base_url()}/renewal/sms/stop/{email_token}",
                data={"csrf_token": "x"},
                timeout=30,
            )
            self.assertEqual(response.status_code, 404)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)

    def test_the_sms_stop_token_does_not_open_the_email_unsubscribe_page(self):
        token = self._stop_path().rsplit("/", 1)[1]
        with mute_logger("odoo.http"):
            page = self.url_open(f"/renewal/unsubscribe/{token}")
            self.assertEqual(page.status_code, 404)
            # Nor does a mail provider's one-click unsubscribe take it.
            response = requests.post(
                f"{self.base_url()}/renewal/unsubscribe/{token}",
                data={"List-Unsubscribe": "One-Click"},
                timeout=30,
            )
            self.assertEqual(response.status_code, 404)
        self.assertFalse(self.customer_standard.renewal_opt_out)
        self.assertFalse(self.customer_standard.renewal_sms_opt_out)
