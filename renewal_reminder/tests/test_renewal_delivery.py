from datetime import date, datetime, timedelta

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon

BOUNCE = """\
From: MAILER-DAEMON <{bounce}>
To: {bounce}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce.renewal.1@mx.example.com>
In-Reply-To: {message_id}
References: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {email}
Original-Recipient: rfc822;{email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{email}>: Recipient address rejected: User unknown

--BOUNDARY--
"""


@tagged("post_install", "-at_install")
class TestRenewalDelivery(RenewalCommon, MockEmail):
    """Delivery results flow back from the mail queue into the reminders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-01"):
            cls.env["renewal.scheduler"]._cron_send_due_reminders()
        cls.reminder = cls.contract.renewal_reminder_ids
        assert cls.reminder.state == "queued"

    def _send_queue(self, refuse=False, error=None, at=None):
        """Run the mail queue on the reminder's email, at ``at`` or once the
        time of its next try has come."""
        if at is None:
            at = (self.reminder.next_attempt_date or datetime(2027, 3, 1, 6, 0)) + (
                timedelta(seconds=1)
            )
        with (
            freeze_time(at),
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            if refuse or error:
                self.connect_mocked.side_effect = error or ConnectionRefusedError(
                    "Connection refused"
                )
            self.env["mail.mail"].sudo().process_email_queue(
                ids=self.reminder.mail_id.ids
            )

    def test_a_mail_server_that_times_out_is_retried(self):
        self._send_queue(error=TimeoutError("timed out"))
        self.assertEqual(self.reminder.state, "queued")
        self.assertIn("timed out", self.reminder.reason)
        self.assertEqual(self.reminder.mail_id.state, "outgoing")
        self._send_queue()
        self.assertEqual(self.reminder.state, "sent")

    def test_an_unreachable_mail_server_is_retried_then_gives_up(self):
        self._send_queue(refuse=True, at=datetime(2027, 3, 1, 6, 0))
        self.assertEqual(self.reminder.state, "queued")
        self.assertEqual(self.reminder.delivery_attempts, 1)
        self.assertEqual(self.reminder.reason, "Connection refused")
        # The next try waits five minutes, in Odoo's mail queue, whose
        # scheduled action is woken up then.
        first_retry = datetime(2027, 3, 1, 6, 5)
        self.assertEqual(self.reminder.next_attempt_date, first_retry)
        self.assertEqual(self.reminder.mail_id.state, "outgoing")
        self.assertEqual(self.reminder.mail_id.scheduled_date, first_retry)
        queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", queue_cron.id), ("call_at", "=", first_retry)]
            )
        )
        # Before its time, the queue leaves it alone.
        self._send_queue(refuse=True, at=datetime(2027, 3, 1, 6, 2))
        self.assertEqual(self.reminder.delivery_attempts, 1)
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.delivery_attempts, 2)
        self.assertEqual(self.reminder.mail_id.state, "outgoing")
        self.assertEqual(
            self.reminder.next_attempt_date, datetime(2027, 3, 1, 6, 20, 1)
        )
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.state, "failed")
        self.assertFalse(self.reminder.next_attempt_date)
        self.assertEqual(
            self.reminder.status_summary, "Failed after 3 tries: Connection refused"
        )
        self.assertIn("will not be sent again", self.reminder.next_step)
        self.assertEqual(self.reminder.reason_code, "delivery")
        self.assertIn("Connection refused", self.reminder.reason)
        self.assertEqual(self.reminder.mail_id.state, "exception")
        self.assertTrue(self.reminder.outcome_date)

    def test_a_reminder_waiting_for_a_retry_says_when_in_the_readers_time(self):
        self._send_queue(refuse=True, at=datetime(2027, 3, 1, 6, 0))
        self.salesperson.tz = "Asia/Shanghai"
        reminder = self.reminder.with_user(self.salesperson)
        with freeze_time("2027-03-01 06:01"):
            # 06:05 UTC is 14:05 in Shanghai, shown as the time alone today.
            reminder.invalidate_recordset(["status_summary", "next_step"])
            self.assertRegex(
                reminder.with_context(lang="en_US").status_summary,
                r"^Queued, retry 1 of 2 at 2:05\sPM: Connection refused$",
            )
            self.assertIn(
                "于 14:05", reminder.with_context(lang="zh_CN").status_summary
            )
            self.assertIn(
                "sends it again at 2:05",
                reminder.with_context(lang="en_US").next_step,
            )
            self.assertIn("retry 1 of 2", reminder.next_step)
        with freeze_time("2027-02-28 12:00"):
            # Another day: the date comes first, in the reader's format.
            reminder.invalidate_recordset(["status_summary"])
            self.assertIn(
                "at 03/01/2027 2:05", reminder.with_context(lang="en_US").status_summary
            )
        # The list and the form show it in words, not as a bare status.
        form = self.env["renewal.reminder"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('name="next_step"', form)

    def test_a_retried_email_that_goes_through_is_sent(self):
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.state, "queued")
        self._send_queue()
        self.assertSentEmail(self.salesperson.partner_id, [self.customer_standard])
        self.assertEqual(self.reminder.state, "sent")
        self.assertFalse(self.reminder.reason_code)
        self.assertFalse(self.reminder.next_attempt_date)
        self.assertEqual(self.reminder.status_summary, "Sent")
        self.assertEqual(self.reminder.delivery_attempts, 1)

    def test_a_bounce_marks_the_reminder_bounced(self):
        with self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue(
                ids=self.reminder.mail_id.ids
            )
        self.assertEqual(self.reminder.state, "sent")
        bounce_address = f"{self.alias_bounce}@{self.alias_domain}"
        self.env["mail.thread"].message_process(
            False,
            BOUNCE.format(
                bounce=bounce_address,
                message_id=self.reminder.message_id.message_id,
                email=self.customer_standard.email,
            ),
        )
        self.assertEqual(self.reminder.state, "bounced")
        self.assertEqual(self.reminder.reason_code, "bounced")
        self.assertTrue(self.reminder.outcome_date)
