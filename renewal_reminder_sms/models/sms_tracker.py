from odoo import fields, models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    renewal_provider_ref = fields.Char(
        string="Provider Reference",
        index="btree_not_null",
        help="The message's id at the renewal SMS provider, to read its status.",
    )
