from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import renewal_rules


class RenewalUrgentReminder(models.TransientModel):
    """A reminder a salesperson sends by hand, now, after reading it."""

    _name = "renewal.urgent.reminder"
    _description = "Urgent Renewal Reminder"

    contract_id = fields.Many2one(comodel_name="contract.contract", required=True)
    template_id = fields.Many2one(
        comodel_name="mail.template",
        domain=[("model", "=", "contract.contract")],
        compute="_compute_template_id",
        store=True,
        readonly=False,
        required=True,
    )
    recipient_id = fields.Many2one(
        comodel_name="res.partner", compute="_compute_recipient_id", store=True
    )
    subject = fields.Char(compute="_compute_message", store=True, readonly=False)
    body = fields.Html(compute="_compute_message", store=True, readonly=False)

    @api.depends("contract_id")
    def _compute_template_id(self):
        warning = self.env.ref(
            "renewal_reminder.mail_template_renewal_warning", raise_if_not_found=False
        )
        for wizard in self:
            wizard.template_id = wizard.template_id or warning

    @api.depends("contract_id")
    def _compute_recipient_id(self):
        for wizard in self:
            wizard.recipient_id = (
                wizard.contract_id and wizard.contract_id._renewal_recipient()
            )

    @api.depends("contract_id", "template_id")
    def _compute_message(self):
        Reminder = self.env["renewal.reminder"]
        for wizard in self:
            if not (wizard.contract_id and wizard.template_id):
                wizard.subject = wizard.body = False
                continue
            contract_id = wizard.contract_id.id
            values = Reminder._render_template(wizard.template_id, [contract_id])[
                contract_id
            ]
            if isinstance(values, Exception):
                raise UserError(
                    self.env._(
                        "Template “%(template)s” could not be rendered: %(error)s",
                        template=wizard.template_id.name,
                        error=values,
                    )
                )
            wizard.subject = values.get("subject")
            wizard.body = values.get("body_html")

    def action_send(self):
        self.ensure_one()
        contract = self.contract_id
        if not contract.renewal_cycle_end:
            raise UserError(self.env._("This contract has no end date to renew."))
        recipient = self.recipient_id
        problem = contract._renewal_recipient_problem(recipient)
        Reminder = self.env["renewal.reminder"]
        if problem:
            raise UserError(Reminder._recipient_problem_text(problem, recipient))
        leftovers = renewal_rules.leftover_placeholders(self.subject, self.body)
        if leftovers:
            raise UserError(
                self.env._(
                    "The message still holds %(markers)s: fix it before sending.",
                    markers=", ".join(leftovers),
                )
            )
        reminder = Reminder.sudo().create(
            {
                "contract_id": contract.id,
                "policy_id": contract.renewal_policy_id.id,
                "cycle_end": contract.renewal_cycle_end,
                "days_before": renewal_rules.days_left(
                    fields.Date.context_today(self), contract.renewal_cycle_end
                ),
                "channel": "email",
                "tone": "final",
                "trigger": "urgent",
                "recipient_id": recipient.id,
                "subject": self.subject,
                "draft_body": self.body,
                "scheduled_date": fields.Date.context_today(self),
            }
        )
        reminder._queue_emails()
        reminder._schedule_salesperson_activities()
        return {"type": "ir.actions.act_window_close"}
