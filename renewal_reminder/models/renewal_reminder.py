import base64
import logging
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import html2plaintext

from ..tools import renewal_limits, renewal_rules

_logger = logging.getLogger(__name__)

REMINDER_STATES = [
    ("scheduled", "Scheduled"),
    ("review", "Awaiting Review"),
    ("refused", "Refused"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("bounced", "Bounced"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("cancelled", "Cancelled"),
]

# A reminder in one of these states has reached, or is on its way to, the customer.
OUTGOING_STATES = ("queued", "sent")
# A stage whose reminder is in one of these states is done for its cycle.
HANDLED_STATES = OUTGOING_STATES + (
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
# Failures of the mail server, not of the address: worth sending again.
TEMPORARY_FAILURES = ("mail_smtp",)


def _stops_the_pass(error):
    """Whether ``error`` ends the whole pass rather than one contract.

    A serialization failure belongs to a concurrent worker (Odoo's cron
    runner retries the job); Odoo's CPU time limit raises a bare
    ``Exception`` in the middle of whatever runs: the pass stops there and
    resumes at the next run, as for a worker killed at its real-time limit.
    """
    return isinstance(error, psycopg2.errors.SerializationFailure) or (
        type(error) is Exception
    )


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
        ],
        required=True,
        default="scheduler",
    )
    scheduled_date = fields.Date(string="Due On", help="Day the stage fell due.")
    queued_date = fields.Datetime(string="Queued On", readonly=True)
    sent_date = fields.Datetime(string="Sent On", readonly=True)
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
    tier_id = fields.Many2one(related="contract_id.renewal_tier_id")

    _sql_constraints = [
        (
            "contract_stage_cycle_uniq",
            "unique(contract_id, stage_id, cycle_end)",
            "A contract gets one reminder per stage and renewal cycle.",
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

    @api.depends("draft_body", "message_id.body")
    def _compute_body(self):
        for reminder in self:
            reminder.body = reminder.message_id.body or reminder.draft_body

    def _inverse_body(self):
        for reminder in self:
            reminder.draft_body = reminder.body

    @api.depends("contract_id", "days_before", "cycle_end")
    def _compute_display_name(self):
        for reminder in self:
            reminder.display_name = self.env._(
                "%(contract)s: %(days)s days before %(end)s",
                contract=reminder.contract_id.display_name or "",
                days=reminder.days_before,
                end=fields.Date.to_string(reminder.cycle_end) or "",
            )

    # ------------------------------------------------------------------
    # The daily pass
    # ------------------------------------------------------------------

    @api.model
    def _cron_send_due_reminders(self, batch_size=None):
        """Send the reminders that fell due, one batch per call.

        The cron framework calls again while work remains (committing in
        between); past its own limit, the cron is triggered again.
        """
        # A stored value the pass cannot use gives the default, with a warning.
        batch_size = batch_size or self.env["res.config.settings"]._renewal_batch_size()
        today = fields.Date.context_today(self)
        Contract = self.env["contract.contract"]
        domain = Contract._renewal_due_domain(today)
        contracts = Contract._renewal_claim_due(today, batch_size)
        if contracts:
            self._process_batch(contracts, today)
        remaining = Contract.search_count(domain) if contracts else 0
        self.env["ir.cron"]._notify_progress(done=len(contracts), remaining=remaining)
        if remaining:
            for cron in self._pass_crons().filtered("active"):
                cron._trigger()
        return remaining

    @api.model
    def _pass_crons(self):
        """The scheduled actions that run the daily pass, active or not.

        Odoo runs one scheduled action in one worker at a time; the pass is
        shared between workers by running copies of it (see the "Parallel
        passes" setting), whose claims skip the contracts another one holds.
        """
        main = self.env.ref(
            "renewal_reminder.ir_cron_renewal_reminder_send", raise_if_not_found=False
        )
        if not main:
            return self.env["ir.cron"]
        copies = (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("model_id", "=", main.model_id.id),
                    ("code", "=", main.code),
                    ("id", "!=", main.id),
                ],
                order="id",
            )
        )
        return main.sudo() | copies

    @api.model
    def _set_parallel_passes(self, count):
        """Keep ``count`` scheduled actions running the pass (1 to 16)."""
        count = self.env["res.config.settings"]._renewal_parallel_passes(count)
        crons = self._pass_crons()
        if not crons:
            return crons
        main, copies = crons[0], crons[1:]
        for index in range(len(copies), count - 1):
            copies |= main.copy(
                {
                    "name": self.env._(
                        "%(name)s (%(index)s)", name=main.name, index=index + 2
                    )
                }
            )
        copies[: count - 1].write({"active": main.active})
        copies[count - 1 :].write({"active": False})
        return main | copies[: count - 1]

    @api.model
    def _process_batch(self, contracts, today):
        """Process a batch under one savepoint; contract by contract if it fails.

        The clean path keeps its constant number of queries. When something
        in the batch fails (a database constraint, a bug an add-on brings),
        each contract is replayed alone: the others go out, and the one that
        fails is noted with its reason and left out of today's pass, so that
        it is not retried ahead of the others forever, and the scheduled
        action never fails (Odoo deactivates one that keeps failing).
        """
        try:
            with self.env.cr.savepoint():
                return self._process_due_contracts(contracts, today)
        except Exception as error:  # noqa: BLE001 - replayed one by one below
            if _stops_the_pass(error):
                raise
            _logger.warning(
                "Renewal pass: a batch of %s contracts failed; replaying it "
                "contract by contract",
                len(contracts),
                exc_info=True,
            )
        reminders = self.browse()
        failures = {}
        for contract in contracts:
            try:
                with self.env.cr.savepoint():
                    reminders |= self._process_due_contracts(contract, today)
            except Exception as error:  # noqa: BLE001 - noted on the contract
                if _stops_the_pass(error):
                    raise
                failures[contract] = error
        contracts.browse()._renewal_note_pass_failures(failures, today)
        return reminders

    @api.model
    def _process_due_contracts(self, contracts, today):
        """Create, render and queue the reminders due for ``contracts``.

        Set-based: the number of queries does not grow with the number of
        contracts (templates render once per template and language).
        """
        contracts._renewal_cancel_stale_reminders()
        plans = self._plan_reminders(contracts, today)
        to_render = [plan for plan in plans if plan["state"] in ("scheduled", "review")]
        self._render_plans(to_render)
        to_send = [plan for plan in plans if plan["state"] == "scheduled"]
        # The emails first: each reminder is then created as queued, with
        # its email, in one INSERT.
        mails, messages = self._queue(
            [
                {
                    "contract": plan["contract"],
                    "recipient": plan["recipient"],
                    "subject": plan["subject"],
                    "body": plan["body"],
                    "template": plan["template"],
                }
                for plan in to_send
            ]
        )
        now = fields.Datetime.now()
        for plan, mail, message in zip(to_send, mails, messages, strict=True):
            plan.update(state="queued", mail=mail, message=message, queued_date=now)
        reminders = self.create([self._plan_values(plan) for plan in plans])
        reminders._schedule_salesperson_activities()
        reminders._log_problems_in_chatter()
        # The emails in the chatter tell the story: the status moving from
        # "Upcoming" to "Reminding" on every send is not tracked on top.
        contracts.with_context(mail_notrack=True)._recompute_recordset(
            ["renewal_state", "renewal_next_date"]
        )
        recovered = contracts.filtered("renewal_pass_error_date")
        if recovered:
            recovered.write(
                {"renewal_pass_error": False, "renewal_pass_error_date": False}
            )
        return reminders

    @api.model
    def _plan_reminders(self, contracts, today):
        """Decide, per contract, which stage goes out and which are skipped."""
        plans = []
        to_supersede = defaultdict(lambda: self.browse())
        first_day = contracts._renewal_first_day()
        for contract in contracts:
            cycle_end = contract.renewal_cycle_end
            if renewal_rules.ended_before(cycle_end, first_day):
                continue
            cycle_reminders = contract.renewal_reminder_ids.filtered(
                lambda reminder, end=cycle_end: reminder.cycle_end == end
            )
            policy = contract.renewal_policy_id
            base = {
                "contract": contract,
                "policy": policy,
                "cycle_end": cycle_end,
                "today": today,
            }

            if not policy:
                if not cycle_reminders.filtered(lambda r: r.reason_code == "no_policy"):
                    reason = self.env._(
                        "No renewal policy matches this contract: give its "
                        "customer a tier or set a default policy in Settings."
                    )
                    plans.append(
                        self._skipped_plan(
                            base, self.env["renewal.policy.stage"], "no_policy", reason
                        )
                    )
                continue
            # A stage is known by its record, not its days: a policy edited
            # mid-cycle never sends a step twice (see pending_stages).
            held = cycle_reminders.filtered(
                lambda r: r.state in OPEN_STATES and r.trigger == "scheduler"
            )
            decision = renewal_rules.cycle_plan(
                today,
                cycle_end,
                [(stage.id, stage.days_before) for stage in policy.stage_ids],
                contract._renewal_handled_steps(cycle_reminders),
                held.ids,
            )
            stages = policy.stage_ids
            ended = self.env._(
                "The renewal cycle ended on %(end)s before this stage could go out.",
                end=fields.Date.to_string(cycle_end),
            )
            for stage_id in decision.expired:
                plans.append(
                    self._skipped_plan(base, stages.browse(stage_id), "expired", ended)
                )
            if decision.send is None:
                continue
            send = stages.browse(decision.send)
            superseded = self.env._(
                "Superseded by the %(days)s-day stage that is due now.",
                days=send.days_before,
            )
            for stage_id in decision.superseded:
                plans.append(
                    self._skipped_plan(
                        base, stages.browse(stage_id), "superseded", superseded
                    )
                )
            if decision.held:
                to_supersede[superseded] |= held.browse(decision.held)
            plans.append(dict(base, stage=send, state="scheduled"))
        if to_supersede:
            self._supersede_held(to_supersede)
        self._check_recipients([plan for plan in plans if plan["state"] == "scheduled"])
        return plans

    @api.model
    def _supersede_held(self, superseded):
        """Close the held reminders a later stage replaces, with the reason.

        ``superseded`` maps reason texts to reminders.
        """
        now = fields.Datetime.now()
        closed = self.browse()
        for reason, reminders in superseded.items():
            reminders.write(
                {
                    "state": "skipped",
                    "reason_code": "superseded",
                    "reason": reason,
                    "outcome_date": now,
                }
            )
            closed |= reminders
        closed._close_review_activities()

    @api.model
    def _skipped_plan(self, base, stage, code, reason):
        return dict(base, stage=stage, state="skipped", reason_code=code, reason=reason)

    @api.model
    def _check_recipients(self, plans):
        """Pick each plan's recipient; skip the plans nobody may receive."""
        for plan in plans:
            contract = plan["contract"]
            recipient = contract._renewal_recipient()
            plan["recipient"] = recipient
            problem = contract._renewal_recipient_problem(recipient)
            if problem:
                plan.update(
                    state="skipped",
                    reason_code=problem,
                    reason=self._recipient_problem_text(problem, recipient),
                )
            elif (
                plan["stage"].review_required
                or contract.renewal_tier_id.review_required
            ):
                plan["state"] = "review"

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

    @api.model
    def _render_plans(self, plans):
        """Render the plans' messages: one pass per template and language."""
        # Templates read the salespeople one language group at a time: load
        # them all at once, so that the queries do not depend on the mix.
        self.env["contract.contract"].union(
            *(plan["contract"] for plan in plans)
        ).user_id.mapped("partner_id")
        # In the order of the plans: the same batch always runs the same way.
        stages = dict.fromkeys(plan["stage"] for plan in plans)
        templates = {stage: stage._template() for stage in stages}
        by_template = defaultdict(list)
        for plan in plans:
            by_template[templates[plan["stage"]]].append(plan)
        for template, template_plans in by_template.items():
            contract_ids = [plan["contract"].id for plan in template_plans]
            rendered = self._render_template(template, contract_ids)
            for plan in template_plans:
                values = rendered.get(plan["contract"].id)
                if isinstance(values, Exception):
                    plan.update(
                        state="failed",
                        reason_code="render_error",
                        reason=self.env._(
                            "Template “%(template)s” could not be rendered: %(error)s",
                            template=template.name,
                            error=values,
                        ),
                    )
                    continue
                plan["template"] = template
                plan["subject"] = values.get("subject") or ""
                plan["body"] = values.get("body_html") or ""
                plan["email_from"] = values.get("email_from") or False
                # The template is judged, not the customer's data.
                leftovers = list(values.get("leftovers") or [])
                if not plan["subject"].strip() or not (
                    plan["body"] and html2plaintext(plan["body"]).strip()
                ):
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

    @api.model
    def _render_template(self, template, contract_ids):
        """{contract_id: rendered values, or the exception that prevented it}.

        A contract that breaks the template (or a language that breaks it)
        costs only its own rendering: the others keep the batch path.
        """
        if not template:
            error = ValueError(self.env._("the stage has no email template"))
            return dict.fromkeys(contract_ids, error)
        if template.sudo().model != "contract.contract":
            # Never render another model's template on contract ids.
            error = ValueError(self.env._("it is not a contract template"))
            return dict.fromkeys(contract_ids, error)
        try:
            groups = list(template._renewal_classify_per_lang(contract_ids).values())
        except Exception:  # noqa: BLE001 - a language that cannot be rendered
            groups = [(template, [contract_id]) for contract_id in contract_ids]
        results = {}
        for localized, ids in groups:
            try:
                results.update(localized._renewal_render_batch(ids))
            except Exception:  # noqa: BLE001 - isolate the contracts that break it
                _logger.info("Template %s failed on a batch; one by one", template.id)
                for contract_id in ids:
                    try:
                        results.update(localized._renewal_render_batch([contract_id]))
                    except Exception as error:  # noqa: BLE001 - logged on the reminder
                        results[contract_id] = error
        return results

    @api.model
    def _plan_values(self, plan):
        stage = plan["stage"]
        now = fields.Datetime.now()
        state = plan["state"]
        recipient = plan.get("recipient")
        return {
            "contract_id": plan["contract"].id,
            "stage_id": stage.id,
            "policy_id": plan["policy"].id,
            "cycle_end": plan["cycle_end"],
            "days_before": stage.days_before if stage else False,
            "channel": stage.channel or "email",
            "tone": stage.tone,
            "state": state,
            "reason_code": plan.get("reason_code"),
            "reason": plan.get("reason"),
            "scheduled_date": plan["today"],
            "recipient_id": recipient.id if recipient else False,
            "subject": plan.get("subject"),
            # A queued reminder's text is its email's (see _queue).
            "draft_body": plan.get("body") if state != "queued" else False,
            "outcome_date": now if state in ("skipped", "failed") else False,
            "trigger": plan.get("trigger", "scheduler"),
            "mail_id": plan["mail"].id if "mail" in plan else False,
            "message_id": plan["message"].id if "message" in plan else False,
            "email_to": recipient.email_formatted if "mail" in plan else False,
            "queued_date": plan.get("queued_date", False),
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _sender_address(self, contract=None, template_from=False):
        """(address, origin) a reminder of ``contract`` is sent from.

        The Settings sender (``renewal_reminder.sender_email``) when there is
        one; else what the template's sender renders (the standard templates
        say: the salesperson's address, else the company's); else the
        salesperson's address, else the company's. ``origin`` says which:
        "settings", "template", "salesperson" or "company".
        """
        settings = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.sender_email")
            or False
        )
        if settings or not contract:
            return settings, settings and "settings"
        salesperson = contract.user_id.email and contract.user_id.email_formatted
        company = contract.company_id.email and contract.company_id.email_formatted
        if template_from:
            if template_from == salesperson:
                return template_from, "salesperson"
            if template_from == company:
                return template_from, "company"
            return template_from, "template"
        if salesperson:
            return salesperson, "salesperson"
        return company or False, company and "company"

    def _queue_emails(self, template=None):
        """Queue the emails of these reminders (approved, or sent by hand).

        Each goes out as its stage's template says (or ``template``'s).
        """
        if not self:
            return self.env["mail.mail"]
        mails, messages = self._queue(
            [
                {
                    "contract": reminder.contract_id,
                    "recipient": reminder.recipient_id,
                    "subject": reminder.subject,
                    "body": reminder.draft_body,
                    "template": template
                    or (reminder.stage_id and reminder.stage_id._template()),
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

    @api.model
    def _queue(self, items):
        """Queue an email per item of ``items``, as ``message_post`` does.

        Each item holds the contract, the recipient, the subject and body
        and the template (or False). Each email is posted in its contract's
        chatter, from the salesperson (or the company) and sent from the
        address ``_sender_address`` gives, with what the template says
        (layout, mail server, auto-delete, reply-to, further recipients,
        attachments and reports, scheduled date), exactly as
        ``message_post_with_source`` posts it, the whole batch at once
        (``mail.mail._renewal_post_batch``); the mail queue is woken up to
        send them now rather than at its next run. Returns the list of the
        recipients' emails (an empty one for a scheduled message) and the
        messages, in the order of ``items``.
        """
        if not items:
            return [], self.env["mail.message"]
        options = self._post_options(items)
        comment = self.env.ref("mail.mt_comment")
        contracts = self.env["contract.contract"]
        posts = []
        for item, opts in zip(items, options, strict=True):
            contract, recipient = item["contract"], item["recipient"]
            contracts |= contract
            template = item.get("template")
            email_from, _origin = self._sender_address(contract, opts.get("email_from"))
            author = contract.user_id.partner_id or contract.company_id.partner_id
            post = {
                "body": Markup(item["body"] or ""),
                "subject": item["subject"],
                "message_type": "auto_comment",
                "subtype_id": comment.id,
                "author_id": author.id,
                "email_from": email_from,
                # The checked recipient stands for the customer the template
                # names; the template's other recipients come along.
                "partner_ids": list(
                    dict.fromkeys(
                        [recipient.id]
                        + [
                            pid
                            for pid in opts.get("partner_ids") or []
                            if pid != contract.partner_id.id
                        ]
                    )
                ),
                # A template writes the whole body (signature included).
                "email_add_signature": False,
                "force_send": False,
            }
            if template:
                post.update(
                    email_layout_xmlid=template.email_layout_xmlid or False,
                    mail_server_id=template.mail_server_id.id,
                    mail_auto_delete=template.auto_delete,
                    attachment_ids=opts.get("attachment_ids") or [],
                    attachments=opts.get("attachments") or [],
                )
                if opts.get("lang"):
                    post["force_email_lang"] = opts["lang"]
                if opts.get("reply_to"):
                    post["reply_to"] = opts["reply_to"]
                if opts.get("scheduled_date"):
                    post["scheduled_date"] = opts["scheduled_date"]
            posts.append(post)
        records = contracts.browse([item["contract"].id for item in items])
        messages = self.env["mail.mail"]._renewal_post_batch(records, posts)
        # The recipient's email (none yet for a message the template
        # schedules: it is linked when Odoo sends it, see mail.mail.create).
        mails = [
            message.sudo()
            .notification_ids.filtered(
                lambda n, partner=item["recipient"]: n.res_partner_id == partner
            )[:1]
            .mail_mail_id.sudo(False)
            for item, message in zip(items, messages, strict=True)
        ]
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action", False)
        if queue:
            queue.sudo()._trigger()
        return mails, messages.sudo(False)

    @api.model
    def _post_options(self, items):
        """Per item, what its template says about sending (see _queue)."""
        by_template = defaultdict(list)
        for index, item in enumerate(items):
            # Only a contract template says anything about a contract's email.
            template = item.get("template")
            if template and template.sudo().model == "contract.contract":
                by_template[template].append(index)
        options = [{} for _item in items]
        for template, indexes in by_template.items():
            ids = list(dict.fromkeys(items[i]["contract"].id for i in indexes))
            generated = template._renewal_post_options(ids)
            copies = template.attachment_ids
            for i in indexes:
                values = dict(generated.get(items[i]["contract"].id) or {})
                # Each message gets its own copy of the template's files,
                # as the composer gives them (message_post moves them on).
                if copies:
                    values["attachment_ids"] = (
                        copies.copy(
                            {"res_model": "mail.compose.message", "res_id": 0}
                        ).ids
                        if values.get("attachment_ids")
                        else []
                    )
                    values["attachment_ids"].reverse()
                else:
                    values["attachment_ids"] = []
                values["attachments"] = [
                    (name, base64.b64decode(content))
                    for name, content in values.get("attachments") or []
                ]
                options[i] = values
        return options

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
        # contract to (see _process_due_contracts).
        Activity.with_context(mail_notrack=True)._renewal_schedule_bulk(
            "contract.contract", list(wanted.values())
        )

    def _log_problems_in_chatter(self):
        """Write each data problem in the contract's chatter, all at once.

        As notes from OdooBot, through Odoo's batch logging
        (``_message_log_batch``): one note per reminder with a problem.
        """
        problems = self.filtered(lambda r: r.reason_code in DATA_PROBLEM_REASONS)
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

    # ------------------------------------------------------------------
    # Review
    # ------------------------------------------------------------------

    def action_approve(self):
        """Approve reminders awaiting review: they go out at once.

        The recipient is checked again: what was true when the reminder was
        held (an address, no opt-out, the same company) may not be any more.
        """
        self.check_access("write")
        reminders = self.sudo()
        reminders.contract_id._renewal_cancel_stale_reminders()
        to_approve = reminders.filtered(lambda reminder: reminder.state == "review")
        to_approve.write(
            {"reviewer_id": self.env.user.id, "reviewed_date": fields.Datetime.now()}
        )
        blocked = to_approve._skip_unreachable_recipients()
        to_send = to_approve - blocked
        to_send._queue_emails()
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

    def _skip_unreachable_recipients(self):
        """Skip, with the reason, the reminders nobody may receive any more."""
        now = fields.Datetime.now()
        skipped = self.browse()
        for reminder in self:
            recipient = reminder.recipient_id
            problem = reminder.contract_id._renewal_recipient_problem(recipient)
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

    # ------------------------------------------------------------------
    # Delivery results from the mail stack
    # ------------------------------------------------------------------

    @api.model
    def _sync_from_mails(self, mails, failure_type=None, failure_reason=False):
        """Follow what the mail queue did with ``mails`` into their reminders.

        Called once the queue knows the outcome of a send: every mail went
        out, or failed with ``failure_type``. A mail server that could not be
        reached is tried again; other failures are final.
        """
        reminders = self.sudo().search([("mail_id", "in", mails.ids)])
        if not reminders:
            return
        now = fields.Datetime.now()
        if not failure_type:
            reminders.filtered(lambda r: r.state == "queued").write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "reason_code": False,
                    "reason": False,
                }
            )
            return
        max_attempts = renewal_limits.delivery_attempts(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.max_delivery_attempts")
        )
        to_retry = self.env["mail.mail"].sudo()
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder in reminders.filtered(lambda r: r.state == "queued"):
            failure = (
                failure_reason
                or reminder.mail_id.failure_reason
                or dict(reminder.mail_id._fields["failure_type"].selection).get(
                    failure_type
                )
            )
            retry, attempts = renewal_rules.delivery_retry(
                failure_type in TEMPORARY_FAILURES,
                reminder.delivery_attempts,
                max_attempts,
            )
            if retry:
                values = {
                    "delivery_attempts": attempts,
                    "reason_code": "delivery",
                    "reason": self.env._(
                        "Attempt %(attempt)s of %(max)s failed, the email will be "
                        "sent again: %(failure)s",
                        attempt=attempts,
                        max=max_attempts,
                        failure=failure,
                    ),
                }
                to_retry |= reminder.mail_id
            else:
                values = {
                    "state": "failed",
                    "delivery_attempts": attempts,
                    "reason_code": "delivery",
                    "reason": failure,
                    "outcome_date": now,
                }
            updates[tuple(sorted(values.items()))] |= reminder
        for values, group in updates.items():
            group.write(dict(values))
        # Back in Odoo's mail queue, which sends it again on its next run.
        to_retry.write({"state": "outgoing"})

    @api.model
    def _sync_bounces(self, notifications):
        """Mark bounced the reminders whose email came back."""
        bounced = notifications.filtered(
            lambda notif: (
                notif.notification_type == "email"
                and notif.notification_status == "bounce"
            )
        )
        if not bounced:
            return
        reminders = self.sudo().search(
            [
                ("message_id", "in", bounced.mail_message_id.ids),
                ("state", "in", OUTGOING_STATES),
            ]
        )
        by_message = {notif.mail_message_id: notif for notif in bounced}
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder in reminders:
            reason = by_message[reminder.message_id].failure_reason or self.env._(
                "The customer's mail server returned the email."
            )
            updates[reason] |= reminder
        now = fields.Datetime.now()
        for reason, group in updates.items():
            group.write(
                {
                    "state": "bounced",
                    "reason_code": "bounced",
                    "reason": reason,
                    "outcome_date": now,
                }
            )

    def _cancel(self, reason_code, reason):
        self.filtered(lambda reminder: reminder.state in OPEN_STATES).write(
            {
                "state": "cancelled",
                "reason_code": reason_code,
                "reason": reason,
                "outcome_date": fields.Datetime.now(),
            }
        )
