from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    renewal_tier_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="renewal.tier",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="Customer tier deciding how contracts are reminded; set on the "
        "company, contacts follow it.",
    )
    renewal_backup_partner_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="res.partner",
        string="Backup Renewal Contact",
        help="Reminders go to this contact when the customer cannot be reached "
        "or its decision maker changed.",
    )
    renewal_opt_out = fields.Boolean(
        groups="base.group_user",
        string="No Renewal Reminders",
        tracking=True,
        help="The customer asked not to receive renewal reminders; none is sent.",
    )
    renewal_opt_out_date = fields.Datetime(
        groups="base.group_user",
        string="Opted Out On",
        compute="_compute_renewal_opt_out_info",
        store=True,
        readonly=True,
    )
    renewal_opt_out_user_id = fields.Many2one(
        groups="base.group_user",
        comodel_name="res.users",
        string="Opt-out Recorded By",
        compute="_compute_renewal_opt_out_info",
        store=True,
        readonly=True,
    )
    renewal_contract_count = fields.Integer(
        groups="base.group_user",
        string="Renewals",
        compute="_compute_renewal_contract_count",
    )

    @api.constrains("company_id", "renewal_tier_id", "renewal_backup_partner_id")
    def _check_renewal_company(self):
        # res.partner does not check its companies on its own
        # (no _check_company_auto): its renewal fields are checked here.
        self._check_company(["renewal_tier_id"])
        # A customer of one company takes no backup contact of another; a
        # customer shared by every company may take anyone's (its reminders
        # to another company's contact are skipped with that reason).
        for partner in self:
            backup = partner.renewal_backup_partner_id
            if partner.company_id and backup.company_id not in (
                partner.company_id,
                partner.company_id.browse(),
            ):
                raise UserError(
                    self.env._(
                        "Incompatible companies: %(partner)s belongs to %(company)s "
                        "and its backup renewal contact %(backup)s to %(other)s.",
                        partner=partner.display_name,
                        company=partner.company_id.name,
                        backup=backup.display_name,
                        other=backup.company_id.name,
                    )
                )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["renewal_tier_id"]

    @api.depends("renewal_opt_out")
    def _compute_renewal_opt_out_info(self):
        now = fields.Datetime.now()
        for partner in self:
            if partner.renewal_opt_out:
                partner.renewal_opt_out_date = now
                partner.renewal_opt_out_user_id = self.env.user
            else:
                partner.renewal_opt_out_date = False
                partner.renewal_opt_out_user_id = False

    def _compute_renewal_contract_count(self):
        counts = dict(
            self.env["contract.contract"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.renewal_contract_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_view_renewals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "renewal_reminder.contract_contract_renewal_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        return action
