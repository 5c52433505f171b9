from datetime import date

from odoo.tests import Form, freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalTemplates(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})

    def _send_first_stage(self, partner, **contract_values):
        contract = self._create_contract(
            partner, date_end=date(2027, 3, 31), **contract_values
        )
        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        return contract, contract.renewal_reminder_ids.filtered(
            lambda r: r.state == "queued"
        )

    def test_reminder_is_personalised(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Ann Buyer",
                "parent_id": self.customer_gold.id,
                "email": "ann@bluepeak.example.com",
            }
        )
        self.salesperson.signature = "<p>Sally, your account manager</p>"
        _contract, reminder = self._send_first_stage(contact, code="CT-0042")
        body = reminder.body
        self.assertIn("Dear Ann Buyer (Bluepeak Analytics)", body)
        self.assertIn("CT-0042", body)
        self.assertIn("03/31/2027", body)
        self.assertIn("12,000.00", body)
        self.assertIn("Sally Sales", body)
        self.assertIn("Sally, your account manager", body)
        self.assertIn("o_renewal_answer_links", body)
        self.assertIn("max-width:600px", body)
        self.assertEqual(reminder.recipient_id, contact)

    def test_final_reminder_carries_the_policy_offer(self):
        self.policy_standard.offer_code = "RENEW10"
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-28"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        final = contract.renewal_reminder_ids.filtered(lambda r: r.state == "queued")
        self.assertEqual(final.tone, "final")
        self.assertIn("RENEW10", final.body)
        self.assertIn("Last days to renew", final.subject)

    def test_the_email_is_a_renewal_notice_in_the_companys_frame(self):
        company = self.env.company
        company.write(
            {
                "street": "12 Harbour Road",
                "zip": "4000",
                "city": "Brisbane",
                "phone": "+61 7 5550 1234",
                "email": "hello@company.example.com",
                "website": "https://company.example.com",
                "report_footer": "<p>Registered in Queensland, ABN 12 345</p>",
                "logo": (
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
                ),
            }
        )
        self.salesperson.signature = "<p>Sally, your account manager</p>"
        contract, reminder = self._send_first_stage(self.customer_gold)
        html = reminder.mail_id.body_html
        # Odoo's notification machinery with the renewal layout around it.
        self.assertIn("o_renewal_layout", html)
        self.assertIn('name="viewport"', html)
        self.assertIn("Renewal of your contract", html)
        self.assertIn(contract.display_name, html)
        self.assertIn(f"/logo.png?company={company.id}", html)
        self.assertIn("12 Harbour Road, 4000 Brisbane", html)
        self.assertIn("+61 7 5550 1234", html)
        self.assertIn("hello@company.example.com", html)
        self.assertIn("Registered in Queensland", html)
        self.assertIn("Sally, your account manager", html)
        self.assertIn("Dear Bluepeak Analytics", html)
        # Fluid: nothing holds it wider than a phone.
        self.assertNotRegex(html, r"min-width:\s*5\d\dpx")
        self.assertNotIn('width="590"', html)
        self.assertNotIn("Powered by", html)

    def test_reminder_renders_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["renewal_reminder"], ["zh_CN"], overwrite=True
        )
        customer = self.env["res.partner"].create(
            {
                "name": "华信科技",
                "is_company": True,
                "email": "renewals@huaxin.example.cn",
                "lang": "zh_CN",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        _contract, reminder = self._send_first_stage(customer)
        self.assertIn("华信科技", reminder.body)
        # Chinese wording and the Chinese date format.
        self.assertIn("您的合同", reminder.subject)
        self.assertIn("2027年03月31日", reminder.subject)
        self.assertNotIn("Dear", reminder.body)

    def test_admin_previews_a_policy_and_sends_the_sequence_to_themselves(self):
        contract = self._create_contract(self.customer_gold, date_end=date(2027, 4, 30))
        self.manager.email = "mona@example.com"
        preview = Form(
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .with_context(default_policy_id=self.policy_gold.id)
        )
        preview.contract_id = contract
        wizard = preview.save()
        timeline = str(wizard.timeline)
        # Dates in the user's own format.
        for day in ("03/16/2027", "03/31/2027", "04/15/2027", "04/23/2027"):
            self.assertIn(day, timeline)
        self.assertNotIn("2027-03-16", timeline)
        self.assertLess(timeline.index("03/16/2027"), timeline.index("04/23/2027"))
        # Nothing went out yet in this cycle: no stage is marked.
        self.assertNotIn("o_renewal_stage_state", timeline)
        self.assertIn("Last days to renew", timeline)
        with self.mock_mail_gateway():
            wizard.action_send_test()
        sent = self._new_mails
        self.assertEqual(len(sent), 4)
        self.assertEqual(set(sent.mapped("email_to")), {self.manager.email_formatted})
        self.assertTrue(
            all(subject.startswith("[Test ") for subject in sent.mapped("subject"))
        )
        # A test is not a reminder: the customer's log stays empty.
        self.assertFalse(contract.renewal_reminder_ids)

    def test_the_preview_marks_the_stages_this_cycle_already_handled(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 4, 30)
        )
        with freeze_time("2027-04-20"):
            # A late start: the latest due stage goes out, earlier ones are
            # superseded.
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminders = contract.renewal_reminder_ids
        sent = reminders.filtered(lambda r: r.state == "queued")
        self.assertEqual(len(sent), 1)
        wizard = (
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .create({"policy_id": self.policy_standard.id, "contract_id": contract.id})
        )
        timeline = str(wizard.timeline)
        self.assertEqual(
            timeline.count("o_renewal_stage_state"),
            len(reminders.filtered("stage_id")),
        )
        heading = timeline[: timeline.index("</h5>", timeline.index("Queued on"))]
        self.assertIn(sent.stage_id.name, heading[heading.rindex("<h5>") :])
        self.assertIn("Queued on 04/20/2027", timeline)
        if reminders - sent:
            self.assertIn("Skipped: ", timeline)
