import base64
import json
import logging
import threading
from datetime import date
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
        self._reply(status, payload)

    def do_GET(self):
        self.requests.append(
            {
                "method": "GET",
                "path": self.path,
                "auth": self.headers.get("Authorization"),
            }
        )
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

    def _send(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        with freeze_time("2027-03-01"):
            self.env["renewal.reminder"]._cron_send_due_reminders()
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
        self.assertEqual((reminder.state, reminder.sms_delivered), ("sent", True))
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
