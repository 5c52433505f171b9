from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.models import regex_order
from odoo.tools import SQL, format_date

from ..tools import renewal_mail, renewal_rules
from .renewal_policy import BILLING_RHYTHMS
from .renewal_reminder import (
    CONTRACT_FIELDS as REMINDER_CONTRACT_FIELDS,
)
from .renewal_reminder import (
    HANDLED_STATES,
    NO_POLICY_NOTICE_DAYS,
    OPEN_STATES,
)

# In the order of a renewal's life: lists, pivots and graphs show them so.
RENEWAL_STATES = [
    ("upcoming", "Upcoming"),
    ("reminding", "Reminding"),
    ("review", "Awaiting Review"),
    ("more_time", "More Time Asked"),
    ("accepted", "Renewal Accepted"),
    ("lapsed", "Lapsed"),
    ("renewed", "Renewed"),
    ("lost", "Lost"),
    ("no_end_date", "No End Date"),
]
# The board's columns: what needs someone first (a phone opens on the first
# column), then the pipeline, then the closed cycles.
BOARD_STATES = (
    "review",
    "accepted",
    "lapsed",
    "more_time",
    "reminding",
    "upcoming",
    "renewed",
    "lost",
    "no_end_date",
)
# Shown on the board only when a contract is in it.
BOARD_STATES_WHEN_USED = ("no_end_date",)


FIRST_DAY_PARAM = "renewal_reminder.first_day"
MANAGER_GROUP = "renewal_reminder.renewal_reminder_group_manager"
USER_GROUP = "renewal_reminder.renewal_reminder_group_user"
INVOICING_GROUP = "account.group_account_invoice"
INVOICING_READONLY_GROUP = "account.group_account_readonly"
# What a Renewals / Manager may change on a contract, even without the
# contract rights OCA ``contract`` gives to accountants.
MANAGER_FIELDS = frozenset(
    {
        "renewal_tier_id",
        "renewal_tier_manual",
        "renewal_policy_id",
        "renewal_policy_manual",
    }
)
# Renewal fields no person writes: they are computed, or they change only
# through the actions that check them (mark lost, reopen).
TECHNICAL_FIELDS = frozenset(
    {
        "renewal_billing_rhythm",
        "renewal_recurring_value",
        "renewal_cycle_end",
        "renewal_state",
        "renewal_next_date",
        "renewal_lost_end",
        "renewal_lost_reason",
        "renewal_reminder_ids",
        "renewal_pass_error",
        "renewal_pass_error_date",
        "renewal_answer",
        "renewal_answer_end",
        "renewal_answer_reminder_id",
        "renewal_grace_end",
        "renewal_grace_days",
        "renewal_contact_id",
        "renewal_lost_reason_id",
        "renewal_risk_end",
        "renewal_risk_reason",
        "renewal_risk_date",
        "renewal_at_risk",
        "renewal_timing_advance_days",
        "renewal_timing_hour",
        "renewal_timing_reason",
    }
)


