import base64
import logging
import random
import re
from collections import Counter
from datetime import date

import requests

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import RenewalCommon

_logger = logging.getLogger(__name__)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "${7*7}",
    '<t t-out="request.env.user.login"/>',
    "<t t-esc='1'/>",
    "javascript:alert(1)",
    "' OR 1=1 --",
    "%00%0d%0a",
    "\x00\x01\x02\x7f",
    "\u202e\u200b\ufeff",
    "😀" * 50,
    "é" * 3000,
    "a" * 100000,
    "../../etc/passwd",
    "</textarea><script>x</script>",
    "\r\nSet-Cookie: x=1",
    "null",
    "[]",
    "{}",
]
FIELDS = [
    "answer",
    "reason",
    "note",
    "lost_reason_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "staged_payment",
    "change",
    "List-Unsubscribe",
    "subscribe",
    "csrf_token",
]


@tagged("post_install", "-at_install")
class TestRenewalAnswersFuzz(RenewalCommon, HttpCase):
    """Hostile requests on every public route of the answers."""

    REQUESTS = 2000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-FUZZ"
        )
        with freeze_time("2027-03-01"):
            cls.env["renewal.scheduler"]._cron_send_due_reminders()
        cls.reminder = cls.contract.renewal_reminder_ids.filtered(
            lambda r: r.state == "queued"
        )

    def _random_token(self, rng, valid):
        kind = rng.randrange(6)
        if kind == 0:
            return base64.urlsafe_b64encode(
                rng.randbytes(rng.randrange(1, 120))
            ).decode()
        if kind == 1:
            return valid[: rng.randrange(1, len(valid))]
        if kind == 2:
            chars = list(valid)
            position = rng.randrange(len(chars))
            chars[position] = rng.choice("ABCDEFGHIJabcdef0123-_")
            return "".join(chars)
        if kind == 3:
            return rng.choice(HOSTILE)[:200].replace("/", "%2F")
        if kind == 4:
            return valid + rng.choice(["A", "==", "%20", "x" * 30])
        return valid

    def _random_form(self, rng, csrf):
        form = {}
        for field in rng.sample(FIELDS, rng.randrange(1, len(FIELDS))):
            form[field] = rng.choice(
                HOSTILE + ["renew", "more_time", "not_renew", "other", "1"]
            )
        if rng.random() < 0.8:
            form["csrf_token"] = csrf
        return form

    def test_two_thousand_hostile_requests(self):
        rng = random.Random(20261201)
        Answer = self.env["renewal.answer"]
        key = self.reminder.sudo().answer_key
        valid = Answer._token(key, self.reminder.cycle_end)
        valid_unsubscribe = Answer._unsubscribe_token(key)
        session = requests.Session()
        base = self.base_url()
        page = session.get(
            f"{base}/renewal/answer/{valid}?choice=more_time", timeout=30
        )
        csrf = CSRF.search(page.text)[1]
        statuses = Counter()
        with mute_logger("odoo.http", "werkzeug", "odoo.addons.base.models.ir_http"):
            for index in range(self.REQUESTS):
                route = rng.choice(["answer", "unsubscribe"])
                token = self._random_token(
                    rng, valid if route == "answer" else valid_unsubscribe
                )
                url = f"{base}/renewal/{route}/{token}"
                method = rng.choice(
                    ["GET", "POST", "POST", "POST", "PUT", "DELETE", "HEAD"]
                )
                kwargs = {"timeout": 30, "allow_redirects": False}
                shape = rng.randrange(4)
                if method == "GET":
                    kwargs["params"] = {
                        rng.choice(["choice", "change", "x"]): rng.choice(HOSTILE)[:500]
                    }
                elif shape == 0:
                    kwargs["data"] = self._random_form(rng, csrf)
                elif shape == 1:
                    kwargs["data"] = rng.randbytes(rng.randrange(1, 200000))
                    kwargs["headers"] = {"Content-Type": "application/octet-stream"}
                elif shape == 2:
                    kwargs["data"] = (
                        "List-Unsubscribe=One-Click" if index % 7 else "=&=&%%"
                    )
                    kwargs["headers"] = {
                        "Content-Type": "application/x-www-form-urlencoded"
                    }
                else:
                    kwargs["data"] = {
                        "answer": "more_time",
                        "reason": "other",
                        "note": rng.choice(HOSTILE),
                        "change": "1",
                        "csrf_token": csrf,
                    }
                client = session if rng.random() < 0.7 else requests
                response = client.request(method, url, **kwargs)
                statuses[response.status_code] += 1
                self.assertLess(
                    response.status_code,
                    500,
                    (
                        method,
                        url[:120],
                        kwargs.get("data", "")[:80]
                        if isinstance(kwargs.get("data"), str)
                        else "",
                    ),
                )
                self.assertNotIn("Traceback", response.text)
        self.assertEqual(sum(statuses.values()), self.REQUESTS)
        _logger.info(
            "Fuzz of the answer routes: %s requests, statuses %s",
            self.REQUESTS,
            dict(sorted(statuses.items())),
        )
        # Whatever was recorded went into the chatter escaped.
        for message in self.contract.message_ids:
            body = str(message.body or "")
            self.assertNotIn("<script", body)
            self.assertNotIn("<img", body)
            self.assertNotIn("<t ", body)
        for activity in self.contract.activity_ids:
            self.assertNotIn("<script", str(activity.note or ""))
