from odoo import fields, models
from odoo.exceptions import AccessError

USER_GROUP = "renewal_reminder.renewal_reminder_group_user"


class ResPartner(models.Model):
    _inherit = "res.partner"

    renewal_sms_opt_out = fields.Boolean(
        groups="base.group_user",
        string="No Renewal SMS",
        tracking=True,
        help="The customer asked not to receive renewal reminders by SMS; "
        "email reminders still go out.",
    )

    def _renewal_check_fields_written(self, vals):
        result = super()._renewal_check_fields_written(vals)
        if "renewal_sms_opt_out" in vals and not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._("Only the Renewals team changes a customer's SMS opt-out.")
            )
        return result

    def write(self, vals):
        changed = self.browse()
        if "renewal_sms_opt_out" in vals and not self.env.context.get(
            "renewal_consent_method"
        ):
            changed = self.filtered(
                lambda p: bool(p.renewal_sms_opt_out)
                != bool(vals["renewal_sms_opt_out"])
            )
        result = super().write(vals)
        if changed:
            self.env["renewal.consent"].sudo().create(
                [
                    {
                        "partner_id": partner.id,
                        "action": "opt_out"
                        if vals["renewal_sms_opt_out"]
                        else "opt_in",
                        "method": "team",
                        "channel": "sms",
                        "user_id": self.env.user.id,
                    }
                    for partner in changed
                ]
            )
        return result
