from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date, format_time, html2plaintext

from ..tools import (
    renewal_answers,
    renewal_escalation,
    renewal_limits,
    renewal_rules,
)

REMINDER_STATES = [
    ("scheduled", "Scheduled"),
    ("review", "Awaiting Review"),
    ("refused", "Refused"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("opened", "Opened"),
    ("clicked", "Clicked"),
    ("bounced", "Bounced"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("cancelled", "Cancelled"),
]

# A reminder in one of these states has reached, or is on its way to, the
# customer (delivered, opened, clicked: what the customer's side reported).
OUTGOING_STATES = ("queued", "sent", "delivered", "opened", "clicked")
# A stage whose reminder is in one of these states is done for its cycle.
HANDLED_STATES = OUTGOING_STATES + (
    "scheduled",
    "review",
    "refused",
    "bounced",
    "failed",
    "skipped",
    "cancelled",
)

REASON_CODES = [
    ("superseded", "Superseded by a later stage"),
    ("no_email", "No email address"),
    ("opted_out", "Customer opted out"),
    ("blacklisted", "Address blacklisted"),
    ("archived_partner", "Archived customer"),
    ("no_policy", "No matching policy"),
    ("render_error", "Template could not be rendered"),
    ("unrendered", "Placeholder left in the message"),
    ("other_company", "Customer of another company"),
    ("renewed", "Contract renewed"),
    ("closed", "Contract closed"),
    ("refused", "Refused in review"),
    ("delivery", "Delivery failure"),
    ("bounced", "Bounced back"),
    ("expired", "Renewal cycle over"),
    ("answered", "The customer answered"),
    ("no_send_window", "No sending moment before the end"),
]

# Reasons that come from bad data: also written in the contract's chatter.
DATA_PROBLEM_REASONS = (
    "no_email",
    "opted_out",
    "blacklisted",
    "archived_partner",
    "no_policy",
    "render_error",
    "unrendered",
    "other_company",
)
# A reminder in one of these states can still change before it goes out.
OPEN_STATES = ("scheduled", "review")
# Days before the end date a contract without a policy is noted once, so
# an admin sees it in the log instead of it being silently ignored.
NO_POLICY_NOTICE_DAYS = 30
# Fields a reminder copies from its contract (and follows when they change).
CONTRACT_FIELDS = ("company_id", "partner_id", "user_id")
# What a person may change by writing a reminder: the text of one still
# awaiting review. Everything else changes through the actions (approve,
# refuse, urgent reminder), which check what they do.
EDITABLE_IN_REVIEW = frozenset({"subject", "draft_body", "body"})
ANSWER_SELECTION = [
    (renewal_answers.ANSWER_RENEW, "Renew"),
    (renewal_answers.ANSWER_MORE_TIME, "Needs More Time"),
    (renewal_answers.ANSWER_NOT_RENEW, "Will Not Renew"),
]
MORE_TIME_REASON_SELECTION = [
    (renewal_answers.REASON_INVOICE, "Invoice not received"),
    (renewal_answers.REASON_BUDGET, "Budget approval pending"),
    (renewal_answers.REASON_DECISION_MAKER, "Decision maker changed"),
    (renewal_answers.REASON_OTHER, "Other"),
]
# Failures of the mail server, not of the address: worth sending again.
TEMPORARY_FAILURES = ("mail_smtp",)


class RenewalReminder(models.Model):
    _name = "renewal.reminder"
    _description = "Renewal Reminder"
    _order = "scheduled_date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        comodel_name="contract.contract",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    # Copied from the contract when the reminder is made, and kept in step
    # by the contract (see contract.contract.write). As related fields they
    # were precomputed through a draft record per reminder, which cost the
    # daily pass a fifth of its time.
    company_id = fields.Many2one(comodel_name="res.company", index=True, readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", index=True, readonly=True
    )
    user_id = fields.Many2one(
        comodel_name="res.users", string="Salesperson", index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        comodel_name="res.partner",
        help="Who the reminder is addressed to: the customer or its backup "
        "renewal contact.",
    )
    email_to = fields.Char(string="Sent To", readonly=True)
    stage_id = fields.Many2one(
        comodel_name="renewal.policy.stage",
        index=True,
        ondelete="set null",
        check_company=True,
    )
    policy_id = fields.Many2one(
        comodel_name="renewal.policy", index=True, check_company=True
    )
    cycle_end = fields.Date(
        required=True,
        help="The end date this reminder counts down to.",
    )
    days_before = fields.Integer(string="Days Before End")
    channel = fields.Selection(
        selection=lambda self: (
            self.env["renewal.policy.stage"]
            ._fields["channel"]
            ._description_selection(self.env)
        ),
        required=True,
        default="email",
    )
    tone = fields.Selection(
        selection=lambda self: (
            self.env["renewal.policy.stage"]
            ._fields["tone"]
            ._description_selection(self.env)
        ),
    )
    state = fields.Selection(
        selection=REMINDER_STATES,
        required=True,
        default="scheduled",
        index=True,
    )
    reason_code = fields.Selection(selection=REASON_CODES, index=True)
    reason = fields.Text(help="Why the reminder was skipped, refused or failed.")
    trigger = fields.Selection(
        selection=[
            ("scheduler", "Scheduler"),
            ("urgent", "Urgent"),
            ("fallback", "Fallback"),
        ],
        required=True,
        default="scheduler",
    )
    scheduled_date = fields.Date(string="Due On", help="Day the stage fell due.")
    queued_date = fields.Datetime(string="Queued On", readonly=True)
    sent_date = fields.Datetime(string="Sent On", readonly=True)
    delivered_date = fields.Datetime(
        string="Delivered On",
        readonly=True,
        copy=False,
        help="When the customer's mail server (or phone) reported the "
        "reminder delivered.",
    )
    opened_date = fields.Datetime(
        string="First Opened On",
        readonly=True,
        copy=False,
        help="When the customer first opened the email.",
    )
    clicked_date = fields.Datetime(
        string="First Clicked On",
        readonly=True,
        copy=False,
        help="When the customer first followed one of the reminder's links.",
    )
    send_at = fields.Datetime(
        string="Leaves At",
        readonly=True,
        copy=False,
        help="When the reminder leaves: the first moment of the customer's "
        "sending hours, outside blackout periods.",
    )
    send_at_reason = fields.Char(
        string="Why Then",
        readonly=True,
        copy=False,
    )
    # What the customer's silence led to, each step once.
    escalated_date = fields.Datetime(
        string="Escalated On",
        readonly=True,
        copy=False,
        help="No answer in time: the next stage was brought forward (or a "
        "call planned after the last one) and the renewal flagged at risk.",
    )
    followed_up_date = fields.Datetime(
        string="Read Follow-up On",
        readonly=True,
        copy=False,
        help="Read but not answered in time: the salesperson got a follow-up.",
    )
    fallback_date = fields.Datetime(
        string="Fallback On",
        readonly=True,
        copy=False,
        help="Not opened in time: the stage went out again on the policy's "
        "fallback channel.",
    )
    escalation_due = fields.Datetime(
        string="Next Escalation Check",
        compute="_compute_escalation_due",
        store=True,
        index="btree_not_null",
        help="When the customer's silence leads to the next step, if nothing "
        "happens before.",
    )
    reviewed_date = fields.Datetime(string="Reviewed On", readonly=True)
    outcome_date = fields.Datetime(
        string="Closed On",
        readonly=True,
        help="When the reminder was skipped, refused, cancelled, bounced or failed.",
    )
    reviewer_id = fields.Many2one(comodel_name="res.users", readonly=True)
    delivery_attempts = fields.Integer(
        readonly=True, help="How many times the mail server failed to take the email."
    )
    max_delivery_attempts = fields.Integer(
        string="Tries in All",
        readonly=True,
        help="How many tries the email had in all when the mail server "
        "first failed to take it (from the Renewals settings).",
    )
    next_attempt_date = fields.Datetime(
        string="Next Try",
        readonly=True,
        help="When Odoo's mail queue sends the email again, after the mail "
        "server failed to take it.",
    )
    status_summary = fields.Char(
        string="Status Details",
        compute="_compute_status_summary",
        help="The status with what is happening to the reminder now.",
    )
    next_step = fields.Text(
        string="What Happens Next",
        compute="_compute_status_summary",
    )
    subject = fields.Char()
    draft_body = fields.Html(
        sanitize_style=True,
        help="The message before it goes out; once queued, the text lives in "
        "the email logged in the contract's chatter.",
    )
    body = fields.Html(
        compute="_compute_body",
        inverse="_inverse_body",
        sanitize_style=True,
        help="What the customer reads.",
    )
    mail_id = fields.Many2one(
        comodel_name="mail.mail", string="Email", index="btree_not_null", readonly=True
    )
    message_id = fields.Many2one(
        comodel_name="mail.message", index="btree_not_null", readonly=True
    )
    # Read as the user: the reminder's contract must be theirs to read.
    tier_id = fields.Many2one(related="contract_id.renewal_tier_id", related_sudo=False)
    # The customer's answer, from the reminder's own links.
    answer_key = fields.Char(
        copy=False,
        readonly=True,
        index="btree_not_null",
        groups="base.group_system",
        help="The random key the reminder's signed links carry.",
    )
    answer = fields.Selection(
        selection=ANSWER_SELECTION,
        string="Customer Answer",
        readonly=True,
        index="btree_not_null",
        copy=False,
    )
    answer_reason = fields.Selection(
        selection=MORE_TIME_REASON_SELECTION,
        string="Why More Time",
        readonly=True,
        copy=False,
    )
    answer_lost_reason_id = fields.Many2one(
        comodel_name="renewal.lost.reason",
        string="Why Not Renewing",
        readonly=True,
        copy=False,
        ondelete="restrict",
    )
    answer_note = fields.Text(string="Customer's Words", readonly=True, copy=False)
    answer_date = fields.Datetime(string="Answered On", readonly=True, copy=False)
    answer_staged_payment = fields.Boolean(
        string="Asks to Pay in Instalments", readonly=True, copy=False
    )
    answer_contact_name = fields.Char(string="New Contact", readonly=True, copy=False)
    answer_contact_email = fields.Char(
        string="New Contact Email", readonly=True, copy=False
    )
    answer_contact_phone = fields.Char(
        string="New Contact Phone", readonly=True, copy=False
    )
    answer_activity_id = fields.Many2one(
        comodel_name="mail.activity",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    answer_change_count = fields.Integer(
        string="Answer Changes",
        readonly=True,
        copy=False,
        help="How many times the customer changed their answer.",
    )
    answer_acted = fields.Boolean(
        string="Answer Handled",
        readonly=True,
        copy=False,
        help="The salesperson (or a self-service renewal) acted on the answer: "
        "the customer can no longer change it.",
    )

    _sql_constraints = [
        (
            "contract_stage_cycle_uniq",
            "unique(contract_id, stage_id, cycle_end, channel)",
            "A contract gets one reminder per stage, channel and renewal cycle.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        contracts = self.env["contract.contract"].browse(
            {vals["contract_id"] for vals in vals_list if vals.get("contract_id")}
        )
        contracts.fetch(CONTRACT_FIELDS)
        for vals in vals_list:
            contract = contracts.browse(vals.get("contract_id"))
            for fname in CONTRACT_FIELDS:
                vals.setdefault(fname, contract[fname].id)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_person_may_write(vals)
        return super().write(vals)

    def _check_person_may_write(self, vals):
        """Refuse a write that is not a person editing a held reminder's text.

        The reminder log is a record of what happened: its state, recipient,
        dates, reason, links and contract change only through the actions.
        """
        technical = set(vals) - EDITABLE_IN_REVIEW
        if technical:
            raise AccessError(
                self.env._(
                    "Reminders change through their actions (approve, refuse, "
                    "urgent reminder), not by writing %(fields)s.",
                    fields=", ".join(sorted(technical)),
                )
            )
        if any(reminder.state != "review" for reminder in self):
            raise AccessError(
                self.env._(
                    "Only the text of a reminder awaiting review can be changed."
                )
            )

    def _escalation_facts(self):
        """What the escalation rules need to know of this reminder."""
        self.ensure_one()
        contract = self.contract_id
        answered = bool(
            contract.renewal_answer and contract.renewal_answer_end == self.cycle_end
        )
        fallback = self.policy_id._fallback_channel() if self.policy_id else None
        stage_channels = self.stage_id._channels() if self.stage_id else []
        return renewal_escalation.ReminderFacts(
            state=self.state,
            channel=self.channel,
            sent_at=self.sent_date,
            read_at=min(
                (d for d in (self.opened_date, self.clicked_date) if d), default=None
            ),
            answered=answered,
            escalated=bool(self.escalated_date),
            followed_up=bool(self.followed_up_date),
            # A stage deleted since has nothing to send again.
            fallen_back=bool(self.fallback_date)
            or fallback in stage_channels
            or not self.stage_id,
            fallback_channel=fallback,
        )

    @api.depends(
        "state",
        "trigger",
        "sent_date",
        "opened_date",
        "clicked_date",
        "escalated_date",
        "followed_up_date",
        "fallback_date",
        "cycle_end",
        "contract_id.renewal_answer",
        "contract_id.renewal_answer_end",
        "contract_id.renewal_cycle_end",
        "policy_id.silence_hours",
        "policy_id.read_followup_hours",
        "stage_id",
        "stage_id.channel",
    )
    def _compute_escalation_due(self):
        for reminder in self:
            if (
                reminder.trigger != "scheduler"
                or not reminder.policy_id
                or reminder.state not in renewal_escalation.LEFT_STATES
                or reminder.cycle_end != reminder.contract_id.renewal_cycle_end
            ):
                reminder.escalation_due = False
                continue
            reminder.escalation_due = (
                renewal_escalation.earliest_step_at(
                    reminder._escalation_facts(),
                    reminder.policy_id._escalation_delays(),
                )
                or False
            )

    @api.depends("draft_body", "message_id.body")
    def _compute_body(self):
        for reminder in self:
            reminder.body = reminder.message_id.body or reminder.draft_body

    def _inverse_body(self):
        for reminder in self:
            reminder.draft_body = reminder.body

    @api.autovacuum
    def _gc_rendered_texts(self):
        """Erase the rendered text of closed reminders past the retention
        period of the Settings: names and addresses do not linger in the log
        (what was sent lives in the contract's chatter)."""
        days = renewal_limits.body_retention_days(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.body_retention_days")
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        old = self.sudo().search(
            [
                ("state", "not in", OPEN_STATES),
                ("draft_body", "!=", False),
                ("create_date", "<", limit),
            ]
        )
        old.write({"draft_body": False})
        return len(old)

    def _erase_personal_data(self):
        """Forget what names the customer in these reminders (their partner
        is being erased): rendered texts, subjects, addresses, answers."""
        self.sudo().write(
            {
                "draft_body": False,
                "subject": False,
                "email_to": False,
                # The sent text is the chatter's: the log no longer shows it.
                "message_id": False,
                "mail_id": False,
                "answer_note": False,
                "answer_contact_name": False,
                "answer_contact_email": False,
                "answer_contact_phone": False,
            }
        )

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------

    def _queue_emails(self, template=None):
        """Queue the emails of these reminders (approved, or sent by hand).

        Each goes out as its stage's template says (or ``template``'s).
        """
        if not self:
            return self.env["mail.mail"]
        Answer = self.env["renewal.answer"]
        mails, messages = self.env["renewal.dispatch"]._queue(
            [
                {
                    "contract": reminder.contract_id,
                    "recipient": reminder.recipient_id,
                    "subject": reminder.subject,
                    "body": reminder.draft_body,
                    "template": template
                    or (reminder.stage_id and reminder.stage_id._template()),
                    "mail_headers": reminder.sudo().answer_key
                    and Answer._mail_headers(
                        Answer._urls(
                            reminder.contract_id,
                            reminder.sudo().answer_key,
                            reminder.cycle_end,
                        )
                    ),
                    # Held for the customer's sending hours, when it must be.
                    "send_at": reminder.send_at
                    if reminder.send_at and reminder.send_at > fields.Datetime.now()
                    else False,
                }
                for reminder in self
            ]
        )
        now = fields.Datetime.now()
        for reminder, mail, message in zip(self, mails, messages, strict=True):
            reminder.mail_id = mail
            reminder.message_id = message
            reminder.email_to = reminder.recipient_id.email_formatted
        self.write({"state": "queued", "queued_date": now, "draft_body": False})
        return self.env["mail.mail"].union(*mails)

    def _cancel(self, reason_code, reason):
        """Cancel the reminders still waiting: those not sent yet, and the
        emails Odoo's mail queue still holds for the sending hours."""
        held = self._stop_held_mails()
        (self.filtered(lambda reminder: reminder.state in OPEN_STATES) | held).write(
            {
                "state": "cancelled",
                "reason_code": reason_code,
                "reason": reason,
                "outcome_date": fields.Datetime.now(),
            }
        )

    def _stop_held_mails(self):
        """Take back from Odoo's mail queue the emails of these reminders it
        still holds for later; returns their reminders."""
        held = self._held_in_mail_queue()
        held.sudo().mail_id.write({"state": "cancel"})
        return held

    def _held_in_mail_queue(self):
        """The queued reminders whose email waits in Odoo's mail queue for a
        later moment (the customer's sending hours)."""
        now = fields.Datetime.now()
        return self.filtered(
            lambda reminder: (
                reminder.state == "queued"
                and reminder.mail_id
                and reminder.sudo().mail_id.state == "outgoing"
                and reminder.sudo().mail_id.scheduled_date
                and reminder.sudo().mail_id.scheduled_date > now
            )
        )

    @api.depends("contract_id", "days_before", "cycle_end")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for reminder in self:
            values = {
                "contract": reminder.contract_id.display_name or "",
                "days": abs(reminder.days_before),
                # In the reader's own date format.
                "end": format_date(self.env, reminder.cycle_end) or "",
            }
            days = reminder.days_before
            if days == 0:
                text = self.env._("%(contract)s: on %(end)s", **values)
            elif days == 1:
                text = self.env._("%(contract)s: 1 day before %(end)s", **values)
            elif days == -1:
                text = self.env._("%(contract)s: 1 day after %(end)s", **values)
            elif days < 0:
                text = self.env._("%(contract)s: %(days)s days after %(end)s", **values)
            else:
                text = self.env._(
                    "%(contract)s: %(days)s days before %(end)s", **values
                )
            reminder.display_name = text

    def _format_moment(self, value):
        """``value`` in the reader's time zone and format: the time alone
        when it falls today for them, else the date and the time."""
        if not value:
            return ""
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        time_text = format_time(self.env, value, tz=tz, time_format="short")
        local = fields.Datetime.context_timestamp(self.with_context(tz=tz), value)
        today = fields.Datetime.context_timestamp(
            self.with_context(tz=tz), fields.Datetime.now()
        )
        if local.date() == today.date():
            return time_text
        return "%s %s" % (format_date(self.env, local.date()), time_text)

    @api.depends(
        "state",
        "reason_code",
        "reason",
        "delivery_attempts",
        "max_delivery_attempts",
        "next_attempt_date",
        "recipient_id",
        "send_at",
        "send_at_reason",
        "escalation_due",
    )
    @api.depends_context("lang", "tz")
    def _compute_status_summary(self):
        labels = dict(self._fields["state"]._description_selection(self.env))
        reasons = dict(self._fields["reason_code"]._description_selection(self.env))
        for reminder in self:
            label = labels.get(reminder.state, "")
            why = reminder.reason or reasons.get(reminder.reason_code) or ""
            summary, next_step = label, False
            if reminder.state == "queued" and reminder.next_attempt_date:
                retries = max(reminder.max_delivery_attempts - 1, 1)
                when = reminder._format_moment(reminder.next_attempt_date)
                summary = self.env._(
                    "Queued, retry %(retry)s of %(retries)s at %(when)s: %(why)s",
                    retry=reminder.delivery_attempts,
                    retries=retries,
                    when=when,
                    why=why,
                )
                next_step = self.env._(
                    "The mail server did not take this email (%(why)s). Odoo's "
                    "mail queue sends it again at %(when)s, retry %(retry)s of "
                    "%(retries)s. If the last retry fails too, the reminder is "
                    "marked failed and the salesperson sees it in the log; a "
                    "later stage still goes out on its day.",
                    why=why,
                    when=when,
                    retry=reminder.delivery_attempts,
                    retries=retries,
                )
            elif reminder.state in ("queued", "scheduled") and (
                reminder.send_at and reminder.send_at > fields.Datetime.now()
            ):
                summary = self.env._(
                    "%(state)s, leaves at %(when)s",
                    state=label,
                    when=reminder._format_moment(reminder.send_at),
                )
                next_step = reminder.send_at_reason or self.env._(
                    "It waits for the customer's sending hours."
                )
            elif reminder.state == "queued":
                next_step = self.env._(
                    "The email is in Odoo's mail queue and leaves with its next "
                    "run; this reminder then reads Sent."
                )
            elif (
                reminder.state in renewal_escalation.LEFT_STATES
                and reminder.escalation_due
            ):
                next_step = self.env._(
                    "Waiting for the customer's answer. Without one, the next "
                    "step comes at %(when)s (a fallback, a follow-up for the "
                    "salesperson or the next stage, as the policy says).",
                    when=reminder._format_moment(reminder.escalation_due),
                )
            elif reminder.state == "review":
                next_step = self.env._(
                    "Held for the salesperson: approve it to send it to "
                    "%(recipient)s, edit its text first if needed, or refuse it.",
                    recipient=reminder.recipient_id.display_name or "",
                )
            elif reminder.state == "failed":
                summary = self.env._(
                    "Failed after %(attempts)s tries: %(why)s",
                    attempts=max(reminder.delivery_attempts, 1),
                    why=why,
                )
                next_step = self.env._(
                    "This email will not be sent again. Check the mail server "
                    "or the address, then send an urgent reminder from the "
                    "contract if the customer must hear now; the next stage "
                    "goes out on its day."
                )
            elif reminder.state == "bounced":
                summary = self.env._("Bounced: %(why)s", why=why)
                next_step = self.env._(
                    "The customer's mail server returned the email: correct "
                    "the address of %(recipient)s or set a backup renewal "
                    "contact on the customer before the next stage.",
                    recipient=reminder.recipient_id.display_name or "",
                )
            elif reminder.state in ("skipped", "refused", "cancelled") and why:
                summary = self.env._("%(state)s: %(why)s", state=label, why=why)
                if reminder.reason_code in self._data_problem_reasons():
                    next_step = self.env._(
                        "Nothing was sent for this stage. Correct the contract "
                        "or the customer: the next stage is tried on its day."
                    )
            reminder.status_summary = summary
            reminder.next_step = next_step

    @api.model
    def _data_problem_reasons(self):
        """Reason codes that come from bad data (also noted in the chatter);
        a channel adds its own."""
        return DATA_PROBLEM_REASONS

    def _answer_label(self):
        """The customer's answer, in words."""
        self.ensure_one()
        labels = dict(self._fields["answer"]._description_selection(self.env))
        return labels.get(self.answer, "")

    def _answer_details(self):
        """What the customer said with their answer, line by line (text)."""
        self.ensure_one()
        lines = []
        if self.answer_reason:
            reasons = dict(
                self._fields["answer_reason"]._description_selection(self.env)
            )
            lines.append(
                self.env._("Reason: %(reason)s", reason=reasons[self.answer_reason])
            )
        if self.answer_lost_reason_id:
            lines.append(
                self.env._("Reason: %(reason)s", reason=self.answer_lost_reason_id.name)
            )
        if self.answer_staged_payment:
            lines.append(self.env._("Asks to pay in instalments"))
        if self.answer_contact_name:
            contact = ", ".join(
                part
                for part in (
                    self.answer_contact_name,
                    self.answer_contact_email,
                    self.answer_contact_phone,
                )
                if part
            )
            lines.append(self.env._("New decision maker: %(contact)s", contact=contact))
        return lines

    @api.model
    def _recipient_problem_text(self, problem, recipient):
        texts = {
            renewal_rules.REASON_NO_EMAIL: self.env._(
                "%(partner)s has no email address.", partner=recipient.display_name
            ),
            renewal_rules.REASON_OPTED_OUT: self.env._(
                "%(partner)s asked not to receive renewal reminders.",
                partner=recipient.commercial_partner_id.display_name,
            ),
            renewal_rules.REASON_BLACKLISTED: self.env._(
                "%(email)s is on the email blacklist.", email=recipient.email
            ),
            renewal_rules.REASON_ARCHIVED_PARTNER: self.env._(
                "%(partner)s is archived.", partner=recipient.display_name
            ),
            renewal_rules.REASON_OTHER_COMPANY: self.env._(
                "%(partner)s belongs to another company (%(company)s).",
                partner=recipient.display_name,
                company=recipient.company_id.name,
            ),
        }
        return texts[problem]

    def action_approve(self):
        """Approve reminders awaiting review: they go out at once.

        The recipient is checked again: what was true when the reminder was
        held (an address, no opt-out, the same company) may not be any more.
        """
        self.check_access("write")
        reminders = self.sudo()
        reminders.contract_id._renewal_cancel_stale_reminders()
        to_approve = reminders.filtered(lambda reminder: reminder.state == "review")
        to_approve._check_text_before_approval()
        to_approve.write(
            {"reviewer_id": self.env.user.id, "reviewed_date": fields.Datetime.now()}
        )
        blocked = to_approve._skip_unreachable_recipients()
        to_send = to_approve - blocked
        # Each reminder leaves on its own channel.
        self.env["renewal.dispatch"]._send_approved(to_send)
        to_approve._close_review_activities()
        to_send._schedule_salesperson_activities()
        if not blocked:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("Not sent"),
                "message": "\n".join(blocked.mapped("reason")),
            },
        }

    def _check_text_before_approval(self):
        """Refuse to send a held reminder whose edited text is empty or holds
        a placeholder the template did not put there (the customer's own data,
        rendered, may hold one: that is data)."""
        dispatch = self.env["renewal.dispatch"]
        by_template = defaultdict(lambda: self.browse())
        # Emails here; another channel checks its own text.
        for reminder in self.filtered(lambda r: (r.channel or "email") == "email"):
            by_template[reminder.stage_id and reminder.stage_id._template()] |= reminder
        for template, reminders in by_template.items():
            rendered = (
                dispatch._render_template(template, reminders.contract_id.ids)
                if template
                else {}
            )
            for reminder in reminders:
                final = [reminder.subject or "", html2plaintext(reminder.body or "")]
                values = rendered.get(reminder.contract_id.id)
                if isinstance(values, Exception) or not values:
                    values = {}
                leftovers = ["empty"] if not all(t.strip() for t in final) else []
                leftovers += renewal_rules.unexplained_markers(
                    final,
                    [
                        values.get("subject") or "",
                        html2plaintext(values.get("body_html") or ""),
                    ],
                )
                if leftovers:
                    raise UserError(
                        self.env._(
                            "The reminder “%(reminder)s” still holds %(markers)s: "
                            "fix its text before approving it.",
                            reminder=reminder.display_name,
                            markers=", ".join(leftovers),
                        )
                    )

    def _skip_unreachable_recipients(self):
        """Skip, with the reason, the reminders nobody may receive any more.

        Who gets it is decided again (the customer may have an address now,
        or another backup contact), then checked.
        """
        now = fields.Datetime.now()
        skipped = self.browse()
        dispatch = self.env["renewal.dispatch"]
        for reminder in self:
            recipient, problem = dispatch._recipient(
                reminder.contract_id, reminder.channel
            )
            if recipient != reminder.recipient_id:
                reminder.recipient_id = recipient
            if not problem:
                continue
            reminder.write(
                {
                    "state": "skipped",
                    "reason_code": problem,
                    "reason": self._recipient_problem_text(problem, recipient),
                    "outcome_date": now,
                }
            )
            skipped |= reminder
        skipped._log_problems_in_chatter()
        return skipped

    def _refuse(self, reason):
        self.check_access("write")
        to_refuse = self.sudo().filtered(lambda reminder: reminder.state == "review")
        now = fields.Datetime.now()
        to_refuse.write(
            {
                "state": "refused",
                "reason_code": "refused",
                "reason": reason,
                "reviewer_id": self.env.user.id,
                "reviewed_date": now,
                "outcome_date": now,
            }
        )
        to_refuse._close_review_activities()
        return to_refuse.sudo(False)

    def action_refuse(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse Reminders"),
            "res_model": "renewal.reminder.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reminder_ids": self.ids},
        }

    def _close_review_activities(self):
        review_type = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "contract.contract"),
                ("res_id", "in", self.contract_id.ids),
                ("activity_type_id", "=", review_type.id),
            ]
        )
        # A contract keeps its review activity while another reminder waits.
        still_waiting = set(
            self.search(
                [("contract_id", "in", self.contract_id.ids), ("state", "=", "review")]
            ).contract_id.ids
        )
        activities.filtered(
            lambda activity: activity.res_id not in still_waiting
        ).action_done()

    def _schedule_salesperson_activities(self):
        """Tell the salespeople: a review to do, or a renewal to follow up.

        One open activity of each kind per contract: a contract that already
        has one gets its deadline moved, not a second activity. The delay of
        a follow-up is the activity type's.
        """
        review_type = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        follow_type = self.env.ref(
            "renewal_reminder.mail_activity_type_renewal_follow_up"
        )
        deadlines = {
            review_type: review_type._get_date_deadline(),
            follow_type: follow_type._get_date_deadline(),
        }
        wanted = {}
        for reminder in self:
            user = reminder.user_id
            if not user:
                continue
            if reminder.state == "review":
                activity_type = review_type
                summary = self.env._(
                    "Review the %(days)s-day renewal reminder",
                    days=reminder.days_before,
                )
            elif reminder.state == "queued" and (
                reminder.trigger != "scheduler" or reminder.stage_id.notify_salesperson
            ):
                activity_type = follow_type
                summary = self.env._(
                    "Follow up the renewal reminder sent to %(partner)s",
                    partner=reminder.recipient_id.display_name,
                )
            else:
                continue
            wanted[(reminder.contract_id.id, activity_type)] = {
                "res_id": reminder.contract_id.id,
                "activity_type_id": activity_type.id,
                "user_id": user.id,
                "date_deadline": deadlines[activity_type],
                "summary": summary,
            }
        if not wanted:
            return
        Activity = self.env["mail.activity"].sudo()
        existing = Activity.search(
            [
                ("res_model", "=", "contract.contract"),
                ("res_id", "in", list({res_id for res_id, _type in wanted})),
                ("activity_type_id", "in", [review_type.id, follow_type.id]),
            ]
        )
        for activity in existing:
            values = wanted.pop((activity.res_id, activity.activity_type_id), None)
            if values and values["date_deadline"] > activity.date_deadline:
                activity.write(
                    {
                        "date_deadline": values["date_deadline"],
                        "summary": values["summary"],
                    }
                )
        # The activities are the news, not the status they move the
        # contract to (see renewal.scheduler._process_due_contracts).
        Activity.with_context(mail_notrack=True)._renewal_schedule_bulk(
            "contract.contract", list(wanted.values())
        )

    @api.model
    def _schedule_once(self, xmlid, wanted):
        """Give each contract of ``wanted`` ({contract: (summary, note)}) one
        activity of the type ``xmlid`` for its salesperson, unless one is
        still open: one to-do per thing to do, however often it comes up.
        Returns the activities created."""
        activity_type = self.env.ref(xmlid)
        wanted = {
            contract: texts for contract, texts in wanted.items() if contract.user_id
        }
        if not wanted:
            return self.env["mail.activity"]
        Activity = self.env["mail.activity"].sudo()
        open_ids = set(
            Activity.search(
                [
                    ("res_model", "=", "contract.contract"),
                    ("res_id", "in", [contract.id for contract in wanted]),
                    ("activity_type_id", "=", activity_type.id),
                ]
            ).mapped("res_id")
        )
        deadline = activity_type._get_date_deadline()
        return Activity.with_context(mail_notrack=True)._renewal_schedule_bulk(
            "contract.contract",
            [
                {
                    "res_id": contract.id,
                    "activity_type_id": activity_type.id,
                    "user_id": contract.user_id.id,
                    "date_deadline": deadline,
                    "summary": summary,
                    "note": note,
                }
                for contract, (summary, note) in wanted.items()
                if contract.id not in open_ids
            ],
        )

    def _schedule_address_activities(self):
        """A reminder bounced: its salesperson fixes the address (one
        activity per contract); the next stage goes to the backup contact
        meanwhile (see renewal.dispatch._email_recipient)."""
        wanted = {}
        for reminder in self.sudo():
            contract = reminder.contract_id
            summary = self.env._(
                "Fix the email address of %(partner)s",
                partner=reminder.recipient_id.display_name or "",
            )
            note = Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "The %(days)s-day renewal reminder to %(address)s bounced: "
                    "%(reason)s",
                    days=reminder.days_before,
                    address=reminder.email_to or reminder.recipient_id.email or "",
                    reason=reminder.reason or "",
                ),
                self.env._(
                    "Until the address is corrected, the next reminders go to "
                    "the customer's backup renewal contact, when there is one."
                ),
            )
            wanted[contract] = (summary, note)
        return self._schedule_once(
            "renewal_reminder.mail_activity_type_renewal_fix_address", wanted
        )

    def _log_problems_in_chatter(self):
        """Write each data problem in the contract's chatter, all at once.

        As notes from OdooBot, through Odoo's batch logging
        (``_message_log_batch``): one note per reminder with a problem.
        """
        reasons = self._data_problem_reasons()
        problems = self.filtered(lambda r: r.reason_code in reasons)
        if not problems:
            return
        reasons = dict(self._fields["reason_code"]._description_selection(self.env))
        # One body per contract and call: a contract with two problems gets
        # its second note in a second round.
        rounds = []
        for reminder in problems:
            body = Markup("<p><strong>%s</strong> %s</p><p>%s</p>") % (
                self.env._("Renewal reminder not sent:"),
                reasons.get(reminder.reason_code, ""),
                reminder.reason or "",
            )
            contract_id = reminder.contract_id.id
            for bodies in rounds:
                if contract_id not in bodies:
                    bodies[contract_id] = body
                    break
            else:
                rounds.append({contract_id: body})
        Contract = self.env["contract.contract"].sudo()
        for bodies in rounds:
            Contract.browse(list(bodies))._message_log_batch(
                bodies, author_id=self.env.ref("base.partner_root").id
            )
