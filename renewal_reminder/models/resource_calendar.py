from odoo import fields, models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    renewal_policy_ids = fields.One2many(
        comodel_name="renewal.policy",
        inverse_name="calendar_id",
        string="Renewal Policies",
        help="The renewal policies whose reminders leave within these hours.",
    )
