import secrets

from odoo import models


class LinkTrackerCode(models.Model):
    _inherit = "link.tracker.code"

    def _get_random_code_strings(self, n=1):
        """Long random codes for the short links of renewal SMS: they open a
        customer's answer and opt-out pages, so they must not be guessable
        (Odoo's own codes start at three characters)."""
        if self.env.context.get("renewal_long_link_codes"):
            return [secrets.token_urlsafe(9) for _index in range(n)]
        return super()._get_random_code_strings(n)
