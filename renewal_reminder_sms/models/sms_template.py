from odoo import api, fields, models

from ..tools import renewal_sms


class SmsTemplate(models.Model):
    _inherit = "sms.template"

    renewal_sms_length = fields.Integer(
        string="Length", compute="_compute_renewal_sms_size"
    )
    renewal_sms_encoding = fields.Selection(
        selection=[(renewal_sms.GSM7, "GSM-7"), (renewal_sms.UCS2, "UCS-2 (Unicode)")],
        string="Encoding",
        compute="_compute_renewal_sms_size",
    )
    renewal_sms_segments = fields.Integer(
        string="Segments",
        compute="_compute_renewal_sms_size",
        help="How many SMS the text costs (before its placeholders are filled "
        "and its two short links added): 160 characters in GSM-7, 70 in UCS-2.",
    )

    @api.depends("body")
    @api.depends_context("lang")
    def _compute_renewal_sms_size(self):
        for template in self:
            size = renewal_sms.size(template.body or "")
            template.renewal_sms_length = size.length
            template.renewal_sms_encoding = size.encoding
            template.renewal_sms_segments = size.segments
