from odoo import api, models
from odoo.tools import hash_sign

# The SMS's opt-out link is signed apart from the email's unsubscribe link:
# each opens its own page only.
SMS_STOP_SCOPE = "renewal_reminder_sms.stop"


class RenewalAnswer(models.AbstractModel):
    _inherit = "renewal.answer"

    @api.model
    def _sms_stop_url(self, contract, key):
        """The address of the page that stops renewal SMS for the reminder
        known by ``key`` (it does not expire, as the email's unsubscribe)."""
        token = hash_sign(self.env(su=True), SMS_STOP_SCOPE, {"k": key})
        return f"{contract.get_base_url()}/renewal/sms/stop/{token}"
