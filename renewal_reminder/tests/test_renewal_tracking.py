import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalTracking(RenewalCommon, MockEmail, HttpCase):
    """What the customer did with a reminder email, as OCA's mail_tracking
    sees it (its tracking pixel, its events), reaches the reminder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.backup = cls.env["res.partner"].create(
            {
                "name": "Bea Backup",
                "email": "bea@harbor.example.com",
                "parent_id": cls.customer_standard.id,
            }
        )
        cls.customer_standard.renewal_backup_partner_id = cls.backup
        cls.follower = cls.env["res.partner"].create(
            {"name": "Fiona Follower", "email": "fiona@example.com"}
        )
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-TRACK"
        )
        cls.contract.message_subscribe(partner_ids=cls.follower.ids)

    def _send(self, day="2027-03-01"):
        """The daily pass on ``day``, then Odoo's mail queue."""
        with freeze_time(day), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["mail.mail"].sudo().process_email_queue()
            self._sent_mails = list(self._mails)
        return self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state != "skipped"
        ).sorted("id")[-1:]

    def _tracking(self, reminder, partner=None):
        return (
            self.env["mail.tracking.email"]
            .sudo()
            .search(
                [
                    ("mail_message_id", "=", reminder.message_id.id),
                    ("partner_id", "=", (partner or reminder.recipient_id).id),
                ]
            )
        )

    def test_opening_the_email_is_seen_through_the_tracking_pixel(self):
        reminder = self._send()
        self.assertEqual(reminder.state, "sent")
        tracking = self._tracking(reminder)
        self.assertEqual(tracking.state, "sent")
        # The pixel mail_tracking put in the email the customer got.
        [sent] = [
            mail
            for mail in self._sent_mails
            if "office@harbor.example.com" in mail["email_to"][0]
        ]
        [pixel] = re.findall(
            r'<img src="([^"]+/mail/tracking/open/[^"]+)"', sent["body"]
        )
        with freeze_time("2027-03-01 15:30:00"):
            response = self.url_open(urlsplit(pixel).path)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertEqual(reminder.state, "opened")
        self.assertEqual(str(reminder.opened_date), "2027-03-01 15:30:00")
        self.assertFalse(reminder.clicked_date)
        # Opened again later: the first opening is what counts.
        with freeze_time("2027-03-02 09:00:00"):
            self.url_open(urlsplit(pixel).path)
        self.assertEqual(str(reminder.opened_date), "2027-03-01 15:30:00")

    def test_delivered_opened_clicked_move_forward_never_back(self):
        reminder = self._send()
        tracking = self._tracking(reminder)
        tracking.event_create("delivered", {"time": "2027-03-01 09:01:00"})
        self.assertEqual(reminder.state, "delivered")
        self.assertEqual(str(reminder.delivered_date), "2027-03-01 09:01:00")
        tracking.event_create("click", {"time": "2027-03-01 10:00:00", "url": "x"})
        self.assertEqual(reminder.state, "clicked")
        self.assertEqual(str(reminder.clicked_date), "2027-03-01 10:00:00")
        # A late report of an earlier step records its time, not a step back.
        tracking.event_create("open", {"time": "2027-03-01 09:59:00"})
        self.assertEqual(reminder.state, "clicked")
        self.assertEqual(str(reminder.opened_date), "2027-03-01 09:59:00")
        tracking.event_create("delivered", {"time": "2027-03-01 11:00:00"})
        self.assertEqual(str(reminder.delivered_date), "2027-03-01 09:01:00")
        # The renewal still reads as being reminded.
        self.assertEqual(self.contract.renewal_state, "reminding")

    def test_a_follower_gets_no_copy_and_the_chatter_opens_nothing(self):
        reminder = self._send()
        # The reminder goes to the customer alone: a follower of the
        # contract gets no copy whose links would answer for the customer.
        self.assertFalse(self._tracking(reminder, self.follower))
        sent_to = [address for mail in self._sent_mails for address in mail["email_to"]]
        self.assertFalse([a for a in sent_to if "fiona@example.com" in a])
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_standard)
        # The customer's email has the answer links; what the team reads in
        # the chatter carries no link that answers or unsubscribes.
        [sent] = [m for m in self._sent_mails if m["subject"] == reminder.subject]
        self.assertIn("/renewal/answer/", sent["body"])
        log = reminder.message_id
        self.assertEqual(log.model, "contract.contract")
        self.assertEqual(log.res_id, self.contract.id)
        self.assertIn("CT-TRACK", str(log.body))
        self.assertNotIn("/renewal/answer/", str(log.body))
        self.assertNotIn("/renewal/unsubscribe/", str(log.body))
        self.assertIn(log, self.contract.message_ids)

    def test_a_bounce_tells_the_salesperson_and_the_next_stage_goes_to_the_backup(
        self,
    ):
        reminder = self._send()
        self.assertEqual(reminder.recipient_id, self.customer_standard)
        self._tracking(reminder).event_create(
            "hard_bounce",
            {"bounce_description": "550 5.1.1 mailbox unavailable"},
        )
        self.assertEqual(reminder.state, "bounced")
        self.assertEqual(reminder.reason_code, "bounced")
        self.assertIn("mailbox unavailable", reminder.status_summary)
        fix = self.env.ref("renewal_reminder.mail_activity_type_renewal_fix_address")
        activities = self.contract.activity_ids.filtered(
            lambda a: a.activity_type_id == fix
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.salesperson)
        self.assertIn("Harbor Dental", activities.summary)
        self.assertIn("office@harbor.example.com", str(activities.note))
        # The next stage goes to the backup contact, and a second bounce
        # does not add a second activity.
        policy_days = sorted(self.policy_standard.stage_ids.mapped("days_before"))
        next_day = date(2027, 3, 31) - timedelta(
            days=max(d for d in policy_days if d < reminder.days_before)
        )
        following = self._send(next_day.isoformat())
        self.assertNotEqual(following, reminder)
        self.assertEqual(following.recipient_id, self.backup)
        self.assertIn("bea@harbor.example.com", following.email_to)
        self._tracking(following).event_create("reject", {})
        self.assertEqual(following.state, "bounced")
        self.assertEqual(
            len(
                self.contract.activity_ids.filtered(lambda a: a.activity_type_id == fix)
            ),
            1,
        )
        # The address corrected: the customer again, from the next stage on.
        self.customer_standard.email = "renewals@harbor.example.com"
        self.assertEqual(
            self.env["renewal.dispatch"]._email_recipient(self.contract),
            self.customer_standard,
        )
