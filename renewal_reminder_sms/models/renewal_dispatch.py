"""The SMS channel of renewal reminders.

A stage whose channel is SMS goes through the core's channel interface
(``renewal.dispatch``): its recipient is checked for a number, its text is
rendered from an ``sms.template`` in the customer's language, closed by a
short link to the answer page and a short opt-out link (Odoo's
``link_tracker``, which counts the clicks), and it leaves through Odoo's
SMS queue, logged in the contract's chatter.
"""

from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.tools import html2plaintext, plaintext2html

from odoo.addons.renewal_reminder.tools import renewal_rules
from odoo.addons.renewal_reminder.tools.renewal_plan import ReminderPlan
from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from ..tools import renewal_sms


class RenewalDispatch(models.AbstractModel):
    _inherit = "renewal.dispatch"

    # ------------------------------------------------------------------
    # Recipient
    # ------------------------------------------------------------------

    @api.model
    def _sms_number(self, partner, company):
        """``(number, formatted)``: the partner's mobile (else phone) and its
        E.164 form for the partner's country (else the company's)."""
        number = (partner.mobile or partner.phone or "").strip()
        if not number:
            return "", False
        country = partner.country_id or company.country_id
        return number, partner._phone_format(
            number=number, country=country, force_format="E164"
        )

    @api.model
    def _recipients_sms(self, contracts):
        """Who an SMS of each contract goes to, and why it may not; the
        phone blacklist is read once for all of them."""
        found = [self._sms_recipient(contract) for contract in contracts]
        blacklisted = self._sms_blacklist(
            [formatted for _recipient, problem, formatted in found if not problem]
        )
        return [
            (
                recipient,
                problem
                or (
                    renewal_sms.REASON_PHONE_BLACKLISTED
                    if formatted in blacklisted
                    else None
                ),
            )
            for recipient, problem, formatted in found
        ]

    @api.model
    def _sms_recipient(self, contract):
        """``(recipient, problem, E.164 number)`` of an SMS of ``contract``,
        the blacklist apart."""
        company = contract.company_id

        def reachable(partner):
            return bool(partner) and bool(self._sms_number(partner, company)[1])

        recipient = self._choose_recipient(contract, reachable)
        problem = self._recipient_problem(contract, recipient, by_email=False)
        if problem:
            return recipient, problem, False
        if (
            recipient.renewal_sms_opt_out
            or recipient.commercial_partner_id.renewal_sms_opt_out
            or contract.partner_id.commercial_partner_id.renewal_sms_opt_out
        ):
            return recipient, renewal_sms.REASON_SMS_OPTED_OUT, False
        number, formatted = self._sms_number(recipient, company)
        return recipient, renewal_sms.number_problem(number, formatted), formatted

    @api.model
    def _sms_blacklist(self, numbers):
        numbers = [number for number in numbers if number]
        if not numbers:
            return set()
        return set(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", numbers), ("active", "=", True)])
            .mapped("number")
        )

    # ------------------------------------------------------------------
    # Text
    # ------------------------------------------------------------------

    @api.model
    def _prepare_sms(self, plans):
        """Render each plan's SMS, one pass per template and language, then
        add its answer and opt-out short links."""
        templates = {}
        by_template = defaultdict(list)
        for plan in plans:
            stage = plan.stage
            if stage not in templates:
                templates[stage] = stage._sms_template()
            by_template[templates[stage]].append(plan)
        for template, template_plans in by_template.items():
            if not template or template.sudo().model != "contract.contract":
                for plan in template_plans:
                    plan.update(
                        state="failed",
                        reason_code="render_error",
                        reason=self.env._(
                            "The stage has no SMS template for contracts."
                        ),
                    )
                continue
            texts = self._render_sms(template, [p.contract.id for p in template_plans])
            for plan in template_plans:
                text = texts.get(plan.contract.id)
                if isinstance(text, Exception):
                    plan.update(
                        state="failed",
                        reason_code="render_error",
                        reason=self.env._(
                            "SMS template “%(template)s” could not be rendered: "
                            "%(error)s",
                            template=template.name,
                            error=text,
                        ),
                    )
                    continue
                text = html2plaintext(text or "", include_references=False).strip()
                leftovers = renewal_rules.leftover_placeholders(text)
                if not text:
                    leftovers.insert(0, "empty")
                if leftovers:
                    plan.update(
                        state="failed",
                        reason_code="unrendered",
                        reason=self.env._(
                            "The message still holds %(markers)s: it was not sent.",
                            markers=", ".join(leftovers),
                        ),
                    )
                    continue
                plan.extra["sms_template"] = template
                plan.extra["sms_text"] = text
        ready = [plan for plan in plans if plan.extra.get("sms_text")]
        self._add_sms_links(ready)

    @api.model
    def _render_sms(self, template, contract_ids):
        """{contract_id: text or the exception that prevented it}: one render
        for all, else one per contract, so that one contract that breaks the
        template costs only its own SMS."""
        try:
            return template._render_field("body", contract_ids, compute_lang=True)
        except Exception:  # noqa: BLE001 - isolate the contracts that break it
            results = {}
            for contract_id in contract_ids:
                try:
                    results.update(
                        template._render_field("body", [contract_id], compute_lang=True)
                    )
                except Exception as error:  # noqa: BLE001 - logged on the reminder
                    results[contract_id] = error
            return results

    @api.model
    def _add_sms_links(self, plans):
        """Close each SMS with a short link to its answer page and a short
        opt-out link, in the customer's language."""
        if not plans:
            return
        Answer = self.env["renewal.answer"]
        urls = []
        for plan in plans:
            plan.answer_key = plan.answer_key or Answer._new_key()
            links = Answer._urls(plan.contract, plan.answer_key, plan.cycle_end)
            plan.extra["answer_url"] = links["answer"]
            # The SMS's own opt-out: it stops renewal SMS, not the emails.
            plan.extra["optout_url"] = Answer._sms_stop_url(
                plan.contract, plan.answer_key
            )
            urls += [plan.extra["answer_url"], plan.extra["optout_url"]]
        # Long random codes: a short link must not be guessable, since it
        # opens a page of the customer's (see link_tracker_code.py).
        trackers = (
            self.env["link.tracker"]
            .sudo()
            .with_context(renewal_long_link_codes=True)
            .search_or_create(
                [{"url": url, "title": "Renewal reminder"} for url in urls]
            )
        )
        # A tracker's newest code is its short link (as link_tracker reads
        # it), read once for the batch without naming the trackers.
        codes = {
            code.link_id.id: code.code
            for code in self.env["link.tracker.code"]
            .sudo()
            .search([("link_id", "in", trackers.ids)], order="id")
        }
        base = plans[0].contract.get_base_url()
        short = {
            url: f"{base}/r/{codes[tracker.id]}"
            for url, tracker in zip(urls, trackers, strict=True)
        }
        for plan in plans:
            lang = (plan.recipient or plan.contract.partner_id).lang
            localized = self.with_context(lang=lang or self.env.lang)
            text = localized.env._(
                "%(text)s\nAnswer: %(answer)s\nStop SMS: %(stop)s",
                text=plan.extra["sms_text"],
                answer=short[plan.extra["answer_url"]],
                stop=short[plan.extra["optout_url"]],
            )
            plan.body = text
            # An SMS that waits (for review, or for the sending hours) waits
            # in the log as HTML.
            plan.held_body = self._sms_review_body(text)
            plan.subject = False

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _send_sms(self, plans):
        """Queue each plan's SMS for Odoo's SMS queue (which is woken up),
        as Odoo's SMS composer sends to many records in mass mode keeping a
        log on each: the SMS text logged in its contract's chatter
        (``_message_log_batch``), each SMS tied to its log by a notification
        and a delivery tracker (as ``_notify_thread_by_sms`` ties them), so
        that the delivery reports reach the reminder. Each kind of record is
        made in one ``create`` for the batch (a contract with two SMS in it
        takes two turns)."""
        if not plans:
            return
        numbers = {}
        for plan in plans:
            key = (plan.recipient.id, plan.contract.company_id.id)
            if key not in numbers:
                numbers[key] = self._sms_number(
                    plan.recipient, plan.contract.company_id
                )[1]
            plan.extra["sms_number"] = numbers[key]
        now = fields.Datetime.now()
        for turn in _turns(plans):
            messages = self._log_and_queue_sms(turn)
            for plan, message in zip(turn, messages, strict=True):
                plan.update(
                    state="queued",
                    queued_date=now,
                    sent_values={
                        "message_id": message.id,
                        "sms_number": plan.extra["sms_number"],
                        "email_to": False,
                    },
                )
        queue = self.env.ref("sms.ir_cron_sms_scheduler_action", False)
        if queue:
            queue.sudo()._trigger()

    @api.model
    def _log_and_queue_sms(self, plans):
        """The log messages of ``plans`` (one contract each), their SMS,
        notifications and trackers; the log messages in the plans' order."""
        contracts = self.env["contract.contract"].browse(
            [plan.contract.id for plan in plans]
        )
        # What the composer's mass mode logs of each SMS.
        messages = contracts._message_log_batch(
            bodies={
                plan.contract.id: sms_content_to_rendered_html(plan.body)
                for plan in plans
            },
            message_type="sms",
        )
        sms_records = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": plan.body,
                        "number": plan.extra["sms_number"],
                        "partner_id": plan.recipient.id,
                        "mail_message_id": message.id,
                        "state": "outgoing",
                        "failure_type": "",
                    }
                    for plan, message in zip(plans, messages, strict=True)
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                    "failure_type": "",
                }
                for sms, message in zip(sms_records, messages, strict=True)
            ]
        )
        return messages

    @api.model
    def _send_approved_sms(self, reminders):
        """Send the held SMS reminders a salesperson approved (their text
        as it was reviewed)."""
        plans = [
            ReminderPlan(
                contract=reminder.contract_id,
                recipient=reminder.recipient_id,
                channel="sms",
                body=html2plaintext(
                    reminder.draft_body or "", include_references=False
                ).strip(),
            )
            for reminder in reminders
        ]
        self._send_sms(plans)
        for reminder, plan in zip(reminders, plans, strict=True):
            reminder.write(
                dict(
                    plan.sent_values,
                    state="queued",
                    queued_date=plan.queued_date,
                    draft_body=False,
                )
            )

    @api.model
    def _sms_review_body(self, text):
        """An SMS as a held reminder keeps it for review (HTML)."""
        return plaintext2html(text or "")


def _turns(plans):
    """``plans`` in turns where each contract has one plan at most, each
    turn in the plans' order."""
    turns = []
    for plan in plans:
        contract = plan.contract.id
        for turn in turns:
            if contract not in turn:
                turn[contract] = plan
                break
        else:
            turns.append({contract: plan})
    return [list(turn.values()) for turn in turns]
