"""The customer's side of a reminder: its signed links and what an answer does.

Every customer reminder carries links to answer it (renew, more time, not
renewing) and to unsubscribe. A link holds a token signed with Odoo's
``hash_sign`` that names one reminder by a random key and expires some
time after the reminder's cycle; nothing else about the customer is in it.
The portal controller (``controllers/renewal_portal.py``) only reads pages
and hands posted forms to the methods here, which check and record them.
"""

import logging
import re
import secrets
from datetime import datetime, time

from dateutil.relativedelta import relativedelta
from lxml import html
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, hash_sign, verify_hash_signed

from ..tools import renewal_answers

_logger = logging.getLogger(__name__)

TOKEN_SCOPE = "renewal_reminder.answer"
# Unsubscribe links go to mail providers (List-Unsubscribe): signed apart,
# they open the consent page only, never the answers; and they do not expire.
UNSUBSCRIBE_SCOPE = "renewal_reminder.unsubscribe"
LAYOUT = "renewal_reminder.mail_notification_renewal"
# The emptied block the standard templates leave for the links.
_ANSWER_SLOT = re.compile(
    r'(<div[^>]*\bclass="o_renewal_answer_links"[^>]*>)(\s*)(</div>)', re.IGNORECASE
)
# Longest token accepted before decoding anything (a real one is ~90).
MAX_TOKEN_LENGTH = 256


