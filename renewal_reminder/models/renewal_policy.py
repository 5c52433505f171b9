from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import renewal_escalation, renewal_limits, renewal_rules

# The Settings' policy for contracts that no policy and no tier chooses.
DEFAULT_POLICY_PARAM = "renewal_reminder.default_policy_id"

BILLING_RHYTHMS = [
    (renewal_rules.RHYTHM_MONTHLY, "Monthly"),
    (renewal_rules.RHYTHM_QUARTERLY, "Quarterly"),
    (renewal_rules.RHYTHM_YEARLY, "Yearly"),
]


# What decides which contracts a policy is for: a change reaches them.
ASSIGNMENT_FIELDS = frozenset(
    {
        "active",
        "sequence",
        "company_id",
        "tier_id",
        "billing_rhythm",
        "min_recurring_value",
    }
)


class RenewalPolicy(models.Model):
    _name = "renewal.policy"
    _description = "Renewal Reminder Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        index=True,
        help="Leave empty to apply the policy in every company.",
    )
    tier_id = fields.Many2one(
        comodel_name="renewal.tier",
        index=True,
        check_company=True,
        help="Customer tier the policy is for; empty for any tier.",
    )
    billing_rhythm = fields.Selection(
        selection=BILLING_RHYTHMS,
        help="Billing rhythm of the contracts the policy is for, read from the "
        "contract's recurrence; empty for any rhythm.",
    )
    min_recurring_value = fields.Monetary(
        string="Minimum Annual Value",
        currency_field="currency_id",
        help="The policy applies to contracts worth at least this much a year, "
        "in the company currency.",
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency",
        compute="_compute_currency_id",
    )
    stage_ids = fields.One2many(
        comodel_name="renewal.policy.stage",
        inverse_name="policy_id",
        string="Stages",
        copy=True,
    )
    stage_count = fields.Integer(compute="_compute_stage_count")
    offer_code = fields.Char(
        help="Discount or offer code the final reminder carries.",
    )
    note = fields.Html(translate=True)
    # What the customer's answers may do.
    self_service_renewal = fields.Boolean(
        string="Self-service Renewal",
        help="A customer who answers Renew is renewed at once for one more "
        "term; otherwise the salesperson finalises the renewal.",
    )
    renewal_term_months = fields.Integer(
        string="Renewal Term (Months)",
        default=12,
        help="How long a self-service renewal extends the contract's lines.",
    )
    grace_days = fields.Integer(
        string="Grace Period (Days)",
        default=14,
        help="A customer who asks for more time moves the remaining reminders "
        "of the cycle by this many days, once per cycle; 0 gives no grace.",
    )
    staged_payment = fields.Boolean(
        string="Offer Staged Payment",
        help="A customer who asks for more time may ask to pay in instalments; "
        "the request goes to the salesperson.",
    )
    # When silence escalates.
    silence_hours = fields.Integer(
        string="Escalate After (Hours)",
        default=renewal_escalation.DEFAULT_SILENCE_HOURS,
        help="No answer this many hours after a reminder left: the next stage "
        "goes out at once instead of waiting for its day, and the renewal is "
        "flagged at risk; after the last stage, the salesperson gets a call "
        "to make.",
    )
    read_followup_hours = fields.Integer(
        string="Follow Up Read Reminders After (Hours)",
        default=renewal_escalation.DEFAULT_READ_HOURS,
        help="The customer opened the reminder (or followed its links) but "
        "did not answer this many hours later: the salesperson gets a "
        "follow-up activity saying what the customer did and when.",
    )
    # When reminders may leave.
    calendar_id = fields.Many2one(
        comodel_name="resource.calendar",
        string="Sending Hours",
        default=lambda self: self.env.ref(
            "renewal_reminder.resource_calendar_renewal_sending_hours",
            raise_if_not_found=False,
        ),
        check_company=True,
        help="When reminders may reach customers, in each customer's own time "
        "zone (the customer's, else the company's). The calendar's time off "
        "are blackout periods (school holidays, Chinese New Year...), with the "
        "public holidays of every calendar; a reminder due in a blackout or "
        "outside the hours leaves at the first allowed moment. Empty: any "
        "time.",
    )
    learn_timing = fields.Boolean(
        string="Learn from Past Cycles",
        default=True,
        help="A customer who took long to answer in past cycles gets the next "
        "cycle's first reminder earlier, and reminders leave at the hour they "
        "usually read them, within the sending hours.",
    )
    max_advance_days = fields.Integer(
        string="Bring Forward at Most (Days)",
        default=14,
        help="How many days earlier learned timing may send a cycle's first reminder.",
    )
    criteria_summary = fields.Char(
        compute="_compute_criteria_summary",
        help="The contracts this policy is for, in a few words.",
    )
    contract_count = fields.Integer(compute="_compute_contract_count")

    @api.depends("company_id")
    def _compute_currency_id(self):
        for policy in self:
            policy.currency_id = (policy.company_id or self.env.company).currency_id

    @api.depends("stage_ids")
    def _compute_stage_count(self):
        for policy in self:
            policy.stage_count = len(policy.stage_ids)

    @api.depends("tier_id", "billing_rhythm", "min_recurring_value", "currency_id")
    @api.depends_context("lang")
    def _compute_criteria_summary(self):
        rhythm_labels = dict(
            self._fields["billing_rhythm"]._description_selection(self.env)
        )
        for policy in self:
            value_label = None
            if policy.min_recurring_value:
                value_label = ">= %s" % policy.currency_id.format(
                    policy.min_recurring_value
                ).replace("\N{NO-BREAK SPACE}", " ")
            policy.criteria_summary = renewal_rules.policy_summary(
                policy.tier_id.name,
                rhythm_labels.get(policy.billing_rhythm, "").lower() or None,
                value_label,
            ) or self.env._("Any contract")

    def _compute_contract_count(self):
        counts = dict(
            self.env["contract.contract"]._read_group(
                [("renewal_policy_id", "in", self.ids)],
                ["renewal_policy_id"],
                ["__count"],
            )
        )
        for policy in self:
            policy.contract_count = counts.get(policy, 0)

    @api.model_create_multi
    def create(self, vals_list):
        policies = super().create(vals_list)
        # One2many values are not validated by @api.constrains on create.
        policies._check_stage_list()
        self.env["contract.contract"]._renewal_reassign_policies()
        return policies

    def write(self, vals):
        result = super().write(vals)
        if ASSIGNMENT_FIELDS & set(vals):
            self.env["contract.contract"]._renewal_reassign_policies()
        return result

    @api.constrains("grace_days", "renewal_term_months")
    def _check_answer_limits(self):
        for policy in self:
            if not renewal_limits.grace_days_allowed(policy.grace_days):
                raise ValidationError(
                    self.env._(
                        "The grace period of %(policy)s must be from 0 to %(max)s "
                        "days, not %(value)s.",
                        policy=policy.name,
                        max=renewal_limits.MAX_GRACE_DAYS,
                        value=policy.grace_days,
                    )
                )
            if not renewal_limits.renewal_term_allowed(policy.renewal_term_months):
                raise ValidationError(
                    self.env._(
                        "The renewal term of %(policy)s must be from 1 to %(max)s "
                        "months, not %(value)s.",
                        policy=policy.name,
                        max=renewal_limits.MAX_RENEWAL_TERM_MONTHS,
                        value=policy.renewal_term_months,
                    )
                )

    @api.constrains("silence_hours", "read_followup_hours", "max_advance_days")
    def _check_escalation_limits(self):
        for policy in self:
            for fname in ("silence_hours", "read_followup_hours"):
                if not renewal_limits.escalation_hours_allowed(policy[fname]):
                    raise ValidationError(
                        self.env._(
                            "%(field)s of %(policy)s must be from %(min)s to "
                            "%(max)s hours, not %(value)s.",
                            field=policy._fields[fname].get_description(self.env)[
                                "string"
                            ],
                            policy=policy.name,
                            min=renewal_limits.MIN_ESCALATION_HOURS,
                            max=renewal_limits.MAX_ESCALATION_HOURS,
                            value=policy[fname],
                        )
                    )
            if not renewal_limits.advance_days_allowed(policy.max_advance_days):
                raise ValidationError(
                    self.env._(
                        "Learned timing of %(policy)s may bring a reminder "
                        "forward from 0 to %(max)s days, not %(value)s.",
                        policy=policy.name,
                        max=renewal_limits.MAX_ADVANCE_DAYS,
                        value=policy.max_advance_days,
                    )
                )

    def _escalation_delays(self):
        """The policy's delays (hours) before silence, an unanswered reading
        and an unread email lead somewhere (see renewal_escalation)."""
        self.ensure_one()
        return renewal_escalation.Delays(
            silence=renewal_escalation.delay_hours(
                self.silence_hours, renewal_escalation.DEFAULT_SILENCE_HOURS
            ),
            read=renewal_escalation.delay_hours(
                self.read_followup_hours, renewal_escalation.DEFAULT_READ_HOURS
            ),
            unread=renewal_escalation.delay_hours(
                self._fallback_hours(), renewal_escalation.DEFAULT_UNREAD_HOURS
            ),
        )

    def _fallback_channel(self):
        """The channel an unread email's stage goes out on again (a channel
        add-on offers one), or None."""
        self.ensure_one()
        return None

    def _fallback_hours(self):
        """Hours an email may stay unread before its fallback."""
        self.ensure_one()
        return renewal_escalation.DEFAULT_UNREAD_HOURS

    @api.constrains("stage_ids")
    def _check_stage_list(self):
        for policy in self:
            problems = renewal_rules.stage_list_problems(
                policy.stage_ids.mapped("days_before")
            )
            if problems:
                raise ValidationError(policy._stage_problem_message(problems))

    @api.constrains("company_id")
    def _check_company_of_users(self):
        """A policy limited to one company is used by none of another."""
        Contract = self.env["contract.contract"].sudo().with_context(active_test=False)
        Tier = self.env["renewal.tier"].sudo().with_context(active_test=False)
        for policy in self.filtered("company_id"):
            elsewhere = [("company_id", "!=", policy.company_id.id)]
            contracts = Contract.search_count(
                [("renewal_policy_id", "=", policy.id), *elsewhere]
            )
            if contracts:
                raise ValidationError(
                    self.env._(
                        "Policy “%(policy)s” cannot be limited to %(company)s: "
                        "%(count)s contracts of other companies use it.",
                        policy=policy.name,
                        company=policy.company_id.name,
                        count=contracts,
                    )
                )
            tiers = Tier.search([("policy_id", "=", policy.id), *elsewhere])
            if tiers:
                raise ValidationError(
                    self.env._(
                        "Policy “%(policy)s” cannot be limited to %(company)s: "
                        "tiers of other companies, or shared, default to it "
                        "(%(tiers)s).",
                        policy=policy.name,
                        company=policy.company_id.name,
                        tiers=", ".join(tiers.mapped("name")),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        """A policy contracts or reminders use is archived, not deleted."""
        Contract = self.env["contract.contract"].sudo().with_context(active_test=False)
        Reminder = self.env["renewal.reminder"].sudo()
        for policy in self:
            contracts = Contract.search_count([("renewal_policy_id", "=", policy.id)])
            reminders = Reminder.search_count(
                [
                    "|",
                    ("policy_id", "=", policy.id),
                    ("stage_id", "in", policy.stage_ids.ids),
                ]
            )
            if contracts or reminders:
                raise UserError(
                    self.env._(
                        "Policy “%(policy)s” is in use (%(contracts)s contracts, "
                        "%(reminders)s reminders) and cannot be deleted: archive "
                        "it instead.",
                        policy=policy.name,
                        contracts=contracts,
                        reminders=reminders,
                    )
                )

    def _stage_problem_message(self, problems):
        self.ensure_one()
        messages = []
        for code, day in problems:
            if code == renewal_rules.STAGES_EMPTY:
                messages.append(
                    self.env._(
                        "Policy “%(policy)s” needs at least one reminder stage.",
                        policy=self.name,
                    )
                )
            elif code == renewal_rules.STAGES_NEGATIVE:
                messages.append(
                    self.env._(
                        "Policy “%(policy)s”: a stage cannot fall %(days)s days before "
                        "the end date; use 0 or more days.",
                        policy=self.name,
                        days=day,
                    )
                )
            elif code == renewal_rules.STAGES_SAME_DAY:
                messages.append(
                    self.env._(
                        "Policy “%(policy)s” has two stages %(days)s days before the "
                        "end date; give each stage its own day.",
                        policy=self.name,
                        days=day,
                    )
                )
        return "\n".join(messages)

    def _as_candidate(self):
        self.ensure_one()
        return renewal_rules.PolicyCandidate(
            id=self.id,
            tier_id=self.tier_id.id or None,
            rhythm=self.billing_rhythm or None,
            min_value=self.min_recurring_value,
            company_id=self.company_id.id or None,
            sequence=self.sequence,
        )

    # ------------------------------------------------------------------
    # Which policy a contract gets, and why
    # ------------------------------------------------------------------

    @api.model
    def _for_contracts(self, contracts):
        """Return {contract: (policy, source, rivals)} for the policy each
        contract gets from its tier, billing rhythm, value and company, in
        one pass: ``source`` says where it comes from (``match``, ``tier``,
        ``settings`` or None), ``rivals`` the other policies whose criteria
        match too, less closely."""
        Policy = self.sudo()
        policies = Policy.with_context(active_test=True).search([])
        candidates = [policy._as_candidate() for policy in policies]
        by_id = {policy.id: policy for policy in policies}
        default_policy = Policy.browse(
            int(
                self.env["ir.config_parameter"].sudo().get_param(DEFAULT_POLICY_PARAM)
                or 0
            )
        ).exists()

        def fits(policy, company):
            """A fallback policy applies if it is shared or of that company."""
            shared = not policy.company_id
            return bool(policy) and (shared or policy.company_id == company)

        result = {}
        for contract in contracts:
            if contract.contract_type != "sale":
                result[contract] = (Policy, None, Policy)
                continue
            tier = contract.renewal_tier_id
            company = contract.company_id
            matching = renewal_rules.matching_policies(
                candidates,
                tier.id or None,
                contract.renewal_billing_rhythm,
                contract.renewal_recurring_value,
                company.id or None,
            )
            if matching:
                rivals = Policy.browse([candidate.id for candidate in matching[1:]])
                result[contract] = (by_id[matching[0].id], "match", rivals)
            elif fits(tier.policy_id, company):
                result[contract] = (tier.policy_id, "tier", Policy)
            elif fits(default_policy, company):
                result[contract] = (default_policy, "settings", Policy)
            else:
                result[contract] = (Policy, None, Policy)
        return result

    @api.model
    def _contract_profile(self, contract, criteria):
        """``contract``'s tier, rhythm, value and company as a person reads
        them, for the ``criteria`` asked (see renewal_rules.pinned_criteria),
        each beside the policy's threshold when ``policy`` pins it."""
        rhythm_labels = dict(
            contract._fields["renewal_billing_rhythm"]._description_selection(self.env)
        )
        company = contract.company_id or self.env.company
        currency = company.currency_id

        def money(amount):
            return currency.format(amount).replace("\N{NO-BREAK SPACE}", " ")

        parts = {
            "tier": self.env._("%(tier)s tier", tier=contract.renewal_tier_id.name)
            if contract.renewal_tier_id
            else self.env._("no tier"),
            "rhythm": self.env._(
                "%(rhythm)s billing",
                rhythm=rhythm_labels.get(contract.renewal_billing_rhythm, "").lower(),
            ),
            "value": self.env._(
                "annual value %(value)s", value=money(contract.renewal_recurring_value)
            ),
            "company": self.env._("company %(company)s", company=company.name),
        }
        return [parts[name] for name in criteria]

    @api.model
    def _explain_choice(self, contract, policy, source, rivals):
        """Why ``contract`` gets ``policy``, in words (see _for_contracts
        for ``source`` and ``rivals``)."""
        if source == "match":
            criteria = renewal_rules.pinned_criteria(policy._as_candidate())
            parts = self._contract_profile(contract, criteria)
            if "value" in criteria:
                index = criteria.index("value")
                parts[index] = self.env._(
                    "%(value)s >= %(threshold)s",
                    value=parts[index],
                    threshold=policy.currency_id.format(
                        policy.min_recurring_value
                    ).replace("\N{NO-BREAK SPACE}", " "),
                )
            text = ", ".join(parts) or self.env._("a policy for any contract")
            if len(rivals) == 1:
                text = self.env._(
                    "%(why)s; one other policy matched less closely (%(names)s)",
                    why=text,
                    names=rivals.name,
                )
            elif rivals:
                text = self.env._(
                    "%(why)s; %(count)s other policies matched less closely "
                    "(%(names)s)",
                    why=text,
                    count=len(rivals),
                    names=", ".join(rivals.mapped("name")),
                )
            return text[:1].upper() + text[1:]
        profile = ", ".join(
            self._contract_profile(contract, ("tier", "rhythm", "value"))
        )
        if source == "tier":
            return self.env._(
                "No policy's criteria match (%(profile)s): default policy of "
                "tier %(tier)s",
                profile=profile,
                tier=contract.renewal_tier_id.name,
            )
        if source == "settings":
            return self.env._(
                "No policy's criteria match (%(profile)s): default policy of the "
                "Renewals settings",
                profile=profile,
            )
        return False

    def action_view_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "renewal_reminder.contract_contract_renewal_action"
        )
        action["domain"] = [("renewal_policy_id", "=", self.id)]
        return action
