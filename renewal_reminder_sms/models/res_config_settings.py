from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    renewal_sms_provider = fields.Selection(
        selection=[("iap", "Odoo IAP"), ("twilio", "Twilio")],
        string="Renewal SMS Provider",
        config_parameter="renewal_reminder_sms.provider",
        default="iap",
        help="Where renewal SMS leave; other SMS of the database keep Odoo's "
        "own sending.",
    )
    renewal_sms_twilio_account_sid = fields.Char(
        string="Renewal SMS Twilio Account SID",
        config_parameter="renewal_reminder_sms.twilio_account_sid",
    )
    renewal_sms_twilio_auth_token = fields.Char(
        string="Renewal SMS Twilio Auth Token",
        config_parameter="renewal_reminder_sms.twilio_auth_token",
    )
    renewal_sms_twilio_from = fields.Char(
        string="Renewal SMS Twilio Sender",
        config_parameter="renewal_reminder_sms.twilio_from",
        help="The Twilio number (E.164) or sender the SMS come from when the "
        "company has no registered sender name.",
    )
    renewal_sms_sender = fields.Char(
        related="company_id.renewal_sms_sender", readonly=False
    )
