from odoo import fields, models


class RenewalLostReason(models.Model):
    """Why a customer does not renew: the list customers choose from when
    they answer a reminder, edited by Renewals managers."""

    _name = "renewal.lost.reason"
    _description = "Renewal Lost Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    ask_details = fields.Boolean(
        string="Ask for Details",
        help="The customer is invited to say more in their own words.",
    )
