from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools import (
    renewal_answers,
    renewal_escalation,
    renewal_limits,
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
