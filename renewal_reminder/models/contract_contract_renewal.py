"""What a contract's renewal is, computed set-based from the contract and
its reminders: its tier, billing rhythm and annual value, the policy that
applies and why, the renewal cycle, its status and next reminder, the
learned timing, and how the renewal board groups and orders them; and
OCA's invoice-based values as an employee without invoicing rights reads
them."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.models import regex_order
from odoo.tools import SQL, format_date

from ..tools import renewal_rules
from .contract_contract import (
    BOARD_STATES,
    BOARD_STATES_WHEN_USED,
    FIRST_DAY_PARAM,
    INVOICING_GROUP,
    INVOICING_READONLY_GROUP,
    RENEWAL_STATES,
)
from .renewal_reminder import HANDLED_STATES, NO_POLICY_NOTICE_DAYS


class ContractContract(models.Model):
    _inherit = "contract.contract"

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
