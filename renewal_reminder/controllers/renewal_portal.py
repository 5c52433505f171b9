"""The pages a customer reaches from a reminder's links.

GET only shows: mail scanners open every link, some with a browser's
User-Agent, and link previews of messaging apps too. The reminder reads
Clicked (the customer read it) from what only a person's browser does: the
page's own script, once the page is shown, posts a small beacon with the
page's CSRF token; an answer posted counts too. Answers and consent changes
are POSTs: the answer form with Odoo's CSRF token, the one-click
unsubscribe as mail providers send it (RFC 8058: no cookie, no token,
``List-Unsubscribe=One-Click`` in the body). Every bad token gets the same
"no longer valid" page, with no data.
"""

from odoo import fields, http
from odoo.http import request

from ..models.renewal_answer import TOKEN_SCOPE, UNSUBSCRIBE_SCOPE
from ..tools import renewal_answers

ONE_CLICK = "One-Click"
# What a form may post at most, in characters, before it is even read.
MAX_FIELD_LENGTH = 4000


class RenewalPortal(http.Controller):
    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _reminder(self, token, scope=TOKEN_SCOPE):
        return request.env["renewal.answer"].sudo()._reminder_from_token(token, scope)

    def _unsubscribe_reminder(self, token):
        return self._reminder(token, UNSUBSCRIBE_SCOPE)

    def _note_click(self, reminder, acted=False):
        """The customer is on one of the reminder's pages: it was read.

        Called from what a person does (the page's beacon, a form posted),
        never from a GET alone. A beacon from a program that says it
        previews links does not count; a form the customer ``acted`` with
        (an answer, a consent change) counts whoever sends it.
        """
        if request.httprequest.method != "POST":
            return
        agent = request.httprequest.headers.get("User-Agent", "")
        if not acted and renewal_answers.is_link_preview(agent):
            return
        request.env["renewal.delivery"].sudo()._note_engagement(
            {reminder: {"clicked": fields.Datetime.now()}}
        )

    def _seen(self, reminder, post):
        """The page's beacon: its script posts it once the page is shown in
        a browser, with the page's CSRF token."""
        if reminder and self._csrf_ok(post):
            self._note_click(reminder)
        return request.make_response("", status=204)

    def _csrf_ok(self, post):
        """The form's CSRF token is Odoo's for this session (checked here so
        that an odd value is refused plainly, not with a server error)."""
        csrf = post.get("csrf_token")
        return (
            isinstance(csrf, str)
            and 0 < len(csrf) <= 200
            and csrf.isascii()
            and request.validate_csrf(csrf)
        )

    def _in_customer_language(self, reminder):
        lang = reminder.partner_id.lang
        if lang and request.env["res.lang"]._get_data(code=lang):
            request.update_context(lang=lang)

    def _invalid(self):
        return request.render("renewal_reminder.portal_renewal_invalid", {}, status=404)

    def _form(self, post):
        """The posted fields, as short strings (anything else is dropped)."""
        return {
            key: value[:MAX_FIELD_LENGTH]
            for key, value in post.items()
            if isinstance(key, str) and isinstance(value, str)
        }

    def _consent_form(self, reminder, post, template, values, **consent):
        """The consent page's own form (CSRF token required): opt out, or
        back in with ``subscribe=1``; ``consent`` goes to ``_set_consent``
        (which reminders), ``values(consent_changed=True)`` to the page."""
        self._in_customer_language(reminder)
        if not self._csrf_ok(post):
            return request.render(
                "renewal_reminder.portal_renewal_invalid", {}, status=403
            )
        request.env["renewal.answer"].sudo()._set_consent(
            reminder, post.get("subscribe") != "1", "link", **consent
        )
        return request.render(template, values(consent_changed=True))

    def _page_values(self, reminder, token, **extra):
        """What the pages show of ``reminder``'s cycle (its answer, whichever
        reminder of the cycle it came from)."""
        Answer = request.env["renewal.answer"].sudo()
        holder = Answer._holder(reminder)
        contract = holder.contract_id.with_context(lang=request.env.lang)
        lines = contract.contract_line_ids.filtered(
            lambda line: not line.display_type and not line.is_canceled
        )
        invoices = []
        if holder.answer == renewal_answers.ANSWER_RENEW:
            # Only the invoices given portal access when the answer came in:
            # opening the page writes nothing.
            invoices = [
                (invoice, f"{invoice.access_url}?access_token={invoice.access_token}")
                for invoice in Answer._open_invoices(contract)
                if invoice.access_token
            ]
        values = {
            "reminder": holder,
            "contract": contract,
            "lines": lines,
            "company": contract.company_id,
            "token": token,
            "urls": Answer._urls(contract, reminder.answer_key, reminder.cycle_end),
            "end_date": contract._renewal_format_date(holder.cycle_end),
            "policy": contract.renewal_policy_id or holder.policy_id,
            "lost_reasons": Answer._lost_reasons(),
            "more_time_reasons": holder._fields["answer_reason"]._description_selection(
                request.env
            ),
            "is_open": Answer._is_open(holder),
            "may_change": Answer._may_change(holder) if holder.answer else False,
            "invoices": invoices,
            "opted_out": holder.partner_id.commercial_partner_id.renewal_opt_out,
            "choice": None,
            "changing": False,
            "errors": [],
            "form": {},
            "no_breadcrumbs": True,
        }
        values.update(extra)
        values["changing"] = bool(values["changing"] and values["may_change"])
        return values

    # ------------------------------------------------------------------
    # Answer
    # ------------------------------------------------------------------

    @http.route(
        ["/renewal/answer", "/renewal/unsubscribe"],
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_no_token(self, **kwargs):
        """A link cut before its token: the same page as any bad link."""
        return self._invalid()

    @http.route(
        "/renewal/answer/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def renewal_answer_page(self, token, choice=None, change=None, **kwargs):
        reminder = self._reminder(token)
        if not reminder:
            return self._invalid()
        self._in_customer_language(reminder)
        if choice not in renewal_answers.ANSWERS:
            choice = None
        values = self._page_values(
            reminder,
            token,
            choice=choice,
            changing=bool(change),
            renewal_seen_url=f"/renewal/answer/{token}/seen",
        )
        return request.render("renewal_reminder.portal_renewal_answer", values)

    @http.route(
        "/renewal/answer/<string:token>/seen",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_answer_seen(self, token, **post):
        """The answer page's beacon (see ``_seen``)."""
        return self._seen(self._reminder(token), post)

    @http.route(
        "/renewal/answer/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_answer_post(self, token, **post):
        """The answer form: refused without this session's CSRF token."""
        reminder = self._reminder(token)
        if not reminder:
            return self._invalid()
        self._in_customer_language(reminder)
        if not self._csrf_ok(post):
            return request.render(
                "renewal_reminder.portal_renewal_invalid", {}, status=400
            )
        # Whoever posts the page's form read the reminder.
        self._note_click(reminder, acted=True)
        form = self._form(post)
        ok, errors = (
            request.env["renewal.answer"]
            .sudo()
            ._record(reminder, form, change=form.get("change") == "1")
        )
        reminder.invalidate_recordset()
        if errors:
            values = self._page_values(
                reminder,
                token,
                choice=form.get("answer"),
                errors=errors,
                form=form,
                changing=form.get("change") == "1",
            )
            return request.render(
                "renewal_reminder.portal_renewal_answer", values, status=400
            )
        values = self._page_values(reminder, token, just_answered=ok)
        return request.render("renewal_reminder.portal_renewal_answer", values)

    # ------------------------------------------------------------------
    # Unsubscribe
    # ------------------------------------------------------------------

    @http.route(
        "/renewal/unsubscribe/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def renewal_unsubscribe_page(self, token, **kwargs):
        reminder = self._unsubscribe_reminder(token)
        if not reminder:
            return self._invalid()
        self._in_customer_language(reminder)
        return request.render(
            "renewal_reminder.portal_renewal_unsubscribe",
            self._page_values(reminder, token),
        )

    @http.route(
        "/renewal/unsubscribe/<string:token>",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        csrf=False,
        sitemap=False,
    )
    def renewal_unsubscribe_post(self, token, **post):
        """The one-click unsubscribe of mail providers, or the page's form.

        The one-click POST carries neither cookie nor CSRF token (RFC 8058);
        the page's own form must carry a valid CSRF token.
        """
        reminder = self._unsubscribe_reminder(token)
        if not reminder:
            return self._invalid()
        if post.get("List-Unsubscribe") == ONE_CLICK:
            request.env["renewal.answer"].sudo()._set_consent(
                reminder, True, "one_click"
            )
            return request.make_response(
                "OK", headers=[("Content-Type", "text/plain; charset=utf-8")]
            )
        return self._consent_form(
            reminder,
            post,
            "renewal_reminder.portal_renewal_unsubscribe",
            lambda **extra: self._page_values(reminder, token, **extra),
        )
