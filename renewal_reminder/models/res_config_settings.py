from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    renewal_default_policy_id = fields.Many2one(
        comodel_name="renewal.policy",
        string="Default Renewal Policy",
        config_parameter="renewal_reminder.default_policy_id",
        help="Policy for contracts that neither a policy nor their tier's "
        "default policy covers.",
    )
    renewal_sender_email = fields.Char(
        string="Reminder Sender",
        config_parameter="renewal_reminder.sender_email",
        help="Address reminders are sent from, e.g. "
        '"Renewals <renewals@example.com>"; when empty, each salesperson\'s '
        "own address, else the company's.",
    )
    renewal_target_rate = fields.Float(
        string="Renewal Target (%)",
        config_parameter="renewal_reminder.target_rate",
        default=85.0,
        help="Share of contracts the team aims to renew; the dashboard "
        "measures the renewal rate against it.",
    )
    renewal_parallel_passes = fields.Integer(
        string="Parallel Passes",
        config_parameter="renewal_reminder.parallel_passes",
        default=1,
        help="How many workers share the daily pass. Odoo runs a scheduled action in "
        "one worker at a time: with more than one, copies of it run side by side, "
        "each taking the due contracts the others do not hold.",
    )
    renewal_review_tier_ids = fields.Many2many(
        comodel_name="renewal.tier",
        string="Tiers Needing Review",
        compute="_compute_renewal_review_tier_ids",
        inverse="_inverse_renewal_review_tier_ids",
        readonly=False,
        help="Reminders to customers of these tiers wait for a salesperson's "
        "approval before they go out.",
    )

    @api.depends("company_id")
    def _compute_renewal_review_tier_ids(self):
        tiers = self.env["renewal.tier"].browse(
            self.env["renewal.tier"]._review_tier_ids()
        )
        for settings in self:
            settings.renewal_review_tier_ids = tiers

    def set_values(self):
        result = super().set_values()
        self.env["renewal.reminder"].sudo()._set_parallel_passes(
            self.renewal_parallel_passes
        )
        return result

    def _inverse_renewal_review_tier_ids(self):
        Tier = self.env["renewal.tier"]
        for settings in self:
            chosen = settings.renewal_review_tier_ids
            current = Tier.browse(Tier._review_tier_ids())
            (current - chosen).write({"review_required": False})
            (chosen - current).write({"review_required": True})
