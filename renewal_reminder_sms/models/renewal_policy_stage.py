from odoo import fields, models

TONE_TEMPLATES = {
    "gentle": "renewal_reminder_sms.sms_template_renewal_gentle",
    "warning": "renewal_reminder_sms.sms_template_renewal_warning",
    "final": "renewal_reminder_sms.sms_template_renewal_final",
}


class RenewalPolicyStage(models.Model):
    _inherit = "renewal.policy.stage"

    channel = fields.Selection(
        selection_add=[("sms", "SMS"), ("email_sms", "Email and SMS")],
        ondelete={"sms": "set default", "email_sms": "set default"},
    )
    sms_template_id = fields.Many2one(
        comodel_name="sms.template",
        string="SMS Template",
        domain=[("model", "=", "contract.contract")],
        help="Text message sent at this stage; the tone's standard SMS when empty.",
    )

    def _channels(self):
        if self.channel == "email_sms":
            return ["email", "sms"]
        return super()._channels()

    def _sms_template(self):
        """The SMS template this stage sends: its own, else its tone's."""
        self.ensure_one()
        return self.sms_template_id or self.env.ref(
            TONE_TEMPLATES.get(self.tone, TONE_TEMPLATES["gentle"]),
            raise_if_not_found=False,
        )
