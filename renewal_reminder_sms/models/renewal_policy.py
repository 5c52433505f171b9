from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.renewal_reminder.tools import renewal_escalation, renewal_limits


class RenewalPolicy(models.Model):
    _inherit = "renewal.policy"

    fallback_channel = fields.Selection(
        selection=[("sms", "SMS")],
        string="Unread Email Fallback",
        help="An email reminder still unopened after the fallback delay goes "
        "out again by SMS, to a customer with a valid mobile number who did "
        "not stop renewal SMS; never when the stage already sends an SMS. "
        "Empty: no fallback.",
    )
    unread_fallback_hours = fields.Integer(
        string="Fallback After (Hours)",
        default=renewal_escalation.DEFAULT_UNREAD_HOURS,
        help="How long an email reminder may stay unopened before its fallback.",
    )

    @api.constrains("unread_fallback_hours")
    def _check_unread_fallback_hours(self):
        for policy in self:
            hours = policy.unread_fallback_hours
            if not renewal_limits.escalation_hours_allowed(hours):
                raise ValidationError(
                    self.env._(
                        "The fallback delay of %(policy)s must be from %(min)s to "
                        "%(max)s hours, not %(value)s.",
                        policy=policy.name,
                        min=renewal_limits.MIN_ESCALATION_HOURS,
                        max=renewal_limits.MAX_ESCALATION_HOURS,
                        value=hours,
                    )
                )

    def _fallback_channel(self):
        self.ensure_one()
        return self.fallback_channel or None

    def _fallback_hours(self):
        self.ensure_one()
        return self.unread_fallback_hours
