from lxml import html
from markupsafe import Markup

from odoo import models, tools
from odoo.tools import safe_eval
from odoo.tools.rendering_tools import parse_inline_template

from ..tools import renewal_rules

# Formatting helpers of the rendering context that a batch calls with the
# same arguments again and again (every contract due today ends on one of a
# few dates): each result is computed once per batch.
MEMOIZED_HELPERS = ("format_date", "format_datetime", "format_amount")
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


def _memoized(function):
    results = {}

    def memoized(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        try:
            return results[key]
        except KeyError:
            result = results[key] = function(*args, **kwargs)
            return result
        except TypeError:  # an argument that cannot be hashed
            return function(*args, **kwargs)

    return memoized


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _renewal_render_batch(self, res_ids):
        """Subject, body and sender of this template on many records.

        ``self`` carries the language. Returns {res_id: values}, or the
        exception for a record whose body the template fails on; a failure
        of the subject or the sender raises for the whole batch.
        """
        self.ensure_one()
        helpers = self._renewal_batch_helpers()
        subjects = self._renewal_render_inline(self.subject, res_ids, helpers)
        senders = self._renewal_render_inline(self.email_from, res_ids, helpers)
        bodies = self._renewal_render_body(res_ids, helpers)
        leftovers = self._renewal_template_leftovers()
        return {
            res_id: bodies[res_id]
            if isinstance(bodies[res_id], Exception)
            else {
                "subject": subjects[res_id],
                "body_html": bodies[res_id],
                "email_from": senders[res_id],
                "leftovers": leftovers,
            }
            for res_id in res_ids
        }

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

    def _renewal_classify_per_lang(self, res_ids):
        """{lang: (template in that language, res_ids)}, as Odoo classifies."""
        self.ensure_one()
        by_lang = {}
        for res_id, lang in self._renewal_render_inline(self.lang, res_ids).items():
            by_lang.setdefault(lang, []).append(res_id)
        return {
            lang: (self.with_context(lang=lang) if lang else self, ids)
            for lang, ids in by_lang.items()
        }

    def _renewal_restricted(self):
        """Whether the user may not run the code of templates."""
        return (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )

    def _renewal_render_inline(self, source, res_ids, helpers=None):
        """Render an inline template ({{ }}) on many records.

        Odoo's own inline rendering (its sandbox, its checks for users who may
        not run template code), which renders a whole batch in one call.
        """
        self.ensure_one()
        source = str(source or "")
        if not source or not res_ids:
            return dict.fromkeys(res_ids, "")
        return self._render_template(
            source,
            self.render_model,
            res_ids,
            engine="inline_template",
            add_context=helpers,
        )

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

    def _renewal_batch_helpers(self):
        context = self._render_eval_context()
        return {name: _memoized(context[name]) for name in MEMOIZED_HELPERS}

    def _renewal_render_body(self, res_ids, helpers=None):
        """Render ``body_html`` on many records, compiling the QWeb once.

        Odoo's mail rendering compiles the template again for every record;
        compiling is most of the cost of a reminder, so the daily pass renders
        its batches here: same evaluation context, same post-processing, one
        compilation per template text and language. ``self`` carries the
        language. A record the template fails on gets the exception instead
        of its text. Users who may not run template code get Odoo's own
        rendering, with its checks.
        """
        self.ensure_one()
        model = self.render_model
        source = self.body_html
        if not source or not res_ids:
            return dict.fromkeys(res_ids, "")
        render = not self._renewal_restricted() and self._renewal_compiled_body(
            str(source), model
        )
        if not render:
            return self._render_field("body_html", res_ids, add_context=helpers)
        variables = dict(self._render_eval_context(), **(helpers or {}))
        qweb = self.env["ir.qweb"]
        rendered, errors = {}, {}
        for record in self.env[model].browse(res_ids):
            values = dict(variables, object=record)
            try:
                rendering_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                # Drop the <div> wrapping the fragment, as Odoo does.
                text = "".join(render(rendering_qweb, values))[5:-6]
            except Exception as error:  # noqa: BLE001 - reported per record
                errors[record.id] = error
                continue
            rendered[record.id] = Markup(text)
        results = self._render_template_postprocess(model, rendered)
        results.update(errors)
        return results

    @tools.ormcache(
        "source",
        "model",
        "tuple(self.env.context.get(key) "
        "for key in self.env['ir.qweb']._get_template_cache_keys())",
        cache="templates",
    )
    def _renewal_compiled_body(self, source, model):
        """The compiled QWeb of a body text, kept with Odoo's own compiled
        templates (the registry's "templates" cache, cleared with them).

        None when the text holds only what Odoo renders without running code
        (its own rendering is then the fast one).
        """
        if not self._has_unsafe_expression_template_qweb(source, model):
            return None
        functions, name = self.env["ir.qweb"]._compile(
            html.fragment_fromstring(source, create_parent="div")
        )
        return functions[name]
