from datetime import date

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.renewal_reminder.tests.common import RenewalCommon
from odoo.addons.sms.tests.common import SMSCase

from ..tools import renewal_sms


@tagged("post_install", "-at_install")
class TestRenewalSms(RenewalCommon, SMSCase, MockEmail):
    """Stages sent by SMS, through Odoo's SMS, on real Odoo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.au = cls.env.ref("base.au")
        cls.customer_standard.write({"mobile": "0412 345 678", "country_id": cls.au.id})
        # Every stage of the Standard policy by SMS.
        cls.policy_standard.stage_ids.write({"channel": "sms"})

    def _send_queue(self):
        """Odoo's SMS queue, as its scheduled action runs it."""
        self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()

    def _run(self, contract, day="2027-03-01"):
        with freeze_time(day), self.mockSMSGateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self._send_queue()
        return contract.renewal_reminder_ids.filtered(lambda r: r.stage_id)

    def test_an_sms_stage_sends_a_text_in_the_chatter_with_its_links(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31), code="CT-SMS"
        )
        reminder = self._run(contract).filtered(lambda r: r.state != "skipped")
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.channel, "sms")
        self.assertEqual(reminder.sms_number, "+61412345678")
        sent = [sms for sms in self._sms if sms["number"] == "+61412345678"]
        self.assertEqual(len(sent), 1)
        body = sent[0]["body"]
        self.assertIn("CT-SMS", body)
        self.assertIn("03/31/2027", body)
        self.assertNotIn("{{", body)
        # Short links, tracked by Odoo's link_tracker.
        codes = [word.rsplit("/r/", 1)[1] for word in body.split() if "/r/" in word]
        # Not guessable: Odoo's own short codes start at three characters.
        self.assertTrue(all(len(code) >= 12 for code in codes), codes)
        trackers = self.env["link.tracker.code"].search([("code", "in", codes)]).link_id
        self.assertEqual(len(trackers), 2)
        self.assertTrue(any("/renewal/answer/" in t.url for t in trackers))
        self.assertTrue(any("/renewal/sms/stop/" in t.url for t in trackers))
        # Written in the contract's chatter like the email.
        self.assertEqual(reminder.message_id.message_type, "sms")
        self.assertEqual(reminder.message_id.model, "contract.contract")
        self.assertEqual(reminder.message_id.res_id, contract.id)
        # The provider took it: sent.
        self.assertEqual(reminder.state, "sent")

    def test_numbers_that_cannot_take_an_sms_are_skipped_with_their_reason(self):
        self.env["phone.blacklist"].sudo().create({"number": "+61412000999"})
        cases = {
            renewal_sms.REASON_NO_PHONE: {"mobile": False, "phone": False},
            renewal_sms.REASON_INVALID_PHONE: {"mobile": "12", "phone": False},
            renewal_sms.REASON_PHONE_BLACKLISTED: {"mobile": "0412 000 999"},
        }
        contracts = {}
        for code, values in cases.items():
            partner = self.env["res.partner"].create(
                {
                    "name": f"SMS {code}",
                    "is_company": True,
                    "country_id": self.au.id,
                    "renewal_tier_id": self.tier_standard.id,
                    **values,
                }
            )
            contracts[code] = self._create_contract(partner, date_end=date(2027, 3, 31))
        good = self._create_contract(self.customer_standard, date_end=date(2027, 3, 31))
        self._run(good)
        for code, contract in contracts.items():
            reminder = contract.renewal_reminder_ids.filtered(
                lambda r: r.reason_code != "superseded"
            )
            with self.subTest(code=code):
                self.assertEqual(reminder.state, "skipped")
                self.assertEqual(reminder.reason_code, code)
                self.assertTrue(reminder.reason)
        # The others still went out.
        self.assertTrue(
            good.renewal_reminder_ids.filtered(lambda r: r.state in ("sent", "queued"))
        )
        self.assertEqual(
            len([sms for sms in self._sms if sms["number"] == "+61412345678"]), 1
        )

    def test_delivery_reports_move_the_reminder_forward(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        reminder = self._run(contract).filtered(lambda r: r.state != "skipped")
        self.assertEqual(reminder.state, "sent")
        notification = reminder.message_id.notification_ids
        notification.sudo().write({"notification_status": "sent"})
        self.assertEqual(reminder.state, "delivered")
        self.assertTrue(reminder.delivered_date)
        # A delivered stage is handled: the next days send nothing again.
        before = len(contract.renewal_reminder_ids)
        self._sms.clear()
        self._run(contract, day="2027-03-02")
        self.assertEqual(len(contract.renewal_reminder_ids), before)
        self.assertFalse(self._sms)
        # A late failure report does not undo a delivery.
        notification.sudo().write(
            {"notification_status": "exception", "failure_type": "sms_server"}
        )
        self.assertEqual(reminder.state, "delivered")
        self.assertTrue(reminder.delivered_date)

    def test_a_provider_failure_is_the_reminders_reason(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-01"), self.mockSMSGateway(sim_error="credit"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self._send_queue()
        reminder = contract.renewal_reminder_ids.filtered(
            lambda r: r.state != "skipped"
        )
        self.assertEqual(reminder.state, "failed")
        self.assertEqual(reminder.reason_code, "sms_provider")
        self.assertTrue(reminder.reason)

    def test_a_chinese_customer_gets_a_chinese_sms_and_the_size_says_ucs2(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["renewal_reminder", "renewal_reminder_sms"], ["zh_CN"], overwrite=True
        )
        customer = self.env["res.partner"].create(
            {
                "name": "上海客户",
                "is_company": True,
                "lang": "zh_CN",
                "mobile": "+86 139 1234 5678",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        contract = self._create_contract(customer, date_end=date(2027, 3, 31))
        self._run(contract)
        [sent] = [sms for sms in self._sms if sms["number"] == "+8613912345678"]
        self.assertIn("合同", sent["body"])
        self.assertEqual(renewal_sms.encoding(sent["body"]), "ucs2")
        template = self.env.ref("renewal_reminder_sms.sms_template_renewal_final")
        self.assertEqual(template.renewal_sms_encoding, "gsm7")
        chinese = template.with_context(lang="zh_CN")
        self.assertEqual(chinese.renewal_sms_encoding, "ucs2")
        self.assertGreaterEqual(chinese.renewal_sms_segments, 1)

    def test_a_held_sms_is_sent_by_sms_once_approved(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        self.policy_standard.stage_ids.write({"review_required": True})
        reminder = self._run(contract).filtered(lambda r: r.state == "review")
        self.assertEqual(len(reminder), 1)
        self.assertIn("Stop SMS", str(reminder.body))
        # An emptied SMS is refused.
        saved = reminder.draft_body
        reminder.with_user(self.salesperson).body = "<p> </p>"
        with self.assertRaisesRegex(UserError, "empty"):
            reminder.with_user(self.salesperson).action_approve()
        reminder.with_user(self.salesperson).body = saved
        with self.mockSMSGateway():
            reminder.with_user(self.salesperson).action_approve()
            self._send_queue()
        self.assertEqual(reminder.state, "sent")
        self.assertFalse(reminder.mail_id)
        [sent] = [sms for sms in self._sms if sms["number"] == "+61412345678"]
        self.assertIn("Stop SMS", sent["body"])
        # Its links once each: no footnotes from the HTML it waited in.
        self.assertEqual(sent["body"].count("/r/"), 2)

    def test_the_preview_tells_what_each_sms_costs(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        wizard = (
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .create({"policy_id": self.policy_standard.id, "contract_id": contract.id})
        )
        timeline = str(wizard.timeline)
        self.assertIn("o_renewal_sms_size", timeline)
        self.assertRegex(timeline, r"SMS: \d+ characters, GSM-7, \d SMS")
        # The test sequence is emails: an SMS stage sends nothing by email.
        self.manager.email = "mona@example.com"
        with self.mockSMSGateway():
            wizard.action_send_test()
        self.assertFalse(self._sms)

    def test_an_email_and_sms_stage_sends_both_each_with_its_own_log_line(self):
        self.policy_standard.stage_ids.write({"channel": "email_sms"})
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31), code="CT-BOTH"
        )
        # A customer without a number still gets the email.
        no_phone = self.env["res.partner"].create(
            {
                "name": "Paper Mill",
                "is_company": True,
                "email": "office@papermill.example.com",
                "renewal_tier_id": self.tier_standard.id,
            }
        )
        other = self._create_contract(no_phone, date_end=date(2027, 3, 31))
        with self.mock_mail_gateway():
            reminders = self._run(contract).filtered(lambda r: r.state != "skipped")
            self.env["mail.mail"].sudo().process_email_queue()
        self.assertEqual(
            sorted(reminders.mapped("channel")), ["email", "sms"], reminders
        )
        email = reminders.filtered(lambda r: r.channel == "email")
        sms = reminders - email
        self.assertEqual(email.stage_id, sms.stage_id)
        self.assertEqual(email.email_to, '"Harbor Dental" <office@harbor.example.com>')
        self.assertEqual(sms.sms_number, "+61412345678")
        self.assertEqual(sms.state, "sent")
        [text] = [s["body"] for s in self._sms if s["number"] == "+61412345678"]
        self.assertIn("CT-BOTH", text)
        mails = [
            m for m in self._mails if "office@harbor.example.com" in m["email_to"][0]
        ]
        self.assertEqual(len(mails), 1)
        self.assertIn("CT-BOTH", mails[0]["body"])
        # One follow-up for the salesperson, not one per channel.
        follow = self.env.ref("renewal_reminder.mail_activity_type_renewal_follow_up")
        self.assertEqual(
            len(contract.activity_ids.filtered(lambda a: a.activity_type_id == follow)),
            1,
        )
        # The customer without a number: the email, and the SMS skipped with
        # its reason.
        lines = other.renewal_reminder_ids.filtered(lambda r: r.state != "skipped")
        self.assertEqual(lines.channel, "email")
        self.assertEqual(lines.state, "sent")
        skipped = other.renewal_reminder_ids.filtered(
            lambda r: r.reason_code == renewal_sms.REASON_NO_PHONE
        )
        self.assertEqual(skipped.channel, "sms")
        # The stage is done: the next day sends nothing on either channel.
        self._sms.clear()
        count = len(contract.renewal_reminder_ids)
        with self.mock_mail_gateway():
            self._run(contract, day="2027-03-02")
            self.assertFalse(self._new_mails)
        self.assertEqual(len(contract.renewal_reminder_ids), count)
        self.assertFalse(self._sms)
        # The preview shows both messages of the stage, with their status.
        wizard = (
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .create({"policy_id": self.policy_standard.id, "contract_id": contract.id})
        )
        timeline = str(wizard.timeline)
        self.assertIn("o_renewal_sender", timeline)
        self.assertIn("o_renewal_sms_size", timeline)
        self.assertIn("Email: Sent", timeline)
        self.assertIn("SMS: Sent", timeline)
