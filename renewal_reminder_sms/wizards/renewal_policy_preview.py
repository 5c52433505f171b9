from markupsafe import Markup

from odoo import models
from odoo.tools import html2plaintext

from ..tools import renewal_sms

# The length of a renewal SMS's short link code (see link_tracker_code.py).
SHORT_CODE_LENGTH = 12


class RenewalPolicyPreview(models.TransientModel):
    _inherit = "renewal.policy.preview"

    def _channel_content(self, channel, stage, values):
        """A stage's SMS shows its text in the customer's language with what
        it costs: its length, its encoding and its number of SMS."""
        if channel != "sms":
            return super()._channel_content(channel, stage, values)
        template = stage._sms_template()
        contract = self.contract_id
        if not template:
            return Markup('<p class="text-danger">%s</p>') % self.env._(
                "The stage has no SMS template for contracts."
            )
        try:
            text = template._render_field("body", contract.ids, compute_lang=True)[
                contract.id
            ]
        except Exception as error:  # noqa: BLE001 - shown in the preview
            return Markup('<p class="text-danger">%s</p>') % error
        text = html2plaintext(text or "").strip()
        # What the customer gets: the text and its two short links, as long
        # as the real ones (this database's address, 12-character codes).
        base = contract.get_base_url()
        localized = self.with_context(lang=contract.partner_id.lang or self.env.lang)
        sample = localized.env._(
            "%(text)s\nAnswer: %(answer)s\nStop SMS: %(stop)s",
            text=text,
            answer=f"{base}/r/{'A' * SHORT_CODE_LENGTH}",
            stop=f"{base}/r/{'B' * SHORT_CODE_LENGTH}",
        )
        size = renewal_sms.size(sample)
        encodings = {renewal_sms.GSM7: "GSM-7", renewal_sms.UCS2: "UCS-2"}
        return Markup(
            '<p class="text-muted o_renewal_sms_size">%s</p>'
            '<div class="border p-2 mb-3 o_renewal_sms_text" '
            'style="white-space: pre-line;">%s</div>'
        ) % (
            self.env._(
                "SMS: %(length)s characters, %(encoding)s, %(segments)s SMS "
                "(with its two short links)",
                length=size.length,
                encoding=encodings[size.encoding],
                segments=size.segments,
            ),
            sample,
        )
