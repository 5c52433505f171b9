from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

MANAGER_GROUP = "renewal_reminder.renewal_reminder_group_manager"
USER_GROUP = "renewal_reminder.renewal_reminder_group_user"


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
    renewal_consent_ids = fields.One2many(
        groups="base.group_user",
        comodel_name="renewal.consent",
        inverse_name="partner_id",
        string="Consent History",
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

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._renewal_check_fields_written(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._renewal_check_fields_written(vals)
        changed = self.browse()
        if "renewal_opt_out" in vals and not self.env.context.get(
            "renewal_consent_method"
        ):
            changed = self.filtered(
                lambda p: bool(p.renewal_opt_out) != bool(vals["renewal_opt_out"])
            )
        result = super().write(vals)
        if changed:
            # A person changed it in the form: on record too.
            self.env["renewal.consent"].sudo().create(
                [
                    {
                        "partner_id": partner.id,
                        "action": "opt_out" if vals["renewal_opt_out"] else "opt_in",
                        "method": "team",
                        "user_id": self.env.user.id,
                    }
                    for partner in changed
                ]
            )
        return result

    def _renewal_check_fields_written(self, vals):
        """Who may change what decides a customer's reminders.

        The tier (which decides the review step of key accounts) is a Renewals
        manager's; the backup contact and the opt-out are the Renewals team's.
        A contact taking its company's tier, as Odoo syncs it, is not a change.
        """
        user = self.env.user
        if "renewal_tier_id" in vals and not user.has_group(MANAGER_GROUP):
            tier_id = vals["renewal_tier_id"] or False
            if self:
                synced = all(
                    partner.parent_id
                    and not partner.is_company
                    and tier_id == partner.commercial_partner_id.renewal_tier_id.id
                    for partner in self
                )
            else:  # a new contact of a company takes the company's tier
                parent = self.browse(vals.get("parent_id"))
                synced = not tier_id or (
                    parent
                    and tier_id == parent.commercial_partner_id.renewal_tier_id.id
                )
            if not synced:
                raise AccessError(
                    self.env._("Only a Renewals manager changes a customer's tier.")
                )
        team = {"renewal_backup_partner_id", "renewal_opt_out"} & set(vals)
        if team and not user.has_group(USER_GROUP):
            raise AccessError(
                self.env._(
                    "Only the Renewals team changes a customer's backup renewal "
                    "contact or opt-out."
                )
            )

    def unlink(self):
        # Erased (Odoo's privacy tools, or by hand): no copy of the person's
        # name or address stays in the reminder log.
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    "|",
                    ("partner_id", "in", self.ids),
                    ("recipient_id", "in", self.ids),
                ]
            )
        )
        reminders._erase_personal_data()
        return super().unlink()

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["renewal_tier_id"]

    @api.depends("renewal_opt_out")
    def _compute_renewal_opt_out_info(self):
        now = fields.Datetime.now()
        # The customer from a reminder's link: nobody of the company did it.
        by_customer = bool(self.env.context.get("renewal_consent_method")) or (
            self.env.user._is_public()
        )
        for partner in self:
            if partner.renewal_opt_out:
                partner.renewal_opt_out_date = now
                partner.renewal_opt_out_user_id = (
                    self.env.user if not by_customer else False
                )
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
