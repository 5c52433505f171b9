from odoo import fields, models


class RenewalConsent(models.Model):
    _inherit = "renewal.consent"

    channel = fields.Selection(
        selection_add=[("sms", "Renewal SMS")],
        ondelete={"sms": "set default"},
    )
    method = fields.Selection(
        selection_add=[("provider", "STOP reply to the SMS provider")],
        ondelete={"provider": "cascade"},
    )
