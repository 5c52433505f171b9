from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import renewal_limits
from .renewal_reminder import OPEN_STATES

TONES = [
    ("gentle", "Gentle"),
    ("warning", "Warning"),
    ("final", "Final, with an offer"),
]


class RenewalPolicyStage(models.Model):
    _name = "renewal.policy.stage"
    _description = "Renewal Reminder Stage"
    _order = "policy_id, sequence, days_before desc, id"

    policy_id = fields.Many2one(
        comodel_name="renewal.policy",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(compute="_compute_name")
    days_before = fields.Integer(
        string="Days Before End",
        required=True,
        default=30,
        help="The reminder goes out this many days before the contract's end date.",
    )
    channel = fields.Selection(
        selection=[("email", "Email")],
        required=True,
        default="email",
        ondelete={"email": "cascade"},
        help="How the reminder of this stage reaches the customer; each "
        "channel gets its own line in the reminder log.",
    )
    tone = fields.Selection(
        selection=TONES,
        required=True,
        default="gentle",
        help="Gentle first touch; warning about what stops when the service "
        "ends; final reminder carrying the policy's offer.",
    )
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template",
        domain=[("model", "=", "contract.contract")],
        help="Message sent at this stage; the tone's standard template when empty.",
    )
    review_required = fields.Boolean(
        string="Human Review",
        help="The reminder waits for the salesperson's approval before it goes out.",
    )
    notify_salesperson = fields.Boolean(
        default=True,
        help="Schedule an activity for the salesperson when this reminder goes out.",
    )

    @api.depends("days_before", "tone")
    @api.depends_context("lang")
    def _compute_name(self):
        tones = dict(self._fields["tone"]._description_selection(self.env))
        for stage in self:
            tone = tones.get(stage.tone, "")
            if stage.days_before == 0:
                stage.name = self.env._("On the end date (%(tone)s)", tone=tone)
            elif stage.days_before == 1:
                stage.name = self.env._("1 day before (%(tone)s)", tone=tone)
            else:
                stage.name = self.env._(
                    "%(days)s days before (%(tone)s)",
                    days=stage.days_before,
                    tone=tone,
                )

    @api.constrains("days_before", "policy_id")
    def _check_days_before(self):
        self.policy_id._check_stage_list()
        for stage in self:
            if not renewal_limits.days_before_allowed(stage.days_before):
                raise ValidationError(
                    self.env._(
                        "Policy “%(policy)s”, stage “%(stage)s”: a stage falls at "
                        "most %(max)s days (about ten years) before the end date.",
                        policy=stage.policy_id.name,
                        stage=stage.name,
                        max=renewal_limits.MAX_DAYS_BEFORE,
                    )
                )

    def write(self, vals):
        if "policy_id" in vals:
            # A stage moved to another policy must not leave its policy empty.
            for policy in self.policy_id:
                if policy.id != vals["policy_id"] and not (policy.stage_ids - self):
                    raise ValidationError(
                        policy._stage_problem_message([("empty", None)])
                    )
        return super().write(vals)

    @api.constrains("mail_template_id")
    def _check_mail_template_model(self):
        for stage in self:
            template = stage.mail_template_id.sudo()
            if template and template.model != "contract.contract":
                raise ValidationError(
                    self.env._(
                        "Template “%(template)s” is a template of %(model)s: a "
                        "stage sends contract templates only.",
                        template=template.name,
                        model=template.model_id.name or template.model,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_stage(self):
        for policy in self.policy_id:
            if not (policy.stage_ids - self):
                raise ValidationError(policy._stage_problem_message([("empty", None)]))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_waiting_reminders(self):
        """A stage goes only once none of its reminders is still waiting.

        The reminders it already dealt with keep their days, tone, channel,
        policy and text in the log, and the pass knows their step was taken;
        one still scheduled or awaiting review would go out without the
        stage's settings.
        """
        waiting = (
            self.env["renewal.reminder"]
            .sudo()
            ._read_group(
                [("stage_id", "in", self.ids), ("state", "in", OPEN_STATES)],
                ["stage_id"],
                ["__count"],
            )
        )
        if waiting:
            stage, count = waiting[0]
            stage = stage.with_env(self.env)
            raise UserError(
                self.env._(
                    "Stage “%(stage)s” of policy “%(policy)s” has %(count)s "
                    "reminders still waiting (scheduled or awaiting review): "
                    "approve or refuse them before deleting the stage, or change "
                    "its days, tone or template instead.",
                    stage=stage.name,
                    policy=stage.policy_id.name,
                    count=count,
                )
            )

    def _channels(self):
        """The channels this stage sends on, one reminder each, in order.

        A channel add-on that offers a combination of channels (email and
        SMS together) says here which ones it stands for.
        """
        self.ensure_one()
        return [self.channel or "email"]

    def _template(self):
        """The template this stage sends: its own or the tone's standard one."""
        self.ensure_one()
        return self.mail_template_id or self.env.ref(
            f"renewal_reminder.mail_template_renewal_{self.tone}",
            raise_if_not_found=False,
        )
