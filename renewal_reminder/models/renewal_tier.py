from odoo import api, fields, models


class RenewalTier(models.Model):
    _name = "renewal.tier"
    _description = "Renewal Customer Tier"
    _order = "sequence, id"

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

    @api.model
    def _review_tier_ids(self):
        """Ids of the tiers whose reminders wait for a human review."""
        return self.search([("review_required", "=", True)]).ids
