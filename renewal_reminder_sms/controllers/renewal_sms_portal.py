"""The page an SMS's opt-out link opens: stop renewal SMS (the emails go on).

Like the unsubscribe page of the emails, GET only shows (and notes that the
customer followed the SMS's link: it was read); the change is a POST
with Odoo's CSRF token (link previews in messaging apps open links too).
The page opens with the SMS's own stop token only, not with an email's
unsubscribe or answer token.
"""

from odoo import http
from odoo.http import request

from odoo.addons.renewal_reminder.controllers.renewal_portal import RenewalPortal

from ..models.renewal_answer import SMS_STOP_SCOPE


class RenewalSmsPortal(RenewalPortal):
    def _sms_stop_reminder(self, token):
        return self._reminder(token, SMS_STOP_SCOPE)

    def _sms_values(self, reminder, token, **extra):
        values = self._page_values(reminder, token, **extra)
        values["sms_opted_out"] = (
            reminder.partner_id.commercial_partner_id.renewal_sms_opt_out
        )
        return values

    @http.route(
        "/renewal/sms/stop/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def renewal_sms_stop_page(self, token, **kwargs):
        reminder = self._sms_stop_reminder(token)
        if not reminder:
            return self._invalid()
        self._note_click(reminder)
        self._in_customer_language(reminder)
        return request.render(
            "renewal_reminder_sms.portal_renewal_sms_stop",
            self._sms_values(reminder, token),
        )

    @http.route(
        "/renewal/sms/stop/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_sms_stop_post(self, token, **post):
        reminder = self._sms_stop_reminder(token)
        if not reminder:
            return self._invalid()
        return self._consent_form(
            reminder,
            post,
            "renewal_reminder_sms.portal_renewal_sms_stop",
            lambda **extra: self._sms_values(reminder, token, **extra),
            field="renewal_sms_opt_out",
            channel="sms",
        )
