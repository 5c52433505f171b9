from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    renewal_sms_sender = fields.Char(
        string="Renewal SMS Sender",
        size=11,
        help="The sender name registered for this company with the SMS provider "
        "(at most 11 letters or digits), used where the provider supports it.",
    )
