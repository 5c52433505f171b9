from datetime import date, datetime

from odoo import Command
from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.renewal_reminder.tests.common import RenewalCommon
from odoo.addons.sms.tests.common import SMSCase

from ..tools import renewal_sms


@tagged("post_install", "-at_install")
class TestRenewalSmsFallback(RenewalCommon, SMSCase, MockEmail):
    """An email left unopened goes out again by SMS, once, where it can."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.customer_standard.write(
            {"mobile": "0412 345 678", "country_id": cls.env.ref("base.au").id}
        )
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-FALL"
        )
        # A manager chose the fallback (no policy has one until then).
        cls.policy_standard.with_user(cls.manager).fallback_channel = "sms"

    def _pass(self, moment):
        with freeze_time(moment), self.mock_mail_gateway(), self.mockSMSGateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["mail.mail"].sudo().process_email_queue()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()

    def _escalate(self, moment):
        with freeze_time(moment), self.mockSMSGateway():
            self.env["renewal.escalation"]._cron_escalate()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()

    def _lines(self, channel):
        return self.contract.renewal_reminder_ids.filtered(
            lambda r: r.channel == channel
        )

    def test_an_unopened_email_goes_out_again_by_sms_once(self):
        self.assertEqual(self.policy_standard.fallback_channel, "sms")
        self._pass("2027-03-01 10:00:00")
        email = self._lines("email")
        self.assertEqual(email.state, "sent")
        self.assertEqual(email.escalation_due, datetime(2027, 3, 2, 10, 0))
        self._escalate("2027-03-02 09:00:00")
        self.assertFalse(self._lines("sms"))
        self._escalate("2027-03-02 10:30:00")
        sms = self._lines("sms")
        self.assertEqual(len(sms), 1)
        self.assertEqual(
            (sms.stage_id, sms.trigger, sms.state),
            (email.stage_id, "fallback", "sent"),
        )
        self.assertEqual(sms.sms_number, "+61412345678")
        [text] = [s["body"] for s in self._sms if s["number"] == "+61412345678"]
        self.assertIn("CT-FALL", text)
        self.assertTrue(email.fallback_date)
        # Once: the pass again sends nothing more, and the SMS itself does
        # not escalate apart from its email.
        self._sms.clear()
        self._escalate("2027-03-03 10:30:00")
        self.assertFalse(self._sms)
        self.assertEqual(len(self._lines("sms")), 1)
        self.assertFalse(sms.escalation_due)

    def test_no_fallback_for_an_opened_email_or_a_stage_already_sending_sms(self):
        self._pass("2027-03-01 10:00:00")
        email = self._lines("email")
        self.env["renewal.delivery"]._note_engagement(
            {email: {"opened": datetime(2027, 3, 1, 18, 0)}}
        )
        self._escalate("2027-03-02 12:00:00")
        self.assertFalse(self._lines("sms"))
        # A stage sending both never falls back to what it already sent.
        other = self._create_contract(
            self.customer_standard, date_end=date(2027, 4, 30), code="CT-BOTH"
        )
        self.policy_standard.stage_ids.write({"channel": "email_sms"})
        self._pass("2027-03-31 10:00:00")
        lines = other.renewal_reminder_ids.filtered(lambda r: r.state != "skipped")
        self.assertEqual(sorted(lines.mapped("channel")), ["email", "sms"])
        self._escalate("2027-04-02 10:00:00")
        self.assertEqual(
            len(other.renewal_reminder_ids.filtered(lambda r: r.channel == "sms")), 1
        )

    def test_a_customer_who_stopped_sms_is_skipped_once_with_the_reason(self):
        self.customer_standard.renewal_sms_opt_out = True
        self._pass("2027-03-01 10:00:00")
        self._escalate("2027-03-02 10:30:00")
        sms = self._lines("sms")
        self.assertEqual(
            (sms.state, sms.reason_code, sms.trigger),
            ("skipped", renewal_sms.REASON_SMS_OPTED_OUT, "fallback"),
        )
        self.assertFalse(self._sms)
        self._escalate("2027-03-03 10:30:00")
        self.assertEqual(len(self._lines("sms")), 1)

    def test_a_stage_edited_to_send_sms_moves_the_next_check_on(self):
        self._pass("2027-03-01 10:00:00")
        email = self._lines("email")
        self.assertEqual(email.escalation_due, datetime(2027, 3, 2, 10, 0))
        # The stage now sends an SMS itself: no fallback any more, and the
        # next check is the silence's, not a stale one that keeps the pass
        # busy.
        email.stage_id.channel = "email_sms"
        self.assertEqual(email.escalation_due, datetime(2027, 3, 4, 10, 0))
        self._escalate("2027-03-02 10:30:00")
        self.assertFalse(self._lines("sms"))
        with freeze_time("2027-03-02 10:30:00"):
            self.assertEqual(self.env["renewal.escalation"]._cron_escalate(), 0)

    def test_no_policy_falls_back_to_sms_until_a_manager_chooses_it(self):
        # The policies made before this module was installed kept theirs.
        self.assertFalse(self.policy_gold.fallback_channel)
        self.assertFalse(self.policy_strategic.fallback_channel)
        # A new policy starts without one.
        Policy = self.env["renewal.policy"].with_user(self.manager)
        policy = Policy.create(
            {
                "name": "Newcomers",
                "stage_ids": [Command.create({"days_before": 30, "tone": "gentle"})],
            }
        )
        self.assertFalse(policy.fallback_channel)
        self.assertFalse(Policy.default_get(["fallback_channel"]))

    def test_a_policy_without_fallback_sends_nothing_more(self):
        self.policy_standard.fallback_channel = False
        self._pass("2027-03-01 10:00:00")
        self.assertEqual(
            self._lines("email").escalation_due, datetime(2027, 3, 4, 10, 0)
        )
        self._escalate("2027-03-02 10:30:00")
        self.assertFalse(self._lines("sms"))


@tagged("post_install", "-at_install")
class TestRenewalSmsSendingHours(RenewalCommon, SMSCase):
    """An SMS waits in the reminder log for the customer's sending hours."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.policy_standard.write(
            {"calendar_id": cls.sending_hours.id, "fallback_channel": False}
        )
        cls.policy_standard.stage_ids.write({"channel": "sms"})
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Shanghai Trading",
                "is_company": True,
                "tz": "Asia/Shanghai",
                "mobile": "+86 139 1234 5678",
                "renewal_tier_id": cls.tier_standard.id,
            }
        )
        cls.contract = cls._create_contract(cls.customer, date_end=date(2027, 3, 31))

    def _run(self, moment, cron):
        with freeze_time(moment), self.mockSMSGateway():
            if cron == "pass":
                self.env["renewal.scheduler"]._cron_send_due_reminders()
            else:
                self.env["renewal.escalation"]._cron_release()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()

    def test_an_sms_due_before_nine_waits_until_nine_in_shanghai(self):
        # Monday 08:30 in Shanghai.
        self._run("2027-03-01 00:30:00", "pass")
        reminder = self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state != "skipped"
        )
        self.assertEqual(reminder.state, "scheduled")
        self.assertEqual(reminder.send_at, datetime(2027, 3, 1, 1, 0))
        # On its way: the renewal reads as being reminded.
        self.assertEqual(self.contract.renewal_state, "reminding")
        self.assertIn("Asia/Shanghai", reminder.send_at_reason)
        self.assertFalse(self._sms)
        self.assertFalse(
            self.env["sms.sms"].search([("number", "=", "+8613912345678")])
        )
        # The pass again does not plan the stage twice.
        self._run("2027-03-01 00:40:00", "pass")
        self.assertEqual(len(self.contract.renewal_reminder_ids), 1)
        self._run("2027-03-01 00:50:00", "release")
        self.assertEqual(reminder.state, "scheduled")
        self._run("2027-03-01 01:05:00", "release")
        self.assertEqual(reminder.state, "sent")
        [sent] = [sms for sms in self._sms if sms["number"] == "+8613912345678"]
        self.assertIn("/r/", sent["body"])
        self._sms.clear()
        self._run("2027-03-01 02:00:00", "release")
        self.assertFalse(self._sms)

    def test_a_customer_who_stops_sms_while_it_waits_is_not_sent_it(self):
        self._run("2027-03-01 00:30:00", "pass")
        reminder = self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state == "scheduled"
        )
        self.customer.renewal_sms_opt_out = True
        self._run("2027-03-01 01:05:00", "release")
        self.assertEqual(
            (reminder.state, reminder.reason_code),
            ("skipped", renewal_sms.REASON_SMS_OPTED_OUT),
        )
        self.assertFalse(self._sms)


