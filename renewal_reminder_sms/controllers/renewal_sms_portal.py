"""The page an SMS's opt-out link opens: stop renewal SMS (the emails go on).

Like the unsubscribe page of the emails, GET only shows; the change is a
POST with Odoo's CSRF token (link previews in messaging apps open links
too). As on the answer page, the SMS reads Clicked from what a person's
browser does: the page's beacon, or the form posted. The page opens with
the SMS's own stop token only, not with an email's unsubscribe or answer
token.
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
        self._in_customer_language(reminder)
        return request.render(
            "renewal_reminder_sms.portal_renewal_sms_stop",
            self._sms_values(
                reminder, token, renewal_seen_url=f"/renewal/sms/stop/{token}/seen"
            ),
        )

    @http.route(
        "/renewal/sms/stop/<string:token>/seen",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_sms_stop_seen(self, token, **post):
        """The stop page's beacon (see ``_seen``)."""
        return self._seen(self._sms_stop_reminder(token), post)

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
        if self._csrf_ok(post):
            self._note_click(reminder, acted=True)
        return self._consent_form(
            reminder,
            post,
            "renewal_reminder_sms.portal_renewal_sms_stop",
            lambda **extra: self._sms_values(reminder, token, **extra),
            field="renewal_sms_opt_out",
            channel="sms",
        )
