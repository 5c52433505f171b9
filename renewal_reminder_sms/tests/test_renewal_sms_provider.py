import base64
import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from odoo.tests import TransactionCase, freeze_time, tagged

from odoo.addons.renewal_reminder.tests.common import RenewalCommon

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "secret-auth-token-1234"


class TwilioStub(BaseHTTPRequestHandler):
    """Twilio's Messages API as its documentation shapes it, on loopback."""

    requests = []
    replies = []
    # The account's messages, as the Messages list returns them.
    listed = []
    # Close the connection without answering a POST (after reading it).
    drop = False

    def log_message(self, *args):  # no noise in the test output
        pass

    def _reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.requests.append(
            {
                "method": "POST",
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type"),
                "form": {key: values[0] for key, values in form.items()},
            }
        )
        status, payload = (
            self.replies.pop(0)
            if self.replies
            else (
                201,
                {"sid": f"SM{len(self.requests):032d}", "status": "queued"},
            )
        )
        if self.drop:
            self.close_connection = True
            return
        self._reply(status, payload)

    def do_GET(self):
        self.requests.append(
            {
                "method": "GET",
                "path": self.path,
                "auth": self.headers.get("Authorization"),
            }
        )
        path, _sep, query = self.path.partition("?")
        if path.endswith("/Messages.json"):
            to = parse_qs(query).get("To", [None])[0]
            messages = [m for m in self.listed if m["to"] == to]
            self._reply(200, {"messages": messages, "page_size": 50})
            return
        status, payload = (
            self.replies.pop(0)
            if self.replies
            else (
                200,
                {"sid": self.path.rsplit("/", 1)[1][:-5], "status": "delivered"},
            )
        )
        self._reply(status, payload)


