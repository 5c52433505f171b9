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
        self.assertEqual(mail.reply_to, "renewals-answers@example.com")
        self.assertEqual(mail.mail_server_id, server)
        # The template's layout, not the renewal one.
        self.assertNotIn("o_renewal_layout", mail.body_html)
        self.assertIn("<html", mail.body_html)
        self.assertTrue(mail.auto_delete)
        # Kept in the chatter once sent (auto_delete_keep_log).
        self.assertTrue(mail.is_notification)
        # The cc address becomes a recipient, as in Odoo's composer.
        cc = mail.recipient_ids.filtered(
            lambda p: p.email == "accounting@harbor.example.com"
        )
        self.assertTrue(cc)
        self.assertIn(cc, message.notification_ids.res_partner_id)
        self.assertIn(self.customer_standard, mail.recipient_ids)
        # The template's file, copied onto the email.
        self.assertEqual(mail.attachment_ids.mapped("name"), ["renewal-offer.txt"])
        self.assertNotEqual(mail.attachment_ids, leaflet)
        self.assertEqual(leaflet.res_model, "mail.template")
        self.assertEqual(message.model, "contract.contract")
        self.assertEqual(message.res_id, contract.id)

    def test_a_scheduled_template_sends_on_its_date(self):
        self.stage.mail_template_id = self.gentle.copy(
            {"scheduled_date": "{{ object.renewal_cycle_end }}"}
        )
        contract = self._create_contract(self.customer_standard)
        reminder = self._send(contract)
        # Odoo's mail queue holds it until the template's date.
        mail = reminder.mail_id
        self.assertTrue(mail)
        self.assertEqual(mail.scheduled_date.date(), contract.renewal_cycle_end)
        self.assertEqual(mail.recipient_ids, self.customer_standard)
        with freeze_time("2027-03-02 12:00"), self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue(ids=mail.ids)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(reminder.state, "queued")
        with freeze_time("2027-03-31 12:00"), self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue(ids=mail.ids)
        self.assertEqual(reminder.state, "sent")

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
        # Signed by the template (the salesperson), never by whoever runs
        # the pass or asks for the test.
        for body in (tests.body_html, reminder.mail_id.body_html):
            self.assertNotIn('<div style="font-size: 13px;">', body)

    def test_templates_render_with_odoo_own_rendering(self):
        # No private copy of Odoo's sandbox or of its QWeb compilation.
        source = inspect.getsource(mail_template)
        for private in ("_SAFE_OPCODES", "_BUILTINS", "unsafe_eval", "_compile"):
            self.assertNotIn(private, source)
        contract = self._create_contract(self.customer_standard, code="CT-7")
        template = self.gentle.with_context(lang="en_US")
        ours = template._renewal_render_batch(contract.ids)[contract.id]
        for fname in ("subject", "body_html", "email_from"):
            odoo = template._render_field(fname, contract.ids, compute_lang=True)
            self.assertEqual(ours[fname], odoo[contract.id])
        self.assertIn("CT-7", ours["subject"])

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
        self.assertEqual(reminder.mail_id.reply_to, "urgent-answers@example.com")
        self.assertNotIn("o_renewal_layout", reminder.mail_id.body_html)

    def _backup_gets_it(self, layout="mail.mail_notification_layout"):
        """A reminder of a customer without an address, in ``layout``: it
        goes to the customer's backup renewal contact."""
        backup = self.env["res.partner"].create(
            {"name": "Bruno Backup", "email": "bruno@backup.example.com"}
        )
        customer = self.env["res.partner"].create(
            {
                "name": "Quiet Dental",
                "renewal_tier_id": self.tier_standard.id,
                "renewal_backup_partner_id": backup.id,
            }
        )
        self.stage.mail_template_id = self.gentle.copy({"email_layout_xmlid": layout})
        return customer, backup, self._create_contract(customer)

    def test_the_backup_contact_gets_links_of_their_own(self):
        customer, backup, contract = self._backup_gets_it()
        reminder = self._send(contract)
        mail = reminder.mail_id
        self.assertEqual(mail.recipient_ids, backup)
        # Odoo's layout is made for its recipient: no link of the
        # customer's own (their portal account, their identity in the
        # chatter) reaches the backup contact.
        self.assertIn("Dear Quiet Dental", mail.body_html)
        self.assertNotIn(f"pid={customer.id}", mail.body_html)

    def test_a_test_of_the_policy_carries_no_customer_link(self):
        customer, _backup, contract = self._backup_gets_it()
        contract.partner_id.email = "quiet@dental.example.com"
        preview = self._preview(contract)
        with self.mock_mail_gateway():
            preview.action_send_test()
        tests = self._new_mails.filtered(lambda m: "[Test 30 days]" in m.subject)
        self.assertEqual(tests.email_to, self.manager.email_formatted)
        self.assertIn("<html", tests.body_html)
        self.assertNotIn(f"pid={customer.id}", tests.body_html)
        self.assertNotIn("auth_signup_token", tests.body_html)

    def test_a_company_that_opted_out_is_not_reached_through_its_backup(self):
        backup = self.env["res.partner"].create(
            {"name": "Outside Olga", "email": "olga@elsewhere.example.com"}
        )
        company = self.env["res.partner"].create(
            {
                "name": "Opted Out Dental",
                "is_company": True,
                "renewal_tier_id": self.tier_standard.id,
                "renewal_backup_partner_id": backup.id,
                "renewal_opt_out": True,
            }
        )
        contact = self.env["res.partner"].create(
            {"name": "Contact Without Email", "parent_id": company.id}
        )
        contract = self._create_contract(contact)
        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._process_due_contracts(
                contract, date(2027, 3, 1)
            )
        reminder = contract.renewal_reminder_ids
        self.assertEqual(reminder.state, "skipped")
        self.assertEqual(reminder.reason_code, "opted_out")
        self.assertFalse(reminder.mail_id)

    def test_a_client_cannot_hand_the_composer_prepared_reminders(self):
        # What a client writes in its context (as over XML-RPC) is plain
        # data: the composer renders what the user wrote, to whom it says.
        contract = self._create_contract(self.customer_standard)
        stranger = self.env["res.partner"].create(
            {"name": "Stranger", "email": "stranger@example.com"}
        )
        forged = {
            contract.id: {
                "subject": "Forged",
                "body": "<p>Forged</p>",
                "log_body": "<p>Forged</p>",
                "email_from": "ceo@example.com",
                "lang": "en_US",
                "author_id": self.manager.partner_id.id,
                "record_name": "Forged",
                "partner_ids": [stranger.id],
                "headers": {"X-Forged": "1"},
                "unsubscribe_url": "https://evil.example.com",
            }
        }
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.salesperson)
            .with_context(renewal_mail_prepared=forged)
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": "contract.contract",
                    "res_ids": contract.ids,
                    "subject": "My own words",
                    "body": "<p>Hello</p>",
                }
            )
        )
        with self.mock_mail_gateway():
            mails, _messages = composer._action_send_mail()
        self.assertEqual(mails.subject, "My own words")
        self.assertNotIn(stranger, mails.recipient_ids)
        self.assertNotIn("X-Forged", mails.headers or "")
        self.assertNotEqual(mails.author_id, self.manager.partner_id)
