from lxml import html
from markupsafe import Markup

from odoo import models
from odoo.tools import safe_eval


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _renewal_render_body(self, res_ids):
        """Render ``body_html`` on many records, compiling the QWeb once.

        Odoo's mail rendering compiles the template again for every record;
        compiling is most of the cost of a reminder, so the daily pass renders
        its batches here: same evaluation context, same post-processing, one
        compilation per template and language. ``self`` carries the language.
        A record the template fails on gets the exception instead of its text.
        Users who may not run template code get Odoo's own rendering, with its
        checks.
        """
        self.ensure_one()
        model = self.render_model
        source = self.body_html
        if not source or not res_ids:
            return dict.fromkeys(res_ids, "")
        restricted = (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
        if restricted or not self._has_unsafe_expression_template_qweb(source, model):
            return self._render_field("body_html", res_ids)
        variables = self._render_eval_context()
        qweb = self.env["ir.qweb"]
        functions, name = qweb._compile(
            html.fragment_fromstring(source, create_parent="div")
        )
        render = functions[name]
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
