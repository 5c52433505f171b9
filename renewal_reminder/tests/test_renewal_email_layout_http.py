import json
from datetime import date

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalEmailOnAPhone(RenewalCommon, HttpCase):
    """The reminder email as a phone's browser lays it out, 390 px wide."""

    browser_size = "390x844"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read the manifests once, before the browser's parallel requests.
        cls.addon_statics = http.root.statics

    def test_a_reminder_fits_a_phone_screen(self):
        self.env.company.write(
            {
                "street": "12 Harbour Road, Building with a rather long name",
                "city": "Brisbane",
                "website": "https://www.a-company-with-a-long-domain.example.com",
                "email": "renewals-and-customer-care@a-long-domain.example.com",
            }
        )
        contract = self._create_contract(
            self.customer_gold, date_end=date(2027, 3, 31), code="CT-0042"
        )
        with freeze_time("2027-03-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminder = contract.renewal_reminder_ids.filtered(lambda r: r.state == "queued")
        html = reminder.mail_id.body_html
        self.assertIn("o_renewal_layout", html)
        # The email replaces a page of the server's, as a mail app shows it.
        code = """
            document.open();
            document.write(%s);
            document.close();
            const root = document.documentElement;
            const frame = document.querySelector('.o_renewal_layout');
            if (!frame) {
                console.error('The renewal layout is not in the email.');
            } else if (root.scrollWidth > window.innerWidth) {
                console.error(
                    `The email is ${root.scrollWidth}px wide on a `
                    + `${window.innerWidth}px screen.`
                );
            } else if (frame.getBoundingClientRect().width > window.innerWidth) {
                console.error('The message frame is wider than the screen.');
            } else if (!document.body.innerText.includes('CT-0042')) {
                console.error('The contract is not in the email.');
            } else {
                console.log('test successful');
            }
        """ % json.dumps(html)
        self.browser_js("/web/login", code)