class ContractContract(models.Model):
    _inherit = "contract.contract"

    renewal_tier_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="renewal.tier",
        compute="_compute_renewal_tier_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="The customer's tier; change it here for this contract only.",
    )
    renewal_tier_color = fields.Integer(
        related="renewal_tier_id.color", groups="base.group_user"
    )
    renewal_billing_rhythm = fields.Selection(
        groups="base.group_user",
        selection=BILLING_RHYTHMS,
        string="Billing Rhythm",
        compute="_compute_renewal_billing_rhythm",
        store=True,
        help="Read from the contract's recurrence: yearly for periods of a year "
        "or more, quarterly from three months, monthly below.",
    )
    renewal_currency_id = fields.Many2one(
        related="company_id.currency_id",
        string="Company Currency",
        groups="base.group_user",
    )
    renewal_recurring_value = fields.Monetary(
        groups="base.group_user",
        string="Annual Value",
        currency_field="renewal_currency_id",
        compute="_compute_renewal_recurring_value",
        store=True,
        aggregator="sum",
        help="What the contract's recurring lines bring in a year, in the "
        "company currency.",
    )
    renewal_policy_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="renewal.policy",
        compute="_compute_renewal_policy_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="Chosen from the tier, billing rhythm and value; pick another one "
        "to override it for this contract.",
    )
    renewal_tier_manual = fields.Boolean(
        groups="base.group_user",
        string="Tier Set for This Contract",
        copy=False,
        help="A Renewals manager set this contract's tier: the customer's tier "
        "no longer changes it. Clear the tier to follow the customer again.",
    )
    renewal_policy_manual = fields.Boolean(
        groups="base.group_user",
        string="Policy Chosen by Hand",
        copy=False,
        tracking=True,
        help="A Renewals manager chose this contract's policy: it stays until "
        "they reset it to the automatic choice.",
    )
    renewal_policy_reason = fields.Char(
        groups="base.group_user",
        string="Why This Policy",
        compute="_compute_renewal_policy_reason",
    )
    renewal_cycle_end = fields.Date(
        groups="base.group_user",
        compute="_compute_renewal_cycle_end",
        store=True,
        help="The end date the current renewal cycle counts down to.",
    )
    renewal_state = fields.Selection(
        groups="base.group_user",
        selection=RENEWAL_STATES,
        string="Renewal Status",
        compute="_compute_renewal_state",
        store=True,
        index=True,
        tracking=True,
        group_expand="_group_expand_renewal_state",
    )
    renewal_lost_end = fields.Date(
        groups="base.group_user",
        string="Lost Cycle",
        copy=False,
        help="End date of the renewal cycle that was marked as lost.",
    )
    renewal_lost_reason = fields.Char(
        groups="base.group_user", copy=False, tracking=True
    )
    renewal_lost_reason_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="renewal.lost.reason",
        string="Lost Reason",
        copy=False,
        ondelete="restrict",
    )
    renewal_answer = fields.Selection(
        groups="base.group_user",
        selection=[
            ("renew", "Renew"),
            ("more_time", "Needs More Time"),
            ("not_renew", "Will Not Renew"),
        ],
        string="Customer Answer",
        copy=False,
        readonly=True,
        help="What the customer answered from a reminder of the cycle.",
    )
    renewal_answer_end = fields.Date(
        groups="base.group_user",
        string="Answered Cycle",
        copy=False,
        readonly=True,
    )
    renewal_answer_reminder_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="renewal.reminder",
        string="Answered Reminder",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    renewal_grace_end = fields.Date(
        groups="base.group_user",
        string="Grace Cycle",
        copy=False,
        readonly=True,
        help="The cycle whose remaining reminders a customer's request for more "
        "time moved.",
    )
    renewal_grace_days = fields.Integer(
        groups="base.group_user",
        string="Grace Days",
        copy=False,
        readonly=True,
    )
    renewal_contact_pending = fields.Boolean(
        groups="base.group_user",
        string="New Contact to Confirm",
        compute="_compute_renewal_contact_pending",
    )
    renewal_contact_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="res.partner",
        copy=False,
        readonly=True,
        help="The new decision maker a customer named and the salesperson "
        "confirmed: the next reminders go to them.",
    )
    renewal_next_date = fields.Date(
        groups="base.group_user",
        string="Next Reminder",
        compute="_compute_renewal_next_date",
        store=True,
        index="btree_not_null",
        help="Day the next reminder stage of this renewal cycle falls due.",
    )
    renewal_days_left = fields.Integer(
        groups="base.group_user",
        string="Days Left",
        compute="_compute_renewal_days_left",
        help="Days until the end of the renewal cycle.",
    )
    renewal_reminder_ids = fields.One2many(
        groups="base.group_user",
        comodel_name="renewal.reminder",
        inverse_name="contract_id",
        string="Reminders",
    )
    renewal_pass_error = fields.Text(
        groups="base.group_user",
        string="Last Pass Failure",
        copy=False,
        readonly=True,
        help="Why the daily pass could not process this contract; it is tried "
        "again the next day.",
    )
    renewal_pass_error_date = fields.Date(
        groups="base.group_user",
        string="Pass Failed On",
        copy=False,
        readonly=True,
    )
    renewal_reminder_count = fields.Integer(
        groups="base.group_user",
        string="Reminder Count",
        compute="_compute_renewal_reminder_count",
    )
    # Silence escalated: the renewal is at risk for its cycle.
    renewal_risk_end = fields.Date(
        groups="base.group_user",
        string="Cycle at Risk",
        copy=False,
        readonly=True,
    )
    renewal_risk_reason = fields.Text(
        groups="base.group_user",
        string="Why at Risk",
        copy=False,
        readonly=True,
    )
    renewal_risk_date = fields.Datetime(
        groups="base.group_user",
        string="At Risk Since",
        copy=False,
        readonly=True,
    )
    renewal_at_risk = fields.Boolean(
        groups="base.group_user",
        string="At Risk",
        compute="_compute_renewal_at_risk",
        store=True,
        help="Nobody answered the reminders of this cycle in time: the next "
        "stage was brought forward, or the salesperson calls the customer.",
    )
    # Learned timing: from the customer's past cycles.
    renewal_timing_advance_days = fields.Integer(
        groups="base.group_user",
        string="First Reminder Earlier By (Days)",
        compute="_compute_renewal_timing",
        store=True,
        help="How many days earlier than the policy says the first reminder "
        "of the cycle goes, learned from how long the customer took to "
        "answer before.",
    )
    renewal_timing_hour = fields.Float(
        groups="base.group_user",
        string="Usual Reading Hour",
        compute="_compute_renewal_timing",
        store=True,
        help="The hour (in the customer's time zone) they usually open "
        "reminders; reminders leave then, within the sending hours. 0: none "
        "learned yet.",
    )
    renewal_timing_reason = fields.Text(
        groups="base.group_user",
        string="Timing",
        compute="_compute_renewal_timing",
        store=True,
        help="How the customer's past cycles adjust this cycle's reminders.",
    )

    def action_view_renewal_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "renewal_reminder.renewal_reminder_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {
            "default_contract_id": self.id,
            "create": False,
            "search_default_not_superseded": 1,
        }
        return action

    def action_renewal_confirm_contact(self):
        """Make the new decision maker the customer named the renewal
        contact of the next reminders (the Renewals team)."""
        self._renewal_check_worker()
        for contract in self.sudo():
            if not contract._renewal_contact_pending():
                continue
            reminder = contract.renewal_answer_reminder_id
            contact = self.env["renewal.answer"]._new_contact(reminder)
            contract.write({"renewal_contact_id": contact.id})
            reminder.answer_acted = True
            if reminder.answer_activity_id:
                reminder.answer_activity_id.action_feedback(
                    feedback=self.env._(
                        "%(contact)s is the renewal contact.",
                        contact=contact.display_name,
                    )
                )
            contract.message_post(
                body=self.env._(
                    "%(contact)s, named by the customer, is the renewal contact of "
                    "the next reminders.",
                    contact=contact.display_name,
                ),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _renewal_cancel_stale_reminders(self):
        """Cancel the reminders that can no longer go out.

        A reminder waiting for review (or not yet queued), or an email the
        mail queue still holds for the sending hours, is cancelled when its
        contract was renewed (its cycle is not the current one any more),
        archived or marked lost.
        """
        open_reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search(
                [
                    ("contract_id", "in", self.ids),
                    "|",
                    ("state", "in", OPEN_STATES),
                    "&",
                    ("state", "=", "queued"),
                    ("mail_id.scheduled_date", ">", fields.Datetime.now()),
                ]
            )
        )
        renewed = open_reminders.filtered(
            lambda reminder: (
                reminder.contract_id.active
                and reminder.contract_id.renewal_state != "lost"
                and reminder.cycle_end != reminder.contract_id.renewal_cycle_end
            )
        )
        closed = open_reminders.filtered(
            lambda reminder: (
                not reminder.contract_id.active
                or reminder.contract_id.renewal_state == "lost"
            )
        )
        renewed._cancel("renewed", self.env._("The contract was renewed."))
        closed._cancel("closed", self.env._("The contract was closed or marked lost."))

    @api.model_create_multi
    def create(self, vals_list):
        implicit = {
            flag for vals in vals_list for flag in self._renewal_implicit_flags(vals)
        }
        vals_list = [self._renewal_note_policy_choice(vals) for vals in vals_list]
        if not self.env.su:
            for vals in vals_list:
                self._renewal_check_fields_written(vals)
            # Defaults from the context would be added after these checks:
            # the context without them (and only them) replaces it.
            context = {
                key: value
                for key, value in self.env.context.items()
                if not key.startswith("default_renewal_")
            }
            self = self.with_context(context)  # pylint: disable=context-overridden
        contracts = super().create(vals_list)
        contracts._renewal_unflag_automatic(implicit)
        return contracts

    @api.model
    def _renewal_implicit_flags(self, vals):
        """The "chosen by hand" flags a write of ``vals`` sets by itself."""
        return {
            flag
            for fname, flag in (
                ("renewal_tier_id", "renewal_tier_manual"),
                ("renewal_policy_id", "renewal_policy_manual"),
            )
            if fname in vals and flag not in vals and vals[fname]
        }

    def _renewal_unflag_automatic(self, flags):
        """A value sent back as the rules compute it is no choice by hand.

        A form sends the tier and policy its onchange computed (a new
        contract, another customer): those stay automatic.
        """
        if "renewal_tier_manual" in flags:
            same = self.filtered(
                lambda c: (
                    c.renewal_tier_manual
                    and c.renewal_tier_id
                    == c.partner_id.commercial_partner_id.renewal_tier_id
                )
            )
            if same:
                same.sudo().write({"renewal_tier_manual": False})
        if "renewal_policy_manual" in flags:
            automatic = self.env["renewal.policy"]._for_contracts(self)
            same = self.filtered(
                lambda c: (
                    c.renewal_policy_manual and c.renewal_policy_id == automatic[c][0]
                )
            )
            if same:
                same.sudo().write({"renewal_policy_manual": False})

    @api.model
    def _renewal_note_policy_choice(self, vals):
        """A policy written by a person is chosen by hand; clearing it, or
        resetting the flag, gives the contract back to the rules."""
        if "renewal_policy_id" in vals and "renewal_policy_manual" not in vals:
            vals = dict(vals, renewal_policy_manual=bool(vals["renewal_policy_id"]))
        if "renewal_tier_id" in vals and "renewal_tier_manual" not in vals:
            vals = dict(vals, renewal_tier_manual=bool(vals["renewal_tier_id"]))
        return vals

    def write(self, vals):
        implicit = self._renewal_implicit_flags(vals)
        vals = self._renewal_note_policy_choice(vals)
        if not self.env.su:
            self._renewal_check_fields_written(vals)
            if set(vals) <= MANAGER_FIELDS and not self.env[
                "contract.contract"
            ].has_access("write"):
                # A Renewals / Manager changes the tier or policy of the
                # contracts they see, without being given the right to write
                # the rest of them.
                self.check_access("read")
                result = self.sudo().write(vals)
                self._renewal_unflag_automatic(implicit)
                return result
        result = super().write(vals)
        self._renewal_unflag_automatic(implicit)
        # Cleared by a person: the rules choose again.
        cleared = [
            self._fields[fname]
            for fname in ("renewal_tier_id", "renewal_policy_id")
            if fname in vals and not vals[fname]
        ]
        if cleared:
            contracts = self.sudo()
            for field in cleared:
                self.env.add_to_compute(field, contracts)
            contracts._recompute_recordset([field.name for field in cleared])
        if {"date_end", "active", "renewal_lost_end"} & set(vals):
            self._renewal_cancel_stale_reminders()
        followed = [fname for fname in REMINDER_CONTRACT_FIELDS if fname in vals]
        if followed:
            # The log keeps whom each reminder went to, for whom and from
            # which company; the reminders still to go out follow their
            # contract (the same values for all the contracts written), even
            # when the writer may not see the contract any more (handed
            # over). Who reads a contract's reminders follows the contract
            # (see the record rules).
            contracts = self.sudo()
            contracts.renewal_reminder_ids.filtered(
                lambda reminder: reminder.state in OPEN_STATES
            ).write({fname: contracts[:1][fname].id for fname in followed})
        return result

    @api.model
    def _renewal_check_fields_written(self, vals):
        """Refuse what a person may not write on a contract's renewal."""
        technical = TECHNICAL_FIELDS & set(vals)
        if technical:
            raise AccessError(
                self.env._(
                    "The renewal fields %(fields)s are computed or change through "
                    "the contract's renewal actions only.",
                    fields=", ".join(sorted(technical)),
                )
            )
        if MANAGER_FIELDS & set(vals) and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only a Renewals manager changes a contract's tier or policy."
                )
            )

    def action_renewal_urgent_reminder(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Urgent Renewal Reminder"),
            "res_model": "renewal.urgent.reminder",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }

    def action_renewal_preview_policy(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview Renewal Policy"),
            "res_model": "renewal.policy.preview",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_contract_id": self.id,
                "default_policy_id": self.renewal_policy_id.id,
            },
        }

    def action_renewal_mark_lost(self):
        """Ask why the renewal was lost, then close the cycle as lost."""
        self._renewal_check_worker()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renewal Lost"),
            "res_model": "renewal.mark.lost",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_ids": self.ids},
        }

    def _renewal_check_worker(self):
        """Only the people working renewals act on them, on contracts they see.

        Reading a contract is not enough: OCA ``contract`` lets the customer
        read theirs on the portal, and accountants read all of them.
        """
        if not (self.env.su or self.env.user.has_group(USER_GROUP)):
            raise AccessError(
                self.env._("Only the Renewals team works a contract's renewal.")
            )
        self.check_access("read")

    def _renewal_mark_lost(self, reason):
        """Mark the current cycle of these contracts lost, with ``reason``."""
        self._renewal_check_worker()
        self._renewal_mark_answer_acted()
        for contract in self.sudo().filtered("renewal_cycle_end"):
            contract.write(
                {
                    "renewal_lost_end": contract.renewal_cycle_end,
                    "renewal_lost_reason": reason,
                }
            )

    def _renewal_mark_answer_acted(self):
        """A person acted on the renewal: the customer's answer of this cycle
        is settled and can no longer be changed from the reminder."""
        reminders = self.sudo().renewal_answer_reminder_id.filtered(
            lambda r: (
                not r.answer_acted and r.cycle_end == r.contract_id.renewal_cycle_end
            )
        )
        if reminders:
            reminders.write({"answer_acted": True})

    def action_renewal_reopen(self):
        self._renewal_check_worker()
        self._renewal_mark_answer_acted()
        lost = self.sudo().filtered("renewal_lost_end")
        lost.write(
            {
                "renewal_lost_end": False,
                "renewal_lost_reason": False,
                "renewal_lost_reason_id": False,
            }
        )
        # A "will not renew" answer of the cycle no longer holds.
        lost.filtered(
            lambda c: (
                c.renewal_answer == "not_renew"
                and c.renewal_answer_end == c.renewal_cycle_end
            )
        ).write({"renewal_answer": False})

    @api.depends(
        "partner_id.commercial_partner_id.renewal_tier_id", "renewal_tier_manual"
    )
    def _compute_renewal_tier_id(self):
        for contract in self:
            if contract.renewal_tier_manual and contract.renewal_tier_id:
                # Set for this contract only: the customer's tier does not undo it.
                contract.renewal_tier_id = contract.renewal_tier_id
            else:
                contract.renewal_tier_id = (
                    contract.partner_id.commercial_partner_id.renewal_tier_id
                )

    @api.depends(
        "line_recurrence",
        "recurring_rule_type",
        "recurring_interval",
        "contract_line_ids.recurring_rule_type",
        "contract_line_ids.recurring_interval",
        "contract_line_ids.is_canceled",
    )
    def _compute_renewal_billing_rhythm(self):
        for contract in self:
            if contract.line_recurrence:
                periods = [
                    (line.recurring_rule_type, line.recurring_interval)
                    for line in contract.contract_line_ids
                    if not line.is_canceled and not line.display_type
                ]
            else:
                periods = []
            if not periods:
                periods = [(contract.recurring_rule_type, contract.recurring_interval)]
            contract.renewal_billing_rhythm = renewal_rules.longest_rhythm(periods)

    @api.depends(
        "contract_line_ids.price_subtotal",
        "contract_line_ids.recurring_rule_type",
        "contract_line_ids.recurring_interval",
        "contract_line_ids.is_canceled",
        "company_id",
        "manual_currency_id",
        "pricelist_id",
        "journal_id",
    )
    def _compute_renewal_recurring_value(self):
        yearly = defaultdict(float)
        for line in self.contract_line_ids:
            if not line.is_canceled and not line.display_type:
                yearly[line.contract_id] += renewal_rules.annual_value(
                    line.price_subtotal,
                    line.recurring_rule_type,
                    line.recurring_interval,
                )
        # One rate per currency and company, not one per contract.
        rates = {}
        today = fields.Date.context_today(self)
        for contract in self:
            company = contract.company_id or self.env.company
            source = contract.currency_id or company.currency_id
            key = (source, company)
            if key not in rates:
                rates[key] = (
                    1.0
                    if source == company.currency_id
                    else source._get_conversion_rate(
                        source, company.currency_id, company, today
                    )
                )
            contract.renewal_recurring_value = company.currency_id.round(
                yearly[contract] * rates[key]
            )

    @api.depends(
        "contract_type",
        "company_id",
        "renewal_tier_id",
        "renewal_billing_rhythm",
        "renewal_recurring_value",
        "renewal_policy_manual",
    )
    def _compute_renewal_policy_id(self):
        automatic = self.env["renewal.policy"]._for_contracts(self)
        for contract in self:
            if contract.renewal_policy_manual and contract.renewal_policy_id:
                # Chosen by hand: it stays until a manager resets it.
                contract.renewal_policy_id = contract.renewal_policy_id
            else:
                contract.renewal_policy_id = automatic[contract][0].sudo(False)

    @api.model
    def _renewal_reassign_policies(self):
        """Give every contract whose policy is not chosen by hand the policy
        the rules choose now (a policy, a tier's default or the Settings'
        default changed). Archived contracts keep theirs, as history.
        Set-based; the chatter does not track each one."""
        contracts = (
            self.env["contract.contract"]
            .sudo()
            .with_context(mail_notrack=True)
            .search(
                [("contract_type", "=", "sale"), ("renewal_policy_manual", "=", False)]
            )
        )
        if contracts:
            self.env.add_to_compute(self._fields["renewal_policy_id"], contracts)
            contracts._recompute_recordset(["renewal_policy_id"])

    def action_renewal_reset_policy(self):
        """Back to the policy the rules choose (Renewals managers)."""
        self.write({"renewal_policy_manual": False})

    @api.depends(
        "renewal_policy_id",
        "renewal_policy_manual",
        "contract_type",
        "company_id",
        "renewal_tier_id",
        "renewal_billing_rhythm",
        "renewal_recurring_value",
    )
    @api.depends_context("lang")
    def _compute_renewal_policy_reason(self):
        Policy = self.env["renewal.policy"]
        automatic = Policy._for_contracts(self)
        for contract in self:
            policy, source, rivals = automatic[contract]
            if not contract.renewal_policy_id:
                contract.renewal_policy_reason = (
                    self.env._(
                        "No policy applies (%(profile)s)",
                        profile=", ".join(
                            Policy._contract_profile(
                                contract, ("tier", "rhythm", "value")
                            )
                        ),
                    )
                    if contract.contract_type == "sale"
                    else False
                )
            elif contract.renewal_policy_manual:
                contract.renewal_policy_reason = (
                    self.env._(
                        "Chosen by hand (the rules would choose %(policy)s)",
                        policy=policy.name,
                    )
                    if policy and policy != contract.renewal_policy_id
                    else self.env._("Chosen by hand")
                )
            else:
                contract.renewal_policy_reason = Policy._explain_choice(
                    contract, policy, source, rivals
                )

    @api.depends("date_end")
    def _compute_renewal_cycle_end(self):
        for contract in self:
            contract.renewal_cycle_end = contract.date_end

    @api.depends(
        "renewal_cycle_end",
        "renewal_lost_end",
        "renewal_answer",
        "renewal_answer_end",
        "renewal_grace_end",
        "renewal_grace_days",
        "renewal_reminder_ids.state",
        "renewal_reminder_ids.cycle_end",
    )
    def _compute_renewal_state(self):
        today = fields.Date.context_today(self)
        for contract in self:
            cycle_end = contract.renewal_cycle_end
            reminders = contract.renewal_reminder_ids
            answer = (
                contract.renewal_answer
                if cycle_end and contract.renewal_answer_end == cycle_end
                else None
            )
            # A customer who asked for more time has it until the end of
            # the grace period: the renewal lapses when that is over.
            state = renewal_rules.renewal_state(
                cycle_end,
                contract.renewal_lost_end,
                max(reminders.mapped("cycle_end"), default=None),
                [
                    reminder.state
                    for reminder in reminders
                    if reminder.cycle_end == cycle_end and reminder.state != "cancelled"
                ],
                today - timedelta(days=contract._renewal_grace())
                if answer == "more_time"
                else today,
                answer=answer,
            )
            contract.renewal_state = state

    @api.depends(
        "active",
        "contract_type",
        "renewal_state",
        "renewal_cycle_end",
        "renewal_policy_id.stage_ids.days_before",
        "renewal_reminder_ids.state",
        "renewal_reminder_ids.days_before",
        "renewal_reminder_ids.cycle_end",
        "renewal_reminder_ids.reason_code",
        "renewal_reminder_ids.stage_id",
        "renewal_grace_end",
        "renewal_grace_days",
        "renewal_timing_advance_days",
        "renewal_reminder_ids.escalated_date",
    )
    def _compute_renewal_next_date(self):
        first_day = self._renewal_first_day()
        for contract in self:
            cycle_end = contract.renewal_cycle_end
            if (
                not contract.active
                or contract.contract_type != "sale"
                or contract.renewal_state in ("lost", "no_end_date", "accepted")
                or renewal_rules.ended_before(cycle_end, first_day)
            ):
                contract.renewal_next_date = False
                continue
            cycle_reminders = contract.renewal_reminder_ids.filtered(
                lambda reminder, end=cycle_end: reminder.cycle_end == end
            )
            if not contract.renewal_policy_id:
                # Noted once per cycle in the log, then left alone.
                noted = any(r.reason_code == "no_policy" for r in cycle_reminders)
                contract.renewal_next_date = (
                    False
                    if noted
                    else renewal_rules.stage_date(cycle_end, NO_POLICY_NOTICE_DAYS)
                )
                continue
            pending = renewal_rules.pending_stages(
                contract._renewal_stage_offsets(),
                contract._renewal_handled_steps(cycle_reminders),
            )
            # A customer's request for more time moves the remaining stages.
            next_date = renewal_rules.next_reminder_date(
                cycle_end + timedelta(days=contract._renewal_grace()),
                [days for _stage, days in pending],
            )
            # Silence brought the next stage forward: it is due at once.
            escalated = contract._renewal_escalated_days(cycle_reminders)
            if next_date and escalated is not None:
                if any(days < escalated for _stage, days in pending):
                    moment = max(
                        r.escalated_date
                        for r in cycle_reminders
                        if r.escalated_date and r.days_before == escalated
                    )
                    next_date = min(next_date, moment.date())
            contract.renewal_next_date = next_date or False

    def _renewal_stage_offsets(self, policy=None):
        """The ``(stage_id, days_before)`` of the policy's stages for this
        contract: the first stage comes earlier by the learned advance."""
        self.ensure_one()
        policy = policy or self.renewal_policy_id
        stages = [(stage.id, stage.days_before) for stage in policy.stage_ids]
        advance = self.renewal_timing_advance_days if policy.learn_timing else 0
        if stages and advance > 0:
            first = max(days for _stage, days in stages)
            stages = [
                (stage, days + advance if days == first else days)
                for stage, days in stages
            ]
        return stages

    @api.model
    def _renewal_escalated_days(self, cycle_reminders):
        """The days before the end of the stage whose silence brought the
        next one forward, while that next one has not gone out yet (None
        otherwise)."""
        escalated = [
            reminder.days_before
            for reminder in cycle_reminders
            if reminder.escalated_date and reminder.trigger == "scheduler"
        ]
        if not escalated:
            return None
        latest = min(escalated)
        if any(
            reminder.days_before < latest
            for reminder in cycle_reminders
            if reminder.state in HANDLED_STATES and reminder.stage_id
        ):
            return None
        return latest

    @api.depends(
        "renewal_risk_end",
        "renewal_cycle_end",
        "renewal_state",
    )
    def _compute_renewal_at_risk(self):
        for contract in self:
            contract.renewal_at_risk = bool(
                contract.renewal_risk_end
                and contract.renewal_risk_end == contract.renewal_cycle_end
                and contract.renewal_state
                not in ("renewed", "accepted", "lost", "no_end_date")
            )

    @api.depends(
        "renewal_cycle_end",
        "renewal_policy_id.learn_timing",
        "renewal_policy_id.max_advance_days",
        "renewal_reminder_ids.answer_date",
        "renewal_reminder_ids.sent_date",
        "renewal_reminder_ids.opened_date",
        "renewal_reminder_ids.clicked_date",
        "partner_id.tz",
    )
    def _compute_renewal_timing(self):
        Timing = self.env["renewal.timing"]
        for contract in self:
            contract.update(Timing._learned(contract))

    def _renewal_customer_tz(self):
        """The time zone the customer lives in: theirs, else the company's."""
        self.ensure_one()
        return (
            self.partner_id.tz
            or self.partner_id.commercial_partner_id.tz
            or self.company_id.partner_id.tz
            or "UTC"
        )

    def _renewal_grace(self):
        """Days the current cycle's remaining stages were moved by."""
        self.ensure_one()
        if self.renewal_cycle_end and self.renewal_grace_end == self.renewal_cycle_end:
            return max(self.renewal_grace_days, 0)
        return 0

    @api.model
    def _renewal_first_day(self):
        """The day the add-on started reminding (set when it is installed).

        A cycle that ended before it is history: it gets no reminder, no
        "expired" row and no chatter note.
        """
        value = self.env["ir.config_parameter"].sudo().get_param(FIRST_DAY_PARAM) or ""
        try:
            return fields.Date.to_date(value) or None
        except ValueError:
            return None

    @api.model
    def _renewal_handled_steps(self, reminders):
        """``(stage_id, days_before)`` of the steps ``reminders`` have dealt with."""
        return [
            (reminder.stage_id.id or None, reminder.days_before)
            for reminder in reminders
            if reminder.state in HANDLED_STATES and reminder.reason_code != "no_policy"
        ]

    @api.depends("renewal_cycle_end")
    @api.depends_context("tz")
    def _compute_renewal_days_left(self):
        today = fields.Date.context_today(self)
        for contract in self:
            contract.renewal_days_left = (
                renewal_rules.days_left(today, contract.renewal_cycle_end) or 0
            )

    def _compute_renewal_reminder_count(self):
        counts = dict(
            self.env["renewal.reminder"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.renewal_reminder_count = counts.get(contract, 0)

    @api.model
    def _group_expand_renewal_state(self, states, domain):
        return [
            state
            for state in BOARD_STATES
            if state not in BOARD_STATES_WHEN_USED or state in states
        ]

    @api.model
    def _read_group_orderby(self, order, groupby_terms, query):
        """Groups by renewal status come in the order of a renewal's life,
        not in the alphabetical order of the stored keys."""
        if "renewal_state" not in groupby_terms:
            return super()._read_group_orderby(order, groupby_terms, query)
        default_order = not order
        order = order or ",".join(groupby_terms)
        terms = []
        for part in order.split(","):
            match = regex_order.match(part)
            if match and match["term"] == "renewal_state":
                descending = (match["direction"] or "").upper() == "DESC"
                direction = "DESC" if descending else "ASC"
                terms.append(
                    SQL(
                        "array_position(%s::varchar[], %s) %s",
                        [key for key, _label in RENEWAL_STATES],
                        groupby_terms["renewal_state"],
                        SQL(direction),
                    )
                )
            elif default_order and match and match["term"] in groupby_terms:
                # The default order of the other groups, as Odoo gives it.
                terms.append(SQL("%s ASC", groupby_terms[match["term"]]))
            else:
                terms.append(super()._read_group_orderby(part, groupby_terms, query))
        return SQL(", ").join(term for term in terms if term)

    @api.depends(
        "renewal_answer_reminder_id.answer_reason",
        "renewal_answer_reminder_id.answer_acted",
        "renewal_answer_end",
        "renewal_cycle_end",
    )
    def _compute_renewal_contact_pending(self):
        for contract in self:
            contract.renewal_contact_pending = contract._renewal_contact_pending()

    def _renewal_format_date(self, value):
        """``value`` in the customer's language and date format."""
        self.ensure_one()
        return format_date(self.env, value, lang_code=self.partner_id.lang or None)

    def _renewal_contact_pending(self):
        """Whether the customer named a new decision maker not confirmed yet."""
        self.ensure_one()
        reminder = self.renewal_answer_reminder_id
        return bool(
            reminder
            and self.renewal_answer_end == self.renewal_cycle_end
            and reminder.answer_reason == "decision_maker_changed"
            and not reminder.answer_acted
        )

    def _renewal_compute_beyond_rights(self, model, method, fname):
        """Run OCA ``contract``'s compute ``method`` of ``fname`` as superuser
        for an employee without invoicing rights, who may not read ``model``
        (the invoicing journal, the invoices): a salesperson still opens the
        contract form, and gets the value, not the records behind it.

        Anyone else takes OCA's own path: a customer on the portal, the
        public user, the invoicing team.
        """
        user = self.env.user
        if (
            self.env.su
            or not user._is_internal()
            or user.has_group(INVOICING_GROUP)
            or user.has_group(INVOICING_READONLY_GROUP)
            or self.env[model].has_access("read")
        ):
            return getattr(super(), method)()
        computed = self.sudo()
        getattr(super(ContractContract, computed), method)()
        for contract, sudo_contract in zip(self, computed, strict=True):
            value = sudo_contract[fname]
            contract[fname] = value.sudo(False) if fname == "currency_id" else value
        return None

    def _compute_currency_id(self):
        return self._renewal_compute_beyond_rights(
            "account.journal", "_compute_currency_id", "currency_id"
        )

    def _compute_pricelist_id_domain(self):
        return self._renewal_compute_beyond_rights(
            "account.journal", "_compute_pricelist_id_domain", "pricelist_id_domain"
        )

    def _compute_invoice_count(self):
        # The count is all they get: the invoices and their button stay
        # with invoicing.
        return self._renewal_compute_beyond_rights(
            "account.move", "_compute_invoice_count", "invoice_count"
        )

    def _renewal_mail_prepared(self):
        """What ``renewal.dispatch`` prepared for this contract's reminder
        email now leaving through the composer, or an empty dict."""
        prepared = renewal_mail.prepared_mails(self.env.context)
        return prepared.get(self.id) or {} if len(self) == 1 else {}

    def _message_get_default_recipients(self):
        recipients = super()._message_get_default_recipients()
        # The composer lays each reminder out for whom it goes to (its
        # portal links are theirs): the checked recipient, not the customer.
        prepared = renewal_mail.prepared_mails(self.env.context)
        for contract in self:
            item = prepared.get(contract.id)
            if item:
                recipients[contract.id] = {
                    "email_cc": False,
                    "email_to": False,
                    "partner_ids": list(item["partner_ids"]),
                }
        return recipients

    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        # The reminder's one-click unsubscribe (RFC 8058).
        for name, value in (self._renewal_mail_prepared().get("headers") or {}).items():
            headers.setdefault(name, value)
        return headers

    def _notify_by_email_prepare_rendering_context(
        self, message, msg_vals=False, **kwargs
    ):
        context = super()._notify_by_email_prepare_rendering_context(
            message, msg_vals=msg_vals, **kwargs
        )
        prepared = self._renewal_mail_prepared()
        if prepared:
            # A reminder's template writes the whole body, the salesperson's
            # signature included: the layout adds no other.
            context.update(email_add_signature=False, signature="")
            # The renewal layout shows the reminder's unsubscribe link.
            if prepared.get("unsubscribe_url"):
                context["renewal_unsubscribe_url"] = prepared["unsubscribe_url"]
        return context

    def _message_mail_after_hook(self, mails):
        result = super()._message_mail_after_hook(mails)
        prepared = renewal_mail.prepared_mails(self.env.context)
        # The team sees each reminder's delivery in the chatter, and a bounce
        # comes back to it, as for any notified email.
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": mail.author_id.id,
                    "is_read": True,
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": partner.id,
                }
                for mail in mails
                if mail.res_id in prepared and mail.model == self._name
                for partner in mail.recipient_ids
            ]
        )
        return result