@tagged("post_install", "-at_install")
class TestRenewalSmsEscalation(RenewalCommon, SMSCase, MockEmail):
    """A stage sent by email and SMS escalates once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.customer_standard.write(
            {"mobile": "0412 345 678", "country_id": cls.env.ref("base.au").id}
        )
        cls.policy_standard.stage_ids.write({"channel": "email_sms"})
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31)
        )

    def test_a_stage_sent_on_two_channels_escalates_once(self):
        with freeze_time("2027-03-01 10:00:00"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["mail.mail"].sudo().process_email_queue()
        with freeze_time("2027-03-01 10:20:00"), self.mockSMSGateway():
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        lines = self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state not in ("skipped", "cancelled")
        )
        self.assertEqual(sorted(lines.mapped("channel")), ["email", "sms"])
        # The email's silence escalates first; the SMS's, twenty minutes
        # later and in the next run, adds nothing.
        for moment in ("2027-03-04 10:05:00", "2027-03-04 11:05:00"):
            with freeze_time(moment), self.mock_mail_gateway(), self.mockSMSGateway():
                self.env["renewal.escalation"]._cron_escalate()
        notes = self.contract.message_ids.filtered(
            lambda m: "Renewal at risk" in str(m.body)
        )
        self.assertEqual(len(notes), 1)
        self.assertTrue(all(lines.mapped("escalated_date")))
        self.assertFalse(any(lines.mapped("escalation_due")))
