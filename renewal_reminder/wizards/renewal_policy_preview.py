from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import renewal_rules


class RenewalPolicyPreview(models.TransientModel):
    """See a policy's dated timeline and messages on a contract before it is live."""

    _name = "renewal.policy.preview"
    _description = "Renewal Policy Preview"

    policy_id = fields.Many2one(comodel_name="renewal.policy", required=True)
    contract_id = fields.Many2one(
        comodel_name="contract.contract",
        required=True,
        domain=[("contract_type", "=", "sale")],
    )
    cycle_end = fields.Date(related="contract_id.renewal_cycle_end")
    timeline = fields.Html(compute="_compute_timeline", sanitize=False)

    def _stage_messages(self):
        """[(stage, date, rendered values or exception)] in sending order."""
        self.ensure_one()
        self.contract_id.check_access("read")
        Reminder = self.env["renewal.reminder"]
        cycle_end = self.contract_id.renewal_cycle_end
        result = []
        for stage in self.policy_id.stage_ids.sorted("days_before", reverse=True):
            rendered = Reminder._render_template(
                stage._template(), [self.contract_id.id]
            )
            result.append(
                (
                    stage,
                    cycle_end
                    and renewal_rules.stage_date(cycle_end, stage.days_before),
                    rendered[self.contract_id.id],
                )
            )
        return result

    @api.depends("policy_id", "contract_id")
    def _compute_timeline(self):
        for wizard in self:
            if not (wizard.policy_id and wizard.contract_id):
                wizard.timeline = False
                continue
            blocks = []
            for stage, day, values in wizard._stage_messages():
                when = fields.Date.to_string(day) if day else self.env._("no end date")
                heading = Markup("<h5>%s — %s</h5>") % (when, stage.name)
                if isinstance(values, Exception):
                    content = Markup('<p class="text-danger">%s</p>') % values
                else:
                    content = Markup(
                        "<p><strong>%s</strong></p>"
                        '<div class="border p-2 mb-3">%s</div>'
                    ) % (
                        values.get("subject") or "",
                        Markup(values.get("body_html") or ""),
                    )
                blocks.append(heading + content)
            wizard.timeline = Markup("").join(blocks)

    def action_send_test(self):
        """Send every stage's message to the current user, not the customer."""
        self.ensure_one()
        email_to = self.env.user.email_formatted
        if not self.env.user.email:
            raise UserError(self.env._("Set an email address on your user first."))
        values = []
        for stage, _day, rendered in self._stage_messages():
            if isinstance(rendered, Exception):
                continue
            values.append(
                {
                    "subject": self.env._(
                        "[Test %(days)s days] %(subject)s",
                        days=stage.days_before,
                        subject=rendered.get("subject") or "",
                    ),
                    "body_html": rendered.get("body_html"),
                    "email_from": rendered.get("email_from")
                    or self.env.user.email_formatted,
                    "email_to": email_to,
                    "auto_delete": True,
                }
            )
        self.env["mail.mail"].sudo().create(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s test messages sent to %(email)s.",
                    count=len(values),
                    email=email_to,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
