import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import requests

from odoo import http
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from ..tools.renewal_plan import ReminderPlan
from .common import RenewalCommon

LINK = re.compile(r'href="([^"]*/renewal/(?:answer|unsubscribe)/[^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEEN_URL = re.compile(r'data-renewal-seen-url="([^"]+)"')
SEEN_CSRF = re.compile(r'o_renewal_seen"[^>]*data-csrf-token="([^"]+)"')
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@tagged("post_install", "-at_install")
class TestRenewalAnswers(RenewalCommon, MockEmail, HttpCase):
    """A customer answers a reminder from its links, as a browser would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_statics = http.root.statics
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.contract = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 31), code="CT-0042"
        )
        with freeze_time("2027-03-01"):
            cls.env["renewal.scheduler"]._cron_send_due_reminders()
        cls.reminder = cls.contract.renewal_reminder_ids.filtered(
            lambda r: r.state == "queued"
        )
        assert cls.reminder

    def _links(self, reminder=None):
        """The answer and unsubscribe links of a reminder's real email."""
        html = (reminder or self.reminder).mail_id.body_html
        paths = {}
        for url in LINK.findall(html):
            url = url.replace("&amp;", "&")
            split = urlsplit(url)
            path = split.path + (f"?{split.query}" if split.query else "")
            if "unsubscribe" in path:
                paths["unsubscribe"] = path
            elif "choice=" in path:
                paths[split.query.split("choice=")[1]] = path
        return paths

    def _token(self):
        return self._links()["renew"].split("/renewal/answer/")[1].split("?")[0]

    def _post_answer(self, answer, token=None, **fields):
        token = token or self._token()
        change = "&change=1" if fields.get("change") else ""
        page = self.url_open(f"/renewal/answer/{token}?choice={answer}{change}")
        self.assertEqual(page.status_code, 200)
        csrf = CSRF.search(page.text)[1]
        self._csrf = csrf
        data = {"csrf_token": csrf, "answer": answer, **fields}
        return self.url_open(f"/renewal/answer/{token}", data=data)

    def _messages(self):
        """The contract's chatter, without the status tracking."""
        return self.contract.message_ids.filtered(lambda m: m.message_type == "comment")

    # -- The links -----------------------------------------------------------

    def test_every_reminder_email_carries_its_answer_links_and_one_click(self):
        links = self._links()
        self.assertEqual(set(links), {"renew", "more_time", "not_renew", "unsubscribe"})
        # The unsubscribe link once, in the footer of the renewal layout.
        html = self.reminder.mail_id.body_html
        self.assertEqual(html.count("/renewal/unsubscribe/"), 1)
        footer = html[html.index("o_renewal_layout_footer") :]
        self.assertIn("/renewal/unsubscribe/", footer)
        headers = self.reminder.mail_id.headers
        self.assertIn("List-Unsubscribe", headers)
        self.assertIn("List-Unsubscribe=One-Click", headers)
        self.assertIn(links["unsubscribe"].split("/")[-1], headers)
        # The token holds no customer data: only a random key, signed.
        token = self._token()
        self.assertNotIn(str(self.contract.id), token[:4])
        self.assertGreater(len(token), 60)

    def test_every_tone_and_language_carries_the_block(self):
        Answer = self.env["renewal.answer"]
        Dispatch = self.env["renewal.dispatch"]
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["renewal_reminder"], ["zh_CN"], overwrite=True
        )
        chinese = self.env["res.partner"].create(
            {"name": "上海客户", "email": "sh@example.com", "lang": "zh_CN"}
        )
        contract = self._create_contract(chinese, date_end=date(2027, 3, 31))
        for tone in ("gentle", "warning", "final"):
            template = self.env.ref(f"renewal_reminder.mail_template_renewal_{tone}")
            for partner, words in (
                (self.customer_standard, "Answer in one tap"),
                (chinese, "一键回复"),
            ):
                target = (
                    self.contract if partner == self.customer_standard else contract
                )
                rendered = Dispatch._render_template(template, target.ids)[target.id]
                plan = ReminderPlan(
                    state="scheduled",
                    contract=target,
                    recipient=partner,
                    cycle_end=target.renewal_cycle_end,
                    body=rendered["body_html"],
                )
                Answer._decorate([plan])
                body = str(plan.body)
                with self.subTest(tone=tone, lang=partner.lang):
                    self.assertEqual(body.count("o_renewal_answer_block"), 1)
                    self.assertIn(words, body)
                    self.assertIn("List-Unsubscribe", plan.mail_headers)
        # A template of the admin's own, without the block's place, gets it
        # at the end of the message.
        plan = ReminderPlan(
            state="scheduled",
            contract=self.contract,
            recipient=self.customer_standard,
            cycle_end=self.contract.renewal_cycle_end,
            body="<p>Our own words</p>",
        )
        Answer._decorate([plan])
        self.assertTrue(str(plan.body).startswith("<p>Our own words</p>"))
        self.assertIn("o_renewal_answer_block", str(plan.body))
        # The page speaks the customer's language.
        with freeze_time("2027-03-01"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminder = contract.renewal_reminder_ids.filtered(lambda r: r.state == "queued")
        path = self._links(reminder)["more_time"].split("?")[0]
        page = self.url_open(path)
        self.assertIn("您是否续约此合同", page.text)
        self.assertIn("我需要更多时间", page.text)

    def test_opening_a_link_changes_nothing(self):
        before = len(self._messages())
        for name, path in self._links().items():
            page = self.url_open(path)
            self.assertEqual(page.status_code, 200, path)
            if name == "unsubscribe":
                self.assertIn("Unsubscribe from renewal reminders", page.text)
                continue
            self.assertIn("CT-0042", page.text)
            self.assertIn("03/31/2027", page.text)
        self.assertFalse(self.reminder.answer)
        self.assertFalse(self.customer_standard.renewal_opt_out)
        self.assertEqual(len(self._messages()), before)
        self.assertEqual(self.contract.renewal_state, "reminding")

    def test_a_person_on_the_page_reads_the_reminder_a_link_scanner_does_not(self):
        self.reminder.sudo().write({"state": "sent"})
        path = self._links()["renew"]
        # A messaging app previewing the link, mail scanners checking it, one
        # of them as a desktop browser: they fetch the page and stop there.
        for agent in (
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "",
            CHROME,
        ):
            page = self.url_open(path, headers={"User-Agent": agent})
            self.assertEqual(page.status_code, 200)
        self.opener.head(self.base_url() + path, headers={"User-Agent": CHROME})
        self.assertEqual(self.reminder.state, "sent")
        self.assertFalse(self.reminder.clicked_date)
        # The page's script says when it is shown in a browser, with the
        # page's token; without it, or from a link preview, nothing counts.
        seen = SEEN_URL.search(page.text)[1]
        csrf = SEEN_CSRF.search(page.text)[1]
        for data, agent in (
            ({}, CHROME),
            ({"csrf_token": "not-the-page-token"}, CHROME),
            ({"csrf_token": csrf}, "WhatsApp/2.23.20.0"),
        ):
            self.url_open(seen, data=data, headers={"User-Agent": agent})
        self.assertFalse(self.reminder.clicked_date)
        # The customer on their phone.
        phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
        for day in ("2027-03-02 10:00:00", "2027-03-03 10:00:00"):
            with freeze_time(day):
                page = self.url_open(path, headers={"User-Agent": phone})
                response = self.url_open(
                    seen,
                    data={"csrf_token": SEEN_CSRF.search(page.text)[1]},
                    headers={"User-Agent": phone},
                )
            self.assertEqual(response.status_code, 204)
            self.assertEqual(self.reminder.state, "clicked")
            # The first click is kept.
            self.assertEqual(str(self.reminder.clicked_date), "2027-03-02 10:00:00")
        self.assertFalse(self.reminder.answer)

    def test_an_answer_posted_reads_the_reminder(self):
        self.reminder.sudo().write({"state": "sent"})
        with freeze_time("2027-03-02 10:00:00"):
            self._post_answer("more_time", reason="budget_pending")
        self.assertEqual(self.reminder.answer, "more_time")
        self.assertEqual(str(self.reminder.clicked_date), "2027-03-02 10:00:00")

    def test_a_bad_link_gets_the_same_plain_page(self):
        token = self._token()
        tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
        expired = self.env["renewal.answer"]._token(
            self.reminder.sudo().answer_key, date(2020, 1, 31)
        )
        unknown = self.env["renewal.answer"]._token("no-such-key", date(2027, 3, 31))
        bad = [
            "x",
            tampered,
            expired,
            unknown,
            token.upper(),
            "%00" * 10,
            "A" * 5000,
            "<script>alert(1)</script>",
        ]
        with mute_logger("odoo.http", "werkzeug"):
            for path in ("/renewal/answer", "/renewal/unsubscribe", "/renewal/answer/"):
                page = self.url_open(path)
                self.assertEqual(page.status_code, 404, path)
                if not path.endswith("/"):
                    self.assertIn("no longer valid", page.text)
            for value in bad:
                for path in (
                    f"/renewal/answer/{value}",
                    f"/renewal/unsubscribe/{value}",
                ):
                    page = self.url_open(path)
                    self.assertIn(page.status_code, (403, 404), path)
                    self.assertNotIn("CT-0042", page.text)
                    self.assertNotIn("Traceback", page.text)
                    if "no longer valid" not in page.text:
                        # Only what Odoo's router refuses outright: a token
                        # too long for us, or one with a slash in it.
                        self.assertTrue(len(value) > 256 or "/" in value, value)
        self.assertFalse(self.reminder.answer)

    def test_one_answer_per_cycle_whichever_email_it_comes_from(self):
        self.policy_standard.grace_days = 0
        self._post_answer("more_time", reason="budget_pending")
        # The next stage goes out: its email opens the cycle's answer.
        with freeze_time("2027-03-16"):
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        second = self.contract.renewal_reminder_ids.filtered(
            lambda r: r.state == "queued" and r != self.reminder
        )
        self.assertEqual(len(second), 1)
        links = self._links(second)
        token = links["renew"].split("/renewal/answer/")[1].split("?")[0]
        page = self.url_open(f"/renewal/answer/{token}?choice=not_renew")
        self.assertIn("You already answered", page.text)
        self.assertIn("Needs More Time", page.text)
        lost = self.env.ref("renewal_reminder.renewal_lost_reason_price")
        replay = self.url_open(
            f"/renewal/answer/{token}",
            data={
                "csrf_token": self._csrf,
                "answer": "not_renew",
                "lost_reason_id": str(lost.id),
            },
        )
        self.assertIn("You already answered", replay.text)
        self.assertFalse(second.answer)
        self.assertNotEqual(self.contract.renewal_state, "lost")
        # The change goes through the cycle's answer, from either email.
        self._post_answer("renew", token=token, change="1")
        self.assertEqual(self.reminder.answer, "renew")
        self.assertEqual(self.reminder.answer_change_count, 1)
        self.assertFalse(second.answer)

    def test_a_cycle_the_team_closed_takes_no_answer(self):
        self._mark_lost(self.contract)
        page = self.url_open(f"/renewal/answer/{self._token()}?choice=renew")
        self.assertIn("This renewal is closed", page.text)
        self.assertIsNone(CSRF.search(page.text))
        self.policy_standard.self_service_renewal = True
        page = self.url_open(f"/renewal/answer/{self._token()}")
        csrf = CSRF.search(self.url_open("/web/login").text)[1]
        self.url_open(
            f"/renewal/answer/{self._token()}",
            data={"csrf_token": csrf, "answer": "renew"},
        )
        self.assertFalse(self.reminder.answer)
        self.assertEqual(self.contract.renewal_state, "lost")
        self.assertEqual(self.contract.date_end, date(2027, 3, 31))

    def test_answer_and_unsubscribe_links_open_only_their_own_page(self):
        links = self._links()
        answer_token = self._token()
        unsubscribe_token = links["unsubscribe"].split("/renewal/unsubscribe/")[1]
        self.assertNotEqual(answer_token, unsubscribe_token)
        with mute_logger("odoo.http"):
            page = self.url_open(f"/renewal/answer/{unsubscribe_token}")
            self.assertEqual(page.status_code, 404)
            self.assertNotIn("CT-0042", page.text)
            page = self.url_open(f"/renewal/unsubscribe/{answer_token}")
            self.assertEqual(page.status_code, 404)
        # Odd CSRF values are refused plainly.
        for csrf in ("é" * 40, "x" * 5000, ""):
            with mute_logger("odoo.http"):
                response = self.url_open(
                    f"/renewal/answer/{answer_token}",
                    data={"csrf_token": csrf, "answer": "renew"},
                )
            self.assertEqual(response.status_code, 400)
        self.assertFalse(self.reminder.answer)

    def test_a_post_without_csrf_token_is_refused(self):
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/renewal/answer/{self._token()}", data={"answer": "renew"}
            )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.reminder.answer)

    # -- What each answer does ---------------------------------------------

    def test_renew_stops_the_cycle_and_hands_it_to_the_salesperson(self):
        response = self._post_answer("renew", note="Happy to continue")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you, your answer is recorded", response.text)
        reminder = self.reminder
        self.assertEqual(reminder.answer, "renew")
        self.assertEqual(reminder.answer_note, "Happy to continue")
        self.assertTrue(reminder.answer_date)
        self.assertEqual(self.contract.renewal_state, "accepted")
        self.assertFalse(self.contract.renewal_next_date)
        activity = reminder.answer_activity_id
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(activity.summary, "Finalise the renewal")
        message = self._messages()[0]
        self.assertEqual(message.author_id, self.customer_standard)
        self.assertIn("Renew", message.body)
        # Answering again (a second tab, a replayed form) shows the first
        # answer and changes nothing.
        token = self._token()
        page = self.url_open(f"/renewal/answer/{token}")
        self.assertIn("You already answered", page.text)
        csrf = CSRF.search(page.text)
        self.assertIsNone(csrf, "no answer form once answered")
        first = self.url_open(f"/renewal/answer/{token}?choice=renew")
        self.assertIsNone(CSRF.search(first.text))
        lost = self.env.ref("renewal_reminder.renewal_lost_reason_price")
        with mute_logger("odoo.http"):
            replay = self.url_open(
                f"/renewal/answer/{token}",
                data={
                    "csrf_token": self._csrf,
                    "answer": "not_renew",
                    "lost_reason_id": str(lost.id),
                },
            )
        self.assertIn("You already answered", replay.text)
        self.assertEqual(reminder.answer, "renew")
        self.assertNotEqual(self.contract.renewal_state, "lost")

    def test_the_salesperson_is_told_by_odoobot_not_by_the_public_user(self):
        # A fresh database: the company has no email and no catch-all domain.
        self.company.write({"email": False, "alias_domain_id": False})
        self.env["mail.alias.domain"].search([]).unlink()
        public = self.env.ref("base.public_user")
        with self.assertNoLogs("odoo", level="ERROR"):
            response = self._post_answer("renew")
        self.assertEqual(response.status_code, 200)
        activity = self.reminder.answer_activity_id
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertNotEqual(activity.create_uid, public)
        assignation = self.env["mail.message"].search(
            [
                ("model", "=", "contract.contract"),
                ("res_id", "=", self.contract.id),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", self.salesperson.partner_id.ids),
            ]
        )
        self.assertTrue(assignation)
        self.assertNotEqual(assignation.author_id, public.partner_id)
        self.assertNotIn(public.name, assignation.body)
        # Its email has a sender a mail server takes.
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", assignation.id)])
        )
        self.assertTrue(mail.email_from)
        with self.assertNoLogs("odoo", level="ERROR"), self.mock_mail_gateway():
            mail.send()
        self.assertEqual(mail.state, "sent")
        # The note in the chatter is the customer's.
        self.assertEqual(self._messages()[0].author_id, self.customer_standard)

    def test_self_service_renewal_renews_for_one_more_term(self):
        self.policy_standard.write(
            {"self_service_renewal": True, "renewal_term_months": 12}
        )
        line = self.contract.contract_line_ids
        # Invoiced up to the end: OCA contract has nothing left to invoice.
        line.last_date_invoiced = date(2027, 3, 31)
        self.assertFalse(line.recurring_next_date)
        response = self._post_answer("renew")
        self.assertIn("Your contract is renewed until", response.text)
        self.assertEqual(self.contract.date_end, date(2028, 3, 31))
        # OCA contract's own recurring invoicing follows the new term.
        self.assertEqual(line.recurring_next_date, date(2027, 4, 1))
        self.assertEqual(self.contract.contract_line_ids.date_end, date(2028, 3, 31))
        self.assertEqual(self.contract.renewal_state, "renewed")
        self.assertTrue(self.reminder.answer_acted)
        # Settled: the answer cannot be changed any more.
        self.assertNotIn("Change my answer", response.text)

    def test_renewing_links_the_open_invoices_for_online_payment(self):
        self.policy_standard.write({"self_service_renewal": True})
        self.contract.recurring_create_invoice()
        invoice = self.contract._get_related_invoices()
        self.assertEqual(len(invoice), 1)
        invoice.action_post()
        response = self._post_answer("renew")
        self.assertIn("Invoices to pay", response.text)
        link = re.search(
            r'href="(/my/invoices/\d+\?access_token=[^"]+)"', response.text
        )
        self.assertTrue(link, "the open invoice is linked with its access token")
        # Odoo's own invoice page, with the demo provider's online payment.
        self.authenticate(None, None)
        page = self.url_open(link[1].replace("&amp;", "&"))
        self.assertEqual(page.status_code, 200)
        self.assertIn(invoice.name, page.text)
        self.assertIn("Pay Now", page.text)

    def test_more_time_moves_the_remaining_stages_once(self):
        self.policy_standard.grace_days = 14
        before = self.contract.renewal_next_date
        self._post_answer("more_time", reason="budget_pending")
        self.assertEqual(self.reminder.answer, "more_time")
        self.assertEqual(self.contract.renewal_state, "more_time")
        self.assertEqual(self.contract.renewal_grace_days, 14)
        self.assertEqual(self.contract.renewal_next_date, before + timedelta(days=14))
        self.assertEqual(
            self.reminder.answer_activity_id.summary,
            "Follow up: the customer needs more time",
        )
        # Changed again (nobody acted yet): the grace is not given twice.
        self.url_open(f"/renewal/answer/{self._token()}?change=1")
        self._post_answer("more_time", reason="invoice_not_received", change="1")
        self.assertEqual(self.reminder.answer_reason, "invoice_not_received")
        self.assertEqual(self.contract.renewal_next_date, before + timedelta(days=14))
        self.assertEqual(
            len(
                self.contract.activity_ids.filtered(lambda a: "more time" in a.summary)
            ),
            1,
        )

    def test_a_staged_payment_request_goes_to_the_salesperson(self):
        self.policy_standard.staged_payment = True
        page = self.url_open(f"/renewal/answer/{self._token()}?choice=more_time")
        self.assertIn("pay in instalments", page.text)
        self._post_answer("more_time", reason="budget_pending", staged_payment="1")
        self.assertTrue(self.reminder.answer_staged_payment)
        activity = self.reminder.answer_activity_id
        self.assertEqual(activity.summary, "Staged payment requested")
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertIn("instalments", str(activity.note))
        # Answers are searched and grouped in the log.
        Reminder = self.env["renewal.reminder"].with_user(self.salesperson)
        self.assertIn(self.reminder, Reminder.search([("answer", "=", "more_time")]))
        groups = dict(
            Reminder._read_group(
                [("contract_id", "=", self.contract.id)], ["answer_reason"], ["__count"]
            )
        )
        self.assertEqual(groups.get("budget_pending"), 1)

    def test_not_renewing_loses_the_cycle_with_its_reason_and_asks_for_a_call(self):
        competitor = self.env.ref("renewal_reminder.renewal_lost_reason_competitor")
        self._post_answer("not_renew", lost_reason_id=str(competitor.id))
        self.assertEqual(self.contract.renewal_state, "lost")
        self.assertEqual(self.contract.renewal_lost_reason_id, competitor)
        activity = self.reminder.answer_activity_id
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activity.user_id, self.salesperson)
        # An unknown reason id is refused, and nothing changes.
        self.contract.with_user(self.salesperson).action_renewal_reopen()
        self.assertTrue(self.reminder.answer_acted)

    def test_an_answer_can_be_changed_until_someone_acts(self):
        self._post_answer("renew")
        self._post_answer("more_time", reason="budget_pending", change="1")
        self.assertEqual(self.reminder.answer, "more_time")
        self.assertEqual(self.contract.renewal_state, "more_time")
        # Each change counts; after five, the answer stays.
        self.assertEqual(self.reminder.answer_change_count, 1)
        # The salesperson marks the activity done: settled.
        self.reminder.answer_activity_id.with_user(self.salesperson).action_done()
        self.assertTrue(self.reminder.answer_acted)
        page = self.url_open(f"/renewal/answer/{self._token()}")
        self.assertNotIn("Change my answer", page.text)
        # Neither the change form nor a forged change goes through.
        page = self.url_open(f"/renewal/answer/{self._token()}?choice=renew&change=1")
        self.assertIsNone(CSRF.search(page.text))
        self.url_open(
            f"/renewal/answer/{self._token()}",
            data={"csrf_token": self._csrf, "answer": "renew", "change": "1"},
        )
        self.assertEqual(self.reminder.answer, "more_time")

    def test_a_new_decision_maker_takes_over_once_confirmed(self):
        backup = self.env["res.partner"].create(
            {"name": "Backup Person", "email": "backup@harbor.example.com"}
        )
        self.customer_standard.renewal_backup_partner_id = backup
        response = self._post_answer(
            "more_time",
            reason="decision_maker_changed",
            contact_name="Nina <b>New</b>",
            contact_email="Nina@Harbor.example.com",
            contact_phone="+61 7 5550 1234",
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Nina &lt;b&gt;New&lt;/b&gt;", response.text)
        self.assertTrue(self.contract.renewal_contact_pending)
        # Meanwhile the backup contact gets the reminders.
        self.assertEqual(
            self.env["renewal.dispatch"]._email_recipient(self.contract), backup
        )
        self.contract.with_user(self.salesperson).action_renewal_confirm_contact()
        contact = self.contract.renewal_contact_id
        self.assertEqual(contact.name, "Nina <b>New</b>")
        self.assertEqual(contact.email, "nina@harbor.example.com")
        self.assertEqual(contact.parent_id, self.customer_standard)
        self.assertEqual(
            self.env["renewal.dispatch"]._email_recipient(self.contract), contact
        )
        self.assertFalse(self.contract.renewal_contact_pending)

    def test_what_the_customer_types_is_escaped_everywhere(self):
        hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>{{ 7*7 }}"
        response = self._post_answer("more_time", reason="other", note=hostile)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("<script>alert", response.text)
        message = self._messages()[0]
        self.assertNotIn("<script", str(message.body))
        self.assertNotIn(
            "onerror=alert", str(message.body).replace("onerror=alert(1)&gt;", "")
        )
        self.assertIn("&lt;script&gt;", str(message.body))
        self.assertNotIn("49", str(message.body))
        note = str(self.reminder.answer_activity_id.note)
        self.assertNotIn("<script", note)
        self.assertEqual(self.reminder.answer_note, hostile)

    def test_a_form_with_mistakes_says_what_to_fix(self):
        response = self._post_answer("more_time")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Tell us why you need more time", response.text)
        response = self._post_answer(
            "more_time", reason="decision_maker_changed", contact_email="nobody"
        )
        self.assertIn("valid email address", response.text)
        response = self._post_answer("not_renew", lost_reason_id="999999")
        self.assertIn("why you will not renew", response.text)
        self.assertFalse(self.reminder.answer)

    # -- Consent -------------------------------------------------------------

    def test_one_click_unsubscribe_as_mail_providers_send_it(self):
        path = self._links()["unsubscribe"]
        # No cookie, no CSRF token: a mail provider's POST (RFC 8058).
        response = requests.post(
            self.base_url() + path,
            data={"List-Unsubscribe": "One-Click"},
            timeout=30,
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.customer_standard.renewal_opt_out)
        consent = self.customer_standard.renewal_consent_ids
        self.assertEqual(len(consent), 1)
        self.assertEqual(
            (consent.action, consent.method, consent.reminder_id),
            ("opt_out", "one_click", self.reminder),
        )
        self.assertFalse(self.customer_standard.renewal_opt_out_user_id)

    def test_unsubscribing_from_the_page_is_reversible(self):
        path = self._links()["unsubscribe"]
        page = self.url_open(path)
        self.assertFalse(self.customer_standard.renewal_opt_out)
        csrf = CSRF.search(page.text)[1]
        page = self.url_open(path, data={"csrf_token": csrf})
        self.assertIn("no longer receive renewal reminders", page.text)
        self.assertTrue(self.customer_standard.renewal_opt_out)
        csrf = CSRF.search(page.text)[1]
        page = self.url_open(path, data={"csrf_token": csrf, "subscribe": "1"})
        self.assertIn("receive renewal reminders again", page.text)
        self.assertFalse(self.customer_standard.renewal_opt_out)
        self.assertEqual(
            self.customer_standard.renewal_consent_ids.mapped("action"),
            ["opt_in", "opt_out"],
        )
        # A Renewals manager (who edits contacts) can change it too, on record.
        self.manager.groups_id += self.env.ref("base.group_partner_manager")
        self.customer_standard.with_user(self.manager).renewal_opt_out = True
        latest = self.customer_standard.renewal_consent_ids[:1]
        self.assertEqual((latest.action, latest.method), ("opt_out", "team"))
        self.assertEqual(latest.user_id, self.manager)
        self.customer_standard.with_user(self.manager).renewal_opt_out = False
        # The page's own form without its token changes nothing.
        with mute_logger("odoo.http"):
            response = requests.post(self.base_url() + path, data={}, timeout=30)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.customer_standard.renewal_opt_out)
