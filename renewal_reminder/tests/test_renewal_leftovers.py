"""A half-rendered template is refused; a customer's own words never are."""

from datetime import date

from odoo import Command
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalLeftovers(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.Reminder = cls.env["renewal.reminder"]

    def _run(self, day, contracts):
        with freeze_time(day), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        return self.Reminder.search([("contract_id", "in", contracts.ids)])

    def test_a_customer_whose_name_looks_like_a_placeholder_is_reminded(self):
        hostile = self.env["res.partner"].create(
            {
                "name": "Pat {{ renewals }} ${x} t-out",
                "is_company": True,
                "email": "pat@customer.example.com",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        contract = self._create_contract(
            hostile, date_end=date(2027, 3, 31), name="object.name {{ contract }}"
        )
        reminder = self._run("2027-03-01", contract)
        self.assertEqual(reminder.state, "queued", reminder.reason)
        self.assertFalse(reminder.reason_code)
        self.assertIn("Pat {{ renewals }} ${x} t-out", reminder.body)
        self.assertIn("object.name {{ contract }}", reminder.subject)
        self.assertEqual(reminder.mail_id.recipient_ids, hostile)

    def test_a_template_with_its_own_placeholders_is_refused(self):
        template = self.env["mail.template"].create(
            {
                "name": "Half rendered",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "subject": "Renewal of {{ object.name }}",
                "body_html": '<p>Dear ${partner_name}, <a href="{{ url }}">renew</a>'
                "</p>",
            }
        )
        policy = self.env["renewal.policy"].create(
            {
                "name": "Half rendered",
                "tier_id": self.tier_standard.id,
                "min_recurring_value": 1,
                "stage_ids": [
                    Command.create({"days_before": 30, "mail_template_id": template.id})
                ],
            }
        )
        contract = self._create_contract(self.customer_standard)
        contract.renewal_policy_id = policy
        reminder = self._run("2027-03-01", contract)
        self.assertEqual(reminder.state, "failed")
        self.assertEqual(reminder.reason_code, "unrendered")
        self.assertIn("${", reminder.reason)
        self.assertIn("{{", reminder.reason)
        self.assertFalse(reminder.mail_id)

    def test_an_urgent_reminder_to_such_a_customer_goes_out(self):
        hostile = self.env["res.partner"].create(
            {
                "name": "Pat {{ renewals }}",
                "is_company": True,
                "email": "pat@customer.example.com",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        contract = self._create_contract(hostile)
        wizard = (
            self.env["renewal.urgent.reminder"]
            .with_user(self.salesperson)
            .create({"contract_id": contract.id})
        )
        self.assertIn("Pat {{ renewals }}", wizard.body)
        with self.mock_mail_gateway():
            wizard.action_send()
        reminder = self.Reminder.search([("contract_id", "=", contract.id)])
        self.assertEqual(reminder.state, "queued")
        # A placeholder the salesperson types is still caught.
        wizard = (
            self.env["renewal.urgent.reminder"]
            .with_user(self.salesperson)
            .create({"contract_id": contract.id})
        )
        wizard.body = wizard.body + "<p>Your code: ${offer}</p>"
        with self.assertRaisesRegex(Exception, r"\$\{"):
            wizard.action_send()