class RenewalAnswer(models.AbstractModel):
    _name = "renewal.answer"
    _description = "Renewal Reminder Answers"

    # ------------------------------------------------------------------
    # Links
    # ------------------------------------------------------------------

    @api.model
    def _new_key(self):
        return secrets.token_urlsafe(18)

    @api.model
    def _token(self, key, cycle_end, grace_days=0):
        """The signed answer token of the reminder known by ``key``."""
        expiry = datetime.combine(
            renewal_answers.link_expiry(cycle_end, grace_days), time.min
        )
        return hash_sign(self.env(su=True), TOKEN_SCOPE, {"k": key}, expiration=expiry)

    @api.model
    def _unsubscribe_token(self, key):
        """The signed unsubscribe token of the reminder known by ``key``."""
        return hash_sign(self.env(su=True), UNSUBSCRIBE_SCOPE, {"k": key})

    @api.model
    def _reminder_from_token(self, token, scope=TOKEN_SCOPE):
        """The reminder a token opens (as superuser), or an empty recordset.

        A token that is not one of ours, was altered, has expired, or names
        a reminder that is gone gives nothing, the same way for all.
        """
        Reminder = self.env["renewal.reminder"].sudo()
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            return Reminder
        try:
            values = verify_hash_signed(self.env(su=True), scope, token)
        except Exception:  # noqa: BLE001 - any undecodable token is just invalid
            return Reminder
        key = values.get("k") if isinstance(values, dict) else None
        if not isinstance(key, str) or not key:
            return Reminder
        reminder = Reminder.search([("answer_key", "=", key)], limit=1)
        if not reminder or not reminder.contract_id.active:
            return Reminder
        return reminder

    @api.model
    def _urls(self, contract, key, cycle_end):
        """The reminder's answer and unsubscribe addresses."""
        token = self._token(key, cycle_end, contract._renewal_grace())
        base = contract.get_base_url()
        answer = f"{base}/renewal/answer/{token}"
        return {
            "answer": answer,
            "renew": f"{answer}?choice=renew",
            "more_time": f"{answer}?choice=more_time",
            "not_renew": f"{answer}?choice=not_renew",
            "unsubscribe": f"{base}/renewal/unsubscribe/{self._unsubscribe_token(key)}",
        }

    @api.model
    def _mail_headers(self, urls):
        """RFC 8058 one-click unsubscribe headers of a reminder email."""
        return {
            "List-Unsubscribe": f"<{urls['unsubscribe']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    @api.model
    def _decorate(self, plans):
        """Give each plan's email its answer block and unsubscribe headers.

        Each plan gets a new ``answer_key`` (kept on its reminder); the
        block, in the customer's language, takes the place the template
        left for it, or closes the message when the template has none.
        """
        QWeb = self.env["ir.qweb"]
        for plan in plans:
            if plan.state not in ("scheduled", "review") or not plan.body:
                continue
            contract = plan.contract
            key = plan.answer_key or self._new_key()
            plan.answer_key = key
            urls = self._urls(contract, key, plan.cycle_end)
            lang = (
                plan.recipient.lang if plan.recipient else contract.partner_id.lang
            ) or self.env.lang
            # The renewal layout shows the unsubscribe link in its footer;
            # another layout gets it here.
            template = plan.template
            in_footer = bool(template and template.email_layout_xmlid == LAYOUT)
            block = QWeb.with_context(lang=lang)._render(
                "renewal_reminder.reminder_answer_block",
                {
                    "urls": urls,
                    "company": contract.company_id,
                    "show_unsubscribe": not in_footer,
                },
            )
            plan.body = self._insert_block(plan.body, block)
            plan.mail_headers = self._mail_headers(urls)

    @api.model
    def _unsubscribe_url(self, headers):
        """The unsubscribe address the headers of a reminder email carry."""
        value = (headers or {}).get("List-Unsubscribe") or ""
        return value.strip().lstrip("<").rstrip(">") or False

    @api.model
    def _insert_block(self, body, block):
        """``body`` (rendered HTML) with ``block`` in its slot, or at its end."""
        body, block = str(body), str(block).strip()
        if _ANSWER_SLOT.search(body):
            return Markup(
                _ANSWER_SLOT.sub(lambda m: m[1] + block + m[2] + m[3], body, 1)
            )
        return Markup(body + block)

    @api.model
    def _without_links(self, body):
        """``body`` without its answer block: what the team reads of a
        reminder in the chatter opens nothing for the customer."""
        body = str(body or "")
        if "o_renewal_answer_block" not in body:
            return Markup(body)
        root = html.fragment_fromstring(body, create_parent="div")
        for block in root.xpath(
            "//*[contains(concat(' ', normalize-space(@class), ' '),"
            " ' o_renewal_answer_block ')]"
        ):
            block.drop_tree()  # its tail (the slot's spacing) stays
        text = html.tostring(root, encoding="unicode")
        # Drop the <div> wrapping the fragment.
        return Markup(text[len("<div>") : -len("</div>")])

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------

    @api.model
    def _lost_reasons(self):
        return self.env["renewal.lost.reason"].sudo().search([])

    @api.model
    def _holder(self, reminder):
        """The reminder holding the answer of ``reminder``'s cycle: the one
        the customer answered (from any reminder of the cycle), else itself.
        A cycle has one answer, whichever email it came from."""
        contract = reminder.contract_id
        current = contract.renewal_answer_reminder_id
        if (
            current
            and current.answer
            and contract.renewal_answer_end == reminder.cycle_end
        ):
            return current
        return reminder

    @api.model
    def _is_open(self, reminder):
        """Whether the customer may still answer for ``reminder``'s cycle:
        it is the contract's current one, and nobody closed it (a renewal
        marked lost by the team, not by the customer's own answer)."""
        contract = reminder.contract_id
        if not contract.active or reminder.cycle_end != contract.renewal_cycle_end:
            return False
        if contract.renewal_lost_end == reminder.cycle_end:
            holder = self._holder(reminder)
            return (
                holder.answer == renewal_answers.ANSWER_NOT_RENEW
                and not holder.answer_acted
            )
        return True

    @api.model
    def _may_change(self, holder):
        return self._is_open(holder) and renewal_answers.may_change_answer(
            holder.answer, holder.answer_acted, holder.answer_change_count
        )

    @api.model
    def _record(self, reminder, form, change=False):
        """Record the answer ``form`` holds for ``reminder``'s cycle (from
        its link).

        Returns ``(ok, errors)``. A cycle already answered keeps its answer
        unless ``change`` is asked while nobody acted on it.
        """
        reminder = reminder.sudo()
        contract = reminder.contract_id
        policy = contract.renewal_policy_id or reminder.policy_id
        values, errors = renewal_answers.parse_answer(
            form,
            lost_reason_ids=self._lost_reasons().ids,
            staged_payment_offered=policy.staged_payment,
        )
        # One answer at a time per contract: a second request waits here,
        # then finds the first one.
        self.env.cr.execute(
            "SELECT id FROM contract_contract WHERE id = %s FOR UPDATE", [contract.id]
        )
        contract.invalidate_recordset()
        reminder.invalidate_recordset()
        if not self._is_open(reminder):
            return False, []
        holder = self._holder(reminder)
        if holder.answer and not (change and self._may_change(holder)):
            return False, []
        if errors:
            return False, errors
        previous = holder.answer and renewal_answers.answer_effects(
            holder.answer, holder.answer_reason
        )
        if holder.answer:
            self._undo(holder)
        grace_used = bool(
            contract.renewal_grace_end
            and contract.renewal_grace_end == reminder.cycle_end
        )
        effects = renewal_answers.answer_effects(
            values["answer"],
            values["reason"],
            self_service=policy.self_service_renewal,
            grace_days=policy.grace_days,
            grace_used=grace_used,
            staged_payment=values["staged_payment"],
        )
        now = fields.Datetime.now()
        holder.write(
            {
                "answer": values["answer"],
                "answer_reason": values["reason"],
                "answer_lost_reason_id": values["lost_reason_id"],
                "answer_note": values["note"] or False,
                "answer_staged_payment": values["staged_payment"],
                "answer_contact_name": values["contact_name"] or False,
                "answer_contact_email": values["contact_email"] or False,
                "answer_contact_phone": values["contact_phone"] or False,
                "answer_date": now,
                "answer_acted": False,
                "answer_change_count": holder.answer_change_count
                + (1 if previous else 0),
            }
        )
        staff = self._staff(holder)
        contract_values = {
            "renewal_answer": effects.contract_answer,
            "renewal_answer_end": holder.cycle_end,
            "renewal_answer_reminder_id": holder.id,
        }
        if effects.grace_days:
            contract_values.update(
                renewal_grace_end=holder.cycle_end,
                renewal_grace_days=effects.grace_days,
            )
        if effects.marks_lost:
            lost_reason = holder.answer_lost_reason_id.with_env(staff.env)
            contract_values.update(
                renewal_lost_end=holder.cycle_end,
                renewal_lost_reason=lost_reason.name,
                renewal_lost_reason_id=lost_reason.id,
            )
        contract.with_context(mail_notrack=True).write(contract_values)
        if effects.stops_reminders:
            staff._stop_cycle(holder.with_env(staff.env))
        else:
            if previous and previous.stops_reminders:
                self._restore_cycle(holder)
            # More time asked: the remaining reminders move, and an email
            # held for the sending hours does not go out meanwhile.
            staff._held_emails(holder.with_env(staff.env))._cancel(
                "answered",
                staff.env._(
                    "The customer answered: %(answer)s.",
                    answer=holder.with_env(staff.env)._answer_label(),
                ),
            )
        staff._log_answer(holder.with_env(staff.env), effects)
        if effects.renews_now:
            staff._renew_now(holder.with_env(staff.env), policy)
        if effects.contract_answer == renewal_answers.ANSWER_RENEW:
            # The invoices the page links get their portal access now, not
            # when a page is merely opened.
            self._open_invoices(contract)._portal_ensure_token()
        return True, []

    @api.model
    def _staff(self, reminder):
        """This model for what an answer does on the team's side, in the
        language of the people who read the chatter.

        It runs as OdooBot: the customer has no user of their own, and the
        public user the page runs as would sign the salesperson's activity
        (its assignation email has no sender on a database without a
        catch-all domain).
        """
        contract = reminder.contract_id
        lang = (
            contract.user_id.lang
            or contract.company_id.partner_id.lang
            or self.env["res.lang"]._get_data(code="en_US").code
            or self.env.lang
        )
        return self.with_user(self.env.ref("base.user_root")).with_context(lang=lang)

    @api.model
    def _open_invoices(self, contract):
        """The customer's invoices of ``contract`` still to pay."""
        return (
            contract.sudo()
            ._get_related_invoices()
            .filtered(
                lambda move: (
                    move.state == "posted"
                    and move.move_type == "out_invoice"
                    and move.payment_state in ("not_paid", "partial")
                )
            )
        )

    @api.model
    def _restore_cycle(self, reminder):
        """The reminders the previous answer stopped wait again."""
        stopped = reminder.contract_id.renewal_reminder_ids.filtered(
            lambda r: (
                r.cycle_end == reminder.cycle_end
                and r.state == "cancelled"
                and r.reason_code == "answered"
            )
        )
        if not stopped:
            return
        # An email held in the mail queue for the sending hours goes back
        # there; a message that waited in the log waits again.
        held_mails = stopped.filtered(
            lambda r: r.mail_id and r.sudo().mail_id.state == "cancel"
        )
        held_mails.sudo().mail_id.write({"state": "outgoing"})
        reset = {"reason_code": False, "reason": False, "outcome_date": False}
        held_mails.write(dict(reset, state="queued"))
        rest = stopped - held_mails
        rest.filtered("send_at").write(dict(reset, state="scheduled"))
        rest.filtered(lambda r: not r.send_at).write(dict(reset, state="review"))

    @api.model
    def _undo(self, reminder):
        """Take back what the previous answer did, before a changed one."""
        contract = reminder.contract_id
        values = {}
        if reminder.answer == renewal_answers.ANSWER_NOT_RENEW and (
            contract.renewal_lost_end == reminder.cycle_end
        ):
            values.update(
                renewal_lost_end=False,
                renewal_lost_reason=False,
                renewal_lost_reason_id=False,
            )
        if values:
            contract.with_context(mail_notrack=True).write(values)
        if reminder.answer_activity_id:
            reminder.answer_activity_id.unlink()

    @api.model
    def _stop_cycle(self, reminder):
        """The cycle's reminders still waiting will not go out."""
        waiting = reminder.contract_id.renewal_reminder_ids.filtered(
            lambda r: (
                r.cycle_end == reminder.cycle_end and r.state in ("scheduled", "review")
            )
        )
        # An email still held in the mail queue for the sending hours does
        # not go out either.
        waiting |= self._held_emails(reminder)
        waiting._cancel(
            "answered",
            self.env._(
                "The customer answered: %(answer)s.", answer=reminder._answer_label()
            ),
        )

    @api.model
    def _held_emails(self, reminder):
        """The cycle's emails the mail queue still holds for later."""
        return reminder.contract_id.renewal_reminder_ids.filtered(
            lambda r: r.cycle_end == reminder.cycle_end
        )._held_in_mail_queue()

    @api.model
    def _log_answer(self, reminder, effects):
        """The answer in the contract's chatter, as the customer, with the
        salesperson told, and an activity for what they have to do."""
        contract = reminder.contract_id
        customer = reminder.recipient_id or reminder.partner_id
        lines = [Markup("<p><strong>%s</strong></p>") % reminder._answer_label()]
        details = reminder._answer_details()
        if details:
            lines.append(
                Markup("<ul>%s</ul>")
                % Markup("").join(Markup("<li>%s</li>") % line for line in details)
            )
        if reminder.answer_note:
            lines.append(
                Markup('<blockquote class="o_renewal_answer_note">%s</blockquote>')
                % reminder.answer_note
            )
        body = Markup("").join(lines)
        contract.with_context(mail_create_nosubscribe=True).message_post(
            body=body,
            author_id=customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        activity = self._schedule_answer_activity(reminder, effects, body)
        reminder.answer_activity_id = activity

    @api.model
    def _schedule_answer_activity(self, reminder, effects, note):
        contract = reminder.contract_id
        if not contract.user_id:
            return self.env["mail.activity"]
        summaries = {
            renewal_answers.ACTIVITY_FINALISE: self.env._("Finalise the renewal"),
            renewal_answers.ACTIVITY_SAVE: self.env._("Call to save the renewal"),
            renewal_answers.ACTIVITY_FOLLOW_UP: self.env._(
                "Follow up: the customer needs more time"
            ),
            renewal_answers.ACTIVITY_STAGED_PAYMENT: self.env._(
                "Staged payment requested"
            ),
            renewal_answers.ACTIVITY_NEW_CONTACT: self.env._(
                "Confirm the new renewal contact"
            ),
        }
        ref = self.env.ref
        if effects.activity == renewal_answers.ACTIVITY_SAVE:
            activity_type = ref("mail.mail_activity_data_call", False)
        else:
            activity_type = ref(
                "renewal_reminder.mail_activity_type_renewal_answer", False
            )
        activity_type = activity_type or ref("mail.mail_activity_data_todo", False)
        if not activity_type:
            return self.env["mail.activity"]
        return contract.activity_schedule(
            activity_type_id=activity_type.id,
            user_id=contract.user_id.id,
            summary=summaries[effects.activity],
            note=note,
            date_deadline=fields.Date.context_today(self),
        )

    @api.model
    def _renew_now(self, reminder, policy):
        """Renew the contract for one more term, as a salesperson would: its
        lines running to the cycle's end move by the policy's term."""
        contract = reminder.contract_id
        cycle_end = reminder.cycle_end
        months = max(policy.renewal_term_months or 12, 1)
        lines = contract.contract_line_ids.filtered(
            lambda line: (
                not line.is_canceled
                and not line.display_type
                and line.date_end == cycle_end
            )
        )
        if not lines:
            return False
        new_end = cycle_end + relativedelta(months=months)
        try:
            with self.env.cr.savepoint():
                lines.write({"date_end": new_end})
        except (UserError, ValidationError):
            # Another rule refuses the new end: the salesperson finalises it.
            _logger.info(
                "Self-service renewal of contract %s left to the team", contract.id
            )
            return False
        reminder.answer_acted = True
        if reminder.answer_activity_id:
            reminder.answer_activity_id.action_feedback(
                feedback=self.env._("Renewed by the customer.")
            )
        contract.message_post(
            body=self.env._(
                "Renewed by the customer from a reminder until %(date)s.",
                date=contract._renewal_format_date(new_end),
            ),
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        return True

    # ------------------------------------------------------------------
    # Consent
    # ------------------------------------------------------------------

    @api.model
    def _set_consent(
        self, reminder, opt_out, method, field="renewal_opt_out", channel="all"
    ):
        """Opt the reminder's customer out of renewal reminders (or back in:
        ``field`` says which, ``channel`` how the history names it) and
        record how; a change that changes nothing records nothing."""
        partner = reminder.sudo().partner_id.commercial_partner_id
        if bool(partner[field]) == bool(opt_out):
            return False
        partner.with_context(renewal_consent_method=method).write(
            {field: bool(opt_out)}
        )
        if field == "renewal_opt_out":
            # The customer did it, not a user of the company.
            partner.renewal_opt_out_user_id = False
        self.env["renewal.consent"].sudo().create(
            {
                "partner_id": partner.id,
                "action": "opt_out" if opt_out else "opt_in",
                "method": method,
                "reminder_id": reminder.id,
                "channel": channel,
            }
        )
        channels = dict(
            self.env["renewal.consent"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        partner.message_post(
            body=self.env._(
                "%(reminders)s: %(change)s from a reminder of %(contract)s.",
                reminders=channels.get(channel, channel),
                change=self.env._("opted out")
                if opt_out
                else self.env._("opted in again"),
                contract=reminder.contract_id.display_name,
            ),
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        return True

    @api.model
    def _new_contact(self, reminder):
        """The partner the customer's new decision maker becomes (found by
        email among the customer's contacts, else created)."""
        reminder = reminder.sudo()
        commercial = reminder.partner_id.commercial_partner_id
        email = email_normalize(reminder.answer_contact_email or "")
        Partner = self.env["res.partner"].sudo()
        existing = (
            Partner.search(
                [("id", "child_of", commercial.id), ("email_normalized", "=", email)],
                limit=1,
            )
            if email
            else Partner
        )
        if existing:
            return existing
        return Partner.create(
            {
                "name": reminder.answer_contact_name,
                "email": reminder.answer_contact_email,
                "phone": reminder.answer_contact_phone or False,
                "parent_id": commercial.id,
                "type": "contact",
            }
        )
