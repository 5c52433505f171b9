import re
from datetime import date
from urllib.parse import urlsplit

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged

from .common import RenewalCommon

LINK = re.compile(r'href="([^"]*/renewal/answer/[^"]+\?choice=(\w+))"')


@tagged("post_install", "-at_install")
class TestRenewalAnswerTours(RenewalCommon, HttpCase):
    """The customer's answer on a phone, in Chromium, from the email's link."""

    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.policy_standard.grace_days = 10

    def _reminder_link(self, index, choice):
        contract = self._create_contract(
            self.customer_standard,
            date_end=date(2027, 3, 31),
            code=f"CT-TOUR-{index}",
        )
        with freeze_time("2027-03-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminder = contract.renewal_reminder_ids.filtered(lambda r: r.state == "queued")
        links = dict(
            (name, url.replace("&amp;", "&"))
            for url, name in LINK.findall(reminder.mail_id.body_html)
        )
        split = urlsplit(links[choice])
        return contract, reminder, f"{split.path}?{split.query}"

    def test_the_page_shown_in_a_browser_reads_the_reminder(self):
        _contract, reminder, path = self._reminder_link(4, "renew")
        reminder.sudo().state = "sent"
        # Done once the page's beacon got its answer.
        code = """
            const done = () => performance.getEntriesByType("resource").some(
                (entry) => entry.name.includes("/seen")
            );
            const wait = () => done()
                ? console.log("test successful")
                : setTimeout(wait, 100);
            wait();
        """
        self.browser_js(path, code)
        self.assertEqual(reminder.state, "clicked")
        self.assertTrue(reminder.clicked_date)
        self.assertFalse(reminder.answer)

    def test_a_customer_answers_renew_on_a_phone(self):
        contract, reminder, path = self._reminder_link(1, "renew")
        self.start_tour(path, "renewal_answer_renew_tour")
        self.assertEqual(reminder.answer, "renew")
        self.assertEqual(reminder.answer_note, "Glad to continue")
        self.assertEqual(contract.renewal_state, "accepted")
        self.assertEqual(reminder.answer_activity_id.user_id, self.salesperson)

    def test_a_customer_asks_for_more_time_on_a_phone(self):
        contract, reminder, path = self._reminder_link(2, "more_time")
        # The email's "more time" button opens that form; the tour first goes
        # back to the three answers, as a customer changing their mind does.
        path = path.split("?")[0]
        self.start_tour(path, "renewal_answer_more_time_tour")
        self.assertEqual(reminder.answer, "more_time")
        self.assertEqual(reminder.answer_reason, "budget_pending")
        self.assertEqual(contract.renewal_state, "more_time")
        self.assertEqual(contract.renewal_grace_days, 10)

    def test_a_customer_will_not_renew_on_a_phone(self):
        contract, reminder, path = self._reminder_link(3, "not_renew")
        self.start_tour(path.split("?")[0], "renewal_answer_not_renew_tour")
        self.assertEqual(contract.renewal_state, "lost")
        self.assertEqual(
            contract.renewal_lost_reason_id,
            self.env.ref("renewal_reminder.renewal_lost_reason_competitor"),
        )