@tagged("post_install", "-at_install")
class TestRenewalSmsProvider(RenewalCommon, TransactionCase):
    """Renewal SMS through Twilio's API, checked against a stub on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), TwilioStub)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.shutdown)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("renewal_reminder_sms.provider", "twilio")
        params.set_param(
            "renewal_reminder_sms.twilio_api_url",
            f"http://127.0.0.1:{cls.server.server_port}",
        )
        params.set_param("renewal_reminder_sms.twilio_account_sid", SID)
        params.set_param("renewal_reminder_sms.twilio_auth_token", TOKEN)
        params.set_param("renewal_reminder_sms.twilio_from", "+15005550006")
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.customer_standard.write(
            {"mobile": "0412 345 678", "country_id": cls.env.ref("base.au").id}
        )
        cls.policy_standard.stage_ids.write({"channel": "sms"})

    def setUp(self):
        super().setUp()
        TwilioStub.requests.clear()
        TwilioStub.replies.clear()
        TwilioStub.listed.clear()
        TwilioStub.drop = False

    def _send(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        return contract.renewal_reminder_ids.filtered(
            lambda r: r.channel == "sms" and r.sms_number
        )

    def test_a_renewal_sms_is_posted_to_twilio_as_documented(self):
        with self.assertLogs("odoo.addons.renewal_reminder_sms", level="DEBUG") as logs:
            logging.getLogger("odoo.addons.renewal_reminder_sms").debug("start")
            reminder = self._send()
        [call] = TwilioStub.requests
        self.assertEqual(call["method"], "POST")
        self.assertEqual(call["path"], f"/2010-04-01/Accounts/{SID}/Messages.json")
        self.assertEqual(
            call["auth"],
            "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode(),
        )
        self.assertEqual(call["type"], "application/x-www-form-urlencoded")
        self.assertEqual(set(call["form"]), {"To", "From", "Body"})
        self.assertEqual(call["form"]["To"], "+61412345678")
        self.assertEqual(call["form"]["From"], "+15005550006")
        self.assertIn("Stop SMS", call["form"]["Body"])
        self.assertEqual(reminder.state, "sent")
        # The status is read back: delivered.
        self.env["renewal.sms.provider"]._cron_read_statuses()
        self.assertEqual(TwilioStub.requests[-1]["method"], "GET")
        self.assertTrue(TwilioStub.requests[-1]["path"].endswith(".json"))
        self.assertEqual(reminder.state, "delivered")
        self.assertTrue(reminder.delivered_date)
        # No secret in the logs.
        self.assertNotIn(TOKEN, "\n".join(logs.output))

    def test_a_company_sender_name_is_used_where_registered(self):
        self.env.company.renewal_sms_sender = "HarborCo"
        self._send()
        self.assertEqual(TwilioStub.requests[0]["form"]["From"], "HarborCo")

    def test_a_refused_number_and_a_stop_reply_fail_with_their_reason(self):
        TwilioStub.replies.append(
            (
                400,
                {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
            )
        )
        reminder = self._send()
        self.assertEqual(reminder.state, "failed")
        self.assertEqual(reminder.reason_code, "sms_provider")
        self.assertIn("unsubscribed", reminder.reason)
        notification = reminder.message_id.notification_ids
        self.assertEqual(notification.failure_type, "sms_not_allowed")
        # The STOP reply is honoured as the opt-out link is.
        self.assertTrue(self.customer_standard.renewal_sms_opt_out)
        consent = self.customer_standard.renewal_consent_ids[:1]
        self.assertEqual((consent.method, consent.channel), ("provider", "sms"))

    def test_an_unreachable_provider_fails_the_sms_not_the_pass(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "renewal_reminder_sms.twilio_api_url", "http://127.0.0.1:9"
        )
        reminder = self._send()
        self.assertEqual(reminder.state, "failed")
        self.assertEqual(
            reminder.message_id.notification_ids.failure_type, "sms_server"
        )

    def _posts(self):
        return [r for r in TwilioStub.requests if r["method"] == "POST"]

    def _age(self, sms, minutes=11):
        """Make ``sms``'s claim ``minutes`` old."""
        sms.flush_recordset()
        self.env.cr.execute(
            "UPDATE sms_sms SET write_date = write_date - %s WHERE id = %s",
            (timedelta(minutes=minutes), sms.id),
        )
        sms.invalidate_recordset(["write_date"])

    def _renewal_sms(self, reminder):
        return (
            self.env["sms.sms"]
            .sudo()
            .search([("mail_message_id", "=", reminder.message_id.id)])
        )

    def test_an_sms_whose_answer_was_lost_is_found_at_twilio_not_sent_again(self):
        # Twilio took it, but its answer never came back.
        TwilioStub.replies.append((502, {}))
        reminder = self._send()
        sms = self._renewal_sms(reminder)
        self.assertEqual(sms.state, "process")
        self.assertEqual(reminder.state, "queued")
        # Odoo's queue runs again: the claimed SMS is not taken again.
        self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(len(self._posts()), 1)
        # Too early to ask: nothing is settled.
        self.env["renewal.sms.provider"]._cron_read_statuses()
        self.assertEqual(sms.state, "process")
        # Later, the lookup finds it among the messages to that number.
        posted = self._posts()[0]["form"]
        TwilioStub.listed.extend(
            [
                {
                    "sid": "SM_OTHER_NUMBER",
                    "to": "+61400000000",
                    "body": posted["Body"],
                    "date_created": format_datetime(datetime.now(UTC)),
                },
                {
                    "sid": "SM_FOUND",
                    "to": posted["To"],
                    "body": posted["Body"],
                    "status": "sent",
                    "date_created": format_datetime(
                        datetime.now(UTC) + timedelta(seconds=1)
                    ),
                },
            ]
        )
        self._age(sms)
        self.env["renewal.sms.provider"]._cron_read_statuses()
        lookup = [r for r in TwilioStub.requests if "Messages.json?" in r["path"]]
        self.assertEqual(len(lookup), 1)
        self.assertIn("To=%2B61412345678", lookup[0]["path"])
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.sms_tracker_id.renewal_provider_ref, "SM_FOUND")
        # Found, then its status read in the same run: Twilio delivered it.
        self.assertEqual(reminder.state, "delivered")
        status = [
            r for r in TwilioStub.requests if "/Messages/SM_FOUND.json" in r["path"]
        ]
        self.assertEqual(len(status), 1)
        self.assertEqual(len(self._posts()), 1)

    def test_an_sms_twilio_never_got_goes_out_once_more_and_only_once(self):
        TwilioStub.replies.append((503, {}))
        reminder = self._send()
        sms = self._renewal_sms(reminder)
        self.assertEqual(sms.state, "process")
        self._age(sms)
        self.env["renewal.sms.provider"]._cron_read_statuses()
        self.assertEqual(sms.state, "outgoing")
        self.env["sms.sms"].sudo()._process_queue()
        self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(len(self._posts()), 2)
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(self._posts()[0]["form"], self._posts()[1]["form"])

    def test_a_connection_broken_after_the_request_left_is_asked_later(self):
        # Twilio read the request, then the connection broke: taken or not,
        # nobody knows yet.
        TwilioStub.drop = True
        reminder = self._send()
        TwilioStub.drop = False
        sms = self._renewal_sms(reminder)
        self.assertEqual((sms.state, reminder.state), ("process", "queued"))
        self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(len(self._posts()), 1)

    def test_a_providers_message_reaches_the_log_without_the_number(self):
        TwilioStub.replies.append(
            (
                400,
                {
                    "code": 21211,
                    "message": "The 'To' number +61412345678 is not a valid phone "
                    "number.",
                },
            )
        )
        reminder = self._send()
        self.assertEqual(reminder.state, "failed")
        self.assertIn("not a valid phone number", reminder.reason)
        self.assertNotIn("412345678", reminder.reason)
        self.assertIn("…78", reminder.reason)

    def test_an_sms_settled_while_its_batch_waited_is_not_posted(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    (
                        "mail_message_id",
                        "in",
                        contract.renewal_reminder_ids.message_id.ids,
                    )
                ]
            )
        )
        self.assertEqual(len(sms), 1)
        Provider = self.env["renewal.sms.provider"]
        claimed = Provider._claim(sms)
        self.assertEqual(claimed.state, "process")
        # The lookup of lost outcomes gave it back to the queue meanwhile.
        claimed.write({"state": "outgoing"})
        self.env["renewal.sms.twilio"]._send(claimed)
        self.assertFalse(self._posts())
        self.assertEqual(sms.state, "outgoing")
