from lxml import html

from odoo import models
from odoo.tools.rendering_tools import parse_inline_template

from ..tools import renewal_rules

# What a template says about how its message is sent, beyond its text.
POST_OPTION_FIELDS = (
    "attachment_ids",
    "auto_delete",
    "email_cc",
    "email_from",
    "email_layout_xmlid",
    "email_to",
    "lang",
    "mail_server_id",
    "partner_to",
    "reply_to",
    "report_template_ids",
    "scheduled_date",
)
# What a reminder takes of its template's rendering.
RENDERED_FIELDS = ("subject", "body_html", "email_from")


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _renewal_render_batch(self, res_ids):
        """Subject, body and sender of this template on many records, each
        in its record's language, through Odoo's own rendering
        (``_render_field``: its sandbox, and its checks for users who may not
        run template code). Returns {res_id: values}; a failure raises for
        the whole batch (see ``renewal.dispatch._render_template``)."""
        self.ensure_one()
        results = {}
        # As _render_field(compute_lang=True) classifies them, once for the
        # three fields; the leftovers are judged in each language.
        for template, ids in self._classify_per_lang(res_ids).values():
            rendered = {
                fname: template._render_field(
                    fname,
                    ids,
                    # Kept as the composer keeps them in an email (mso).
                    options={"preserve_comments": True}
                    if fname == "body_html"
                    else None,
                )
                for fname in RENDERED_FIELDS
            }
            leftovers = template._renewal_template_leftovers()
            for res_id in ids:
                results[res_id] = {
                    "subject": rendered["subject"][res_id],
                    "body_html": rendered["body_html"][res_id],
                    "email_from": rendered["email_from"][res_id],
                    "leftovers": leftovers,
                }
        return results

    def _renewal_template_leftovers(self):
        """Markers in the template's own words, which no rendering replaces.

        Judged on the template (in ``self``'s language), never on what it
        renders: what an expression puts in (a customer's name) is data.
        """
        self.ensure_one()
        texts = []
        for text, _expression, default in parse_inline_template(self.subject or ""):
            texts += [text, default]
        if self.body_html:
            root = html.fragment_fromstring(str(self.body_html), create_parent="div")
            for element in root.iter():
                texts += [element.text, element.tail]
                texts += [
                    value
                    for name, value in element.attrib.items()
                    if not name.startswith("t-")
                ]
        return renewal_rules.template_markers(*texts)

    def _renewal_post_options(self, res_ids):
        """What the template says about sending, on each of ``res_ids``.

        Odoo's own generation (``_generate_template``), as the composer of
        ``message_post_with_source`` reads it: the recipients of partner_to,
        email_to and email_cc (addresses become partners), reply_to, the
        scheduled date, the attachments and reports, the mail server, the
        layout and auto_delete. Returns {res_id: values}.
        """
        self.ensure_one()
        if not res_ids:
            return {}
        return self._generate_template(
            res_ids,
            POST_OPTION_FIELDS,
            find_or_create_partners=True,
        )
