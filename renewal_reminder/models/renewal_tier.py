from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# The records that use a tier: (model, field).
TIER_USERS = (
    ("res.partner", "renewal_tier_id"),
    ("contract.contract", "renewal_tier_id"),
    ("renewal.policy", "tier_id"),
)


class RenewalTier(models.Model):
    _name = "renewal.tier"
    _description = "Renewal Customer Tier"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer(help="Colour of the tier on kanban cards and tags.")
    description = fields.Text(translate=True)
    review_required = fields.Boolean(
        string="Human Review",
        help="Every reminder to customers of this tier waits for a salesperson's "
        "approval before it goes out (for key accounts).",
    )
    policy_id = fields.Many2one(
        comodel_name="renewal.policy",
        string="Default Policy",
        check_company=True,
        help="Policy used for this tier's contracts when no policy matches them "
        "more specifically.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        help="Leave empty to share the tier between all companies.",
    )
    partner_count = fields.Integer(compute="_compute_partner_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A tier with this name already exists.",
        ),
    ]

    def write(self, vals):
        result = super().write(vals)
        if {"policy_id", "active"} & set(vals):
            # A tier's default policy reaches the contracts it decides.
            self.env["contract.contract"]._renewal_reassign_policies()
        return result

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("renewal_tier_id", "in", self.ids), ("is_company", "=", True)],
                ["renewal_tier_id"],
                ["__count"],
            )
        )
        for tier in self:
            tier.partner_count = counts.get(tier, 0)

    def action_view_partners(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "base.action_partner_form"
        )
        action["domain"] = [("renewal_tier_id", "=", self.id)]
        action["context"] = {"default_renewal_tier_id": self.id}
        return action

    def _usage_counts(self, *domain):
        """How many partners, contracts and policies use this tier."""
        self.ensure_one()
        return {
            model: self.env[model]
            .sudo()
            .with_context(active_test=False)
            .search_count([(field, "=", self.id), *domain])
            for model, field in TIER_USERS
        }

    @api.constrains("company_id")
    def _check_company_of_users(self):
        """A tier limited to one company is used by none of another."""
        for tier in self.filtered("company_id"):
            counts = tier._usage_counts(("company_id", "!=", tier.company_id.id))
            if any(counts.values()):
                raise ValidationError(
                    self.env._(
                        "Tier “%(tier)s” cannot be limited to %(company)s: partners "
                        "(%(partners)s), contracts (%(contracts)s) or policies "
                        "(%(policies)s) of other companies, or shared, use it.",
                        tier=tier.name,
                        company=tier.company_id.name,
                        partners=counts["res.partner"],
                        contracts=counts["contract.contract"],
                        policies=counts["renewal.policy"],
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        """A tier partners, contracts or policies use is archived, not deleted."""
        for tier in self:
            counts = tier._usage_counts()
            if any(counts.values()):
                raise UserError(
                    self.env._(
                        "Tier “%(tier)s” is in use (%(partners)s partners, "
                        "%(contracts)s contracts, %(policies)s policies) and cannot "
                        "be deleted: archive it instead.",
                        tier=tier.name,
                        partners=counts["res.partner"],
                        contracts=counts["contract.contract"],
                        policies=counts["renewal.policy"],
                    )
                )

    @api.model
    def _review_tier_ids(self):
        """Ids of the tiers whose reminders wait for a human review."""
        return self.search([("review_required", "=", True)]).ids
