from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from odoo.addons.renewal_reminder.tools import renewal_rules

from ..tools import renewal_sms


class RenewalReminder(models.Model):
    _inherit = "renewal.reminder"

    reason_code = fields.Selection(
        selection_add=[
            (renewal_sms.REASON_NO_PHONE, "No mobile number"),
            (renewal_sms.REASON_INVALID_PHONE, "Invalid mobile number"),
            (renewal_sms.REASON_PHONE_BLACKLISTED, "Number blacklisted for SMS"),
            (renewal_sms.REASON_SMS_OPTED_OUT, "Customer stopped renewal SMS"),
            ("sms_provider", "SMS provider failure"),
        ],
        ondelete={
            renewal_sms.REASON_NO_PHONE: "set null",
            renewal_sms.REASON_INVALID_PHONE: "set null",
            renewal_sms.REASON_PHONE_BLACKLISTED: "set null",
            renewal_sms.REASON_SMS_OPTED_OUT: "set null",
            "sms_provider": "set null",
        },
    )
    sms_number = fields.Char(
        string="Sent to Number",
        readonly=True,
        help="The number the SMS went to, in international format.",
    )

    @api.depends("policy_id.fallback_channel", "policy_id.unread_fallback_hours")
    def _compute_escalation_due(self):
        return super()._compute_escalation_due()

    def _check_text_before_approval(self):
        """A held SMS goes out only with text, and without a template marker
        the editing put there."""
        for reminder in self.filtered(lambda r: r.channel == "sms"):
            text = html2plaintext(reminder.draft_body or "", include_references=False)
            markers = renewal_rules.leftover_placeholders(text)
            if not text.strip() or markers:
                raise UserError(
                    self.env._(
                        "The SMS “%(reminder)s” still holds %(markers)s: fix it "
                        "before sending.",
                        reminder=reminder.display_name,
                        markers=", ".join(markers or ["empty"]),
                    )
                )
        return super()._check_text_before_approval()

    @api.model
    def _data_problem_reasons(self):
        return super()._data_problem_reasons() + (
            renewal_sms.REASON_NO_PHONE,
            renewal_sms.REASON_INVALID_PHONE,
            renewal_sms.REASON_PHONE_BLACKLISTED,
            renewal_sms.REASON_SMS_OPTED_OUT,
        )

    @api.model
    def _recipient_problem_text(self, problem, recipient):
        texts = {
            renewal_sms.REASON_NO_PHONE: self.env._(
                "%(partner)s has no mobile or phone number.",
                partner=recipient.display_name,
            ),
            renewal_sms.REASON_INVALID_PHONE: self.env._(
                "%(number)s is not a valid mobile number for %(partner)s.",
                number=recipient.mobile or recipient.phone or "",
                partner=recipient.display_name,
            ),
            renewal_sms.REASON_PHONE_BLACKLISTED: self.env._(
                "%(number)s is on the SMS blacklist.",
                number=recipient.mobile or recipient.phone or "",
            ),
            renewal_sms.REASON_SMS_OPTED_OUT: self.env._(
                "%(partner)s asked not to receive renewal reminders by SMS.",
                partner=recipient.commercial_partner_id.display_name,
            ),
        }
        if problem in texts:
            return texts[problem]
        return super()._recipient_problem_text(problem, recipient)
