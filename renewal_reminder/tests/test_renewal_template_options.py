import base64
import inspect
import re
from datetime import date

from odoo.tests import Form, freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models import mail_template
from .common import RenewalCommon

SETTINGS_SENDER = "Renewals <renewals@example.com>"


@tagged("post_install", "-at_install")
class TestRenewalTemplateOptions(RenewalCommon, MockEmail):
    """Everything a template says is honoured, and a test sequence is what
    the customer gets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.gentle = cls.env.ref("renewal_reminder.mail_template_renewal_gentle")
        cls.stage = cls.policy_standard.stage_ids.filtered(
            lambda stage: stage.days_before == 30
        )
        cls.params = cls.env["ir.config_parameter"].sudo()

    def _send(self, contract, day="2027-03-01"):
        with freeze_time(day), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._process_due_contracts(
                contract, date.fromisoformat(day)
            )
        reminder = contract.renewal_reminder_ids.filtered(lambda r: r.state == "queued")
        self.assertEqual(len(reminder), 1)
        return reminder

    def test_what_the_template_says_goes_out(self):
        server = self.env["ir.mail_server"].create(
            {"name": "Renewals relay", "smtp_host": "relay.example.com"}
        )
        leaflet = self.env["ir.attachment"].create(
            {
                "name": "renewal-offer.txt",
                "datas": base64.b64encode(b"Renew now"),
                "res_model": "mail.template",
            }
        )
        template = self.gentle.copy(
            {
                "email_cc": "accounting@harbor.example.com",
                "reply_to": "renewals-answers@example.com",
                "mail_server_id": server.id,
                "email_layout_xmlid": "mail.mail_notification_light",
                "auto_delete": True,
                "attachment_ids": [(6, 0, leaflet.ids)],
            }
        )
        self.stage.mail_template_id = template
        contract = self._create_contract(self.customer_standard)
        reminder = self._send(contract)
        message, mail = reminder.message_id, reminder.mail_id
        self.assertEqual(message.reply_to, "renewals-answers@example.com")
        self.assertEqual(message.mail_server_id, server)
        self.assertEqual(mail.mail_server_id, server)
        self.assertEqual(message.email_layout_xmlid, "mail.mail_notification_light")
        self.assertTrue(mail.auto_delete)
        # The cc address becomes a recipient, as in Odoo's composer.
        cc = message.partner_ids.filtered(
            lambda p: p.email == "accounting@harbor.example.com"
        )
        self.assertTrue(cc)
        self.assertIn(cc, message.notification_ids.res_partner_id)
        self.assertIn(self.customer_standard, message.partner_ids)
        # The template's file, copied onto the message and the contract.
        self.assertEqual(message.attachment_ids.mapped("name"), ["renewal-offer.txt"])
        self.assertNotEqual(message.attachment_ids, leaflet)
        self.assertEqual(message.attachment_ids.res_model, "contract.contract")
        self.assertEqual(message.attachment_ids.res_id, contract.id)
        self.assertEqual(leaflet.res_model, "mail.template")

    def test_a_scheduled_template_sends_on_its_date(self):
        self.stage.mail_template_id = self.gentle.copy(
            {"scheduled_date": "{{ object.renewal_cycle_end }}"}
        )
        contract = self._create_contract(self.customer_standard)
        reminder = self._send(contract)
        schedule = self.env["mail.message.schedule"].search(
            [("mail_message_id", "=", reminder.message_id.id)]
        )
        self.assertTrue(schedule)
        self.assertFalse(reminder.mail_id)
        with freeze_time("2027-03-31 12:00"), self.mock_mail_gateway():
            schedule._send_notifications()
        self.assertTrue(reminder.mail_id)
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_standard)

    def test_a_salesperson_without_email_sends_from_the_settings_sender(self):
        self.other_salesperson.email = False
        self.params.set_param("renewal_reminder.sender_email", SETTINGS_SENDER)
        contract = self._create_contract(
            self.customer_standard, user=self.other_salesperson
        )
        reminder = self._send(contract)
        self.assertEqual(reminder.message_id.email_from, SETTINGS_SENDER)
        self.assertEqual(reminder.mail_id.email_from, SETTINGS_SENDER)

    def test_without_settings_sender_the_company_sends(self):
        self.params.set_param("renewal_reminder.sender_email", False)
        self.company.email = "hello@yourcompany.example.com"
        self.other_salesperson.email = False
        contract = self._create_contract(
            self.customer_standard, user=self.other_salesperson
        )
        reminder = self._send(contract)
        self.assertEqual(reminder.message_id.email_from, self.company.email_formatted)
        preview = self._preview(contract)
        self.assertIn("the company&#39;s address", str(preview.timeline))
        self.assertIn("hello@yourcompany.example.com", str(preview.timeline))

    def _preview(self, contract):
        self.manager.email = "mona@example.com"
        form = Form(
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .with_context(default_policy_id=self.policy_standard.id)
        )
        form.contract_id = contract
        return form.save()

    def test_the_test_sequence_is_what_the_customer_gets(self):
        self.params.set_param("renewal_reminder.sender_email", SETTINGS_SENDER)
        contract = self._create_contract(self.customer_standard)
        preview = self._preview(contract)
        self.assertIn("the sender of the Renewals settings", str(preview.timeline))
        with self.mock_mail_gateway():
            preview.action_send_test()
        tests = self._new_mails.filtered(lambda m: "[Test 30 days]" in m.subject)
        self.assertEqual(len(tests), 1)
        self.assertEqual(tests.email_to, self.manager.email_formatted)
        self.assertFalse(tests.recipient_ids)
        self.assertFalse(contract.renewal_reminder_ids)
        # The customer's email of the same stage.
        reminder = self._send(contract)
        self.assertEqual(tests.email_from, reminder.mail_id.email_from)
        self.assertEqual(tests.email_from, SETTINGS_SENDER)
        self.assertEqual(tests.reply_to, reminder.message_id.reply_to)

        def unsigned(html):
            # The links' signatures are made at sending time; the answer
            # links of a test open no reminder.
            html = re.sub(r"(hash|token)=[\w-]+", r"\1=", str(html))
            return re.sub(
                r"/renewal/(answer|unsubscribe)/[\w-]+", r"/renewal/\1/", html
            )

        self.assertIn("<html", tests.body_html)
        self.assertEqual(
            unsigned(tests.body_html), unsigned(reminder.mail_id.body_html)
        )

    def test_templates_render_with_odoo_own_sandbox(self):
        # No private copy of Odoo's sandbox (its opcodes, builtins or
        # unchecked evaluation) in the rendering.
        source = inspect.getsource(mail_template)
        for private in ("_SAFE_OPCODES", "_BUILTINS", "unsafe_eval", "test_expr"):
            self.assertNotIn(private, source)
        contract = self._create_contract(self.customer_standard, code="CT-7")
        template = self.gentle.with_context(lang="en_US")
        ours = template._renewal_render_inline(template.subject, contract.ids)
        odoo = template._render_field("subject", contract.ids)
        self.assertEqual(ours, odoo)
        self.assertIn("CT-7", ours[contract.id])
        # A body compiled once is kept where Odoo keeps its compiled
        # templates, and goes when they go.
        compiled = type(self.env["mail.template"])._renewal_compiled_body
        self.assertEqual(compiled.__cache__.cache_name, "templates")
        body = template._renewal_render_body(contract.ids)[contract.id]
        self.assertIn("CT-7", body)

    def test_an_urgent_reminder_goes_out_as_its_template_says(self):
        template = self.env.ref("renewal_reminder.mail_template_renewal_warning").copy(
            {
                "reply_to": "urgent-answers@example.com",
                "email_layout_xmlid": "mail.mail_notification_light",
            }
        )
        contract = self._create_contract(self.customer_standard)
        wizard = (
            self.env["renewal.urgent.reminder"]
            .with_user(self.salesperson)
            .create({"contract_id": contract.id, "template_id": template.id})
        )
        with self.mock_mail_gateway():
            wizard.action_send()
        reminder = contract.renewal_reminder_ids
        self.assertEqual(reminder.trigger, "urgent")
        self.assertEqual(reminder.message_id.reply_to, "urgent-answers@example.com")
        self.assertEqual(
            reminder.message_id.email_layout_xmlid, "mail.mail_notification_light"
        )
