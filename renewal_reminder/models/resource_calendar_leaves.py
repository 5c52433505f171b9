from odoo import fields, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    renewal_industry_ids = fields.Many2many(
        comodel_name="res.partner.industry",
        string="Renewal Blackout for Industries",
        help="As a blackout period of renewal reminders, for customers of these "
        "industries only (a school's holidays, a trading company's Chinese New "
        "Year); empty for every customer.",
    )
