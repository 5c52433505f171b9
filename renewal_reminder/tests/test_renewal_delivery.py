from datetime import date

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
            cls.env["renewal.reminder"]._cron_send_due_reminders()
        cls.reminder = cls.contract.renewal_reminder_ids
        assert cls.reminder.state == "queued"

    def _send_queue(self, refuse=False, error=None):
        with self.mock_mail_gateway(), mute_logger("odoo.addons.mail.models.mail_mail"):
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
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.state, "queued")
        self.assertEqual(self.reminder.delivery_attempts, 1)
        self.assertIn("Attempt 1 of 3 failed", self.reminder.reason)
        self.assertEqual(self.reminder.mail_id.state, "outgoing")
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.delivery_attempts, 2)
        self.assertEqual(self.reminder.mail_id.state, "outgoing")
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.state, "failed")
        self.assertEqual(self.reminder.reason_code, "delivery")
        self.assertIn("Connection refused", self.reminder.reason)
        self.assertEqual(self.reminder.mail_id.state, "exception")
        self.assertTrue(self.reminder.outcome_date)

    def test_a_retried_email_that_goes_through_is_sent(self):
        self._send_queue(refuse=True)
        self.assertEqual(self.reminder.state, "queued")
        self._send_queue()
        self.assertSentEmail(self.salesperson.partner_id, [self.customer_standard])
        self.assertEqual(self.reminder.state, "sent")
        self.assertFalse(self.reminder.reason_code)
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
