from odoo import fields, models

CONSENT_ACTIONS = [
    ("opt_out", "Opted out"),
    ("opt_in", "Opted in again"),
]
CONSENT_METHODS = [
    ("link", "Unsubscribe page"),
    ("one_click", "One-click unsubscribe (mail provider)"),
    ("team", "Renewals team"),
]


class RenewalConsent(models.Model):
    """One change of a customer's consent to renewal reminders: when, how,
    from which reminder and by whom. Written by the system only."""

    _name = "renewal.consent"
    _description = "Renewal Reminder Consent Change"
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    action = fields.Selection(selection=CONSENT_ACTIONS, required=True, readonly=True)
    method = fields.Selection(selection=CONSENT_METHODS, required=True, readonly=True)
    channel = fields.Selection(
        selection=[("all", "All renewal reminders")],
        string="Reminders",
        required=True,
        default="all",
        readonly=True,
        help="Which renewal reminders the change is about.",
    )
    reminder_id = fields.Many2one(
        comodel_name="renewal.reminder",
        string="From Reminder",
        ondelete="set null",
        readonly=True,
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Recorded By",
        readonly=True,
        help="The person who changed it; empty when the customer did.",
    )
