from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext
from odoo.tools.misc import clean_context

from ..tools import renewal_rules
from ..tools.renewal_plan import ReminderPlan

RENDER_MODEL = "contract.contract"


class RenewalUrgentReminder(models.TransientModel):
    """A reminder a salesperson sends by hand, now, after reading it.

    Everything is computed and rendered as the person using it (never as
    superuser), on a contract they may read, from a contract template only.
    """

    _name = "renewal.urgent.reminder"
    _description = "Urgent Renewal Reminder"

    contract_id = fields.Many2one(
        comodel_name="contract.contract",
        required=True,
        domain=[("contract_type", "=", "sale")],
    )
    template_id = fields.Many2one(
        comodel_name="mail.template",
        domain=[("model", "=", RENDER_MODEL)],
        default=lambda self: self._default_template_id(),
        required=True,
    )
    recipient_id = fields.Many2one(
        comodel_name="res.partner",
        compute="_compute_recipient_id",
        compute_sudo=False,
    )
    subject = fields.Char(
        compute="_compute_message", compute_sudo=False, store=True, readonly=False
    )
    body = fields.Html(
        compute="_compute_message", compute_sudo=False, store=True, readonly=False
    )
    sent = fields.Boolean(readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        Contract = self.env["contract.contract"]
        for vals in vals_list:
            if "template_id" not in vals:
                vals["template_id"] = self._default_template_id().id
            if not vals.get("template_id"):
                raise ValidationError(
                    self.env._("Choose the email template of the urgent reminder.")
                )
            # Nothing is computed, rendered or stored for a contract the
            # person may not read.
            Contract.browse(vals.get("contract_id")).check_access("read")
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._check_template()
        return wizards

    @api.constrains("template_id")
    def _check_template_model(self):
        for wizard in self:
            wizard._check_template()

    def _check_template(self):
        """Refuse a template that is not a contract template."""
        template = self.template_id
        if template and template.sudo().model != RENDER_MODEL:
            raise ValidationError(
                self.env._(
                    "Template “%(template)s” is not a contract template: urgent "
                    "reminders use templates of contracts only.",
                    template=template.sudo().name,
                )
            )

    @api.model
    def _default_template_id(self):
        return self.env.ref(
            "renewal_reminder.mail_template_renewal_warning", raise_if_not_found=False
        )

    @api.depends("contract_id")
    def _compute_recipient_id(self):
        for wizard in self:
            contract = wizard.contract_id
            if contract:
                contract.check_access("read")
            wizard.recipient_id = contract and self.env[
                "renewal.dispatch"
            ]._email_recipient(contract)

    @api.depends("contract_id", "template_id")
    def _compute_message(self):
        for wizard in self:
            if not (wizard.contract_id and wizard.template_id):
                wizard.subject = wizard.body = False
                continue
            wizard._check_template()
            wizard.contract_id.check_access("read")
            contract_id = wizard.contract_id.id
            values = self.env["renewal.dispatch"]._render_template(
                wizard.template_id, [contract_id]
            )[contract_id]
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

    def _leftovers(self):
        """What would reach the customer unrendered if the message went now.

        The template's own markers still in the text, and markers the editing
        brought in; markers the customer's data put there are data.
        """
        contract_id = self.contract_id.id
        rendered = self.env["renewal.dispatch"]._render_template(
            self.template_id, [contract_id]
        )[contract_id]
        if isinstance(rendered, Exception):
            rendered = {}
        final = [self.subject or "", html2plaintext(self.body or "")]
        present = renewal_rules.template_markers(*final)
        leftovers = ["empty"] if not all(text.strip() for text in final) else []
        leftovers += [m for m in rendered.get("leftovers") or [] if m in present]
        leftovers += renewal_rules.unexplained_markers(
            final,
            [
                rendered.get("subject") or "",
                html2plaintext(rendered.get("body_html") or ""),
            ],
        )
        return list(dict.fromkeys(leftovers))

    def action_send(self):
        self.ensure_one()
        self._check_template()
        contract = self.contract_id
        contract.check_access("read")
        if contract.contract_type != "sale" or not contract.renewal_cycle_end:
            raise UserError(self.env._("This contract has no end date to renew."))
        # Who gets it is decided here again, not taken from the form.
        dispatch = self.env["renewal.dispatch"]
        recipient = dispatch._email_recipient(contract)
        problem = dispatch._recipient_problem(contract, recipient)
        Reminder = self.env["renewal.reminder"]
        if problem:
            raise UserError(Reminder._recipient_problem_text(problem, recipient))
        leftovers = self._leftovers()
        if leftovers:
            raise UserError(
                self.env._(
                    "The message still holds %(markers)s: fix it before sending.",
                    markers=", ".join(leftovers),
                )
            )
        # Sent once: a second click, or a second request at the same time,
        # finds the wizard sent (or locked) and sends nothing.
        self.flush_recordset(["sent"])
        self.env.cr.execute(
            SQL(
                "SELECT sent FROM renewal_urgent_reminder WHERE id = %s "
                "FOR UPDATE NOWAIT",
                self.id,
            )
        )
        if self.env.cr.fetchone()[0]:
            raise UserError(self.env._("This urgent reminder was already sent."))
        self.sent = True
        self.flush_recordset(["sent"])
        today = fields.Date.context_today(self)
        # Defaults of the caller's context never reach the reminder log: the
        # context without them replaces it.
        context = clean_context(self.env.context)
        Reminder = Reminder.sudo().with_context(context)  # pylint: disable=context-overridden
        reminder = Reminder.create(
            {
                "contract_id": contract.id,
                "policy_id": contract.renewal_policy_id.id,
                "cycle_end": contract.renewal_cycle_end,
                "days_before": renewal_rules.days_left(
                    today, contract.renewal_cycle_end
                ),
                "channel": "email",
                "tone": "final",
                "trigger": "urgent",
                "recipient_id": recipient.id,
                "subject": self.subject,
                "draft_body": self.body,
                "scheduled_date": today,
            }
        )
        # The customer answers this one from the email too.
        plan = ReminderPlan(
            state="scheduled",
            contract=contract,
            recipient=recipient,
            cycle_end=reminder.cycle_end,
            body=reminder.draft_body,
            template=self.template_id,
        )
        self.env["renewal.answer"]._decorate([plan])
        reminder.write({"answer_key": plan.answer_key, "draft_body": plan.body})
        reminder._queue_emails(self.template_id)
        reminder._schedule_salesperson_activities()
        return {"type": "ir.actions.act_window_close"}
