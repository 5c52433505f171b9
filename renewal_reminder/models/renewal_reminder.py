from odoo import api, fields, models

REMINDER_STATES = [
    ("scheduled", "Scheduled"),
    ("review", "Awaiting Review"),
    ("refused", "Refused"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("opened", "Opened"),
    ("bounced", "Bounced"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("cancelled", "Cancelled"),
]

# A reminder in one of these states has reached, or is on its way to, the customer.
OUTGOING_STATES = ("queued", "sent", "delivered", "opened")
# A stage whose reminder is in one of these states is done for its cycle.
HANDLED_STATES = OUTGOING_STATES + (
    "review",
    "refused",
    "bounced",
    "failed",
    "skipped",
    "cancelled",
)

REASON_CODES = [
    ("superseded", "Superseded by a later stage"),
    ("no_end_date", "No end date"),
    ("no_email", "No email address"),
    ("invalid_phone", "Invalid phone number"),
    ("opted_out", "Customer opted out"),
    ("blacklisted", "Address blacklisted"),
    ("archived_partner", "Archived customer"),
    ("no_policy", "No matching policy"),
    ("render_error", "Template could not be rendered"),
    ("unrendered", "Placeholder left in the message"),
    ("other_company", "Customer of another company"),
    ("renewed", "Contract renewed"),
    ("closed", "Contract closed"),
    ("refused", "Refused in review"),
    ("delivery", "Delivery failure"),
]


class RenewalReminder(models.Model):
    _name = "renewal.reminder"
    _description = "Renewal Reminder"
    _inherit = ["mail.thread"]
    _order = "scheduled_date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        comodel_name="contract.contract",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="contract_id.partner_id",
        string="Customer",
        store=True,
        index=True,
        precompute=True,
    )
    user_id = fields.Many2one(
        related="contract_id.user_id",
        string="Salesperson",
        store=True,
        index=True,
        precompute=True,
    )
    recipient_id = fields.Many2one(
        comodel_name="res.partner",
        help="Who the reminder is addressed to: the customer or its backup "
        "renewal contact.",
    )
    stage_id = fields.Many2one(
        comodel_name="renewal.policy.stage",
        index=True,
        ondelete="set null",
    )
    policy_id = fields.Many2one(comodel_name="renewal.policy", index=True)
    cycle_end = fields.Date(
        required=True,
        help="The end date this reminder counts down to.",
    )
    days_before = fields.Integer(string="Days Before End")
    channel = fields.Selection(
        selection=lambda self: (
            self.env["renewal.policy.stage"]
            ._fields["channel"]
            ._description_selection(self.env)
        ),
        required=True,
        default="email",
    )
    tone = fields.Selection(
        selection=lambda self: (
            self.env["renewal.policy.stage"]
            ._fields["tone"]
            ._description_selection(self.env)
        ),
    )
    state = fields.Selection(
        selection=REMINDER_STATES,
        required=True,
        default="scheduled",
        index=True,
        tracking=True,
    )
    reason_code = fields.Selection(selection=REASON_CODES, index=True)
    reason = fields.Text(help="Why the reminder was skipped, refused or failed.")
    trigger = fields.Selection(
        selection=[
            ("scheduler", "Scheduler"),
            ("manual", "Manual"),
            ("urgent", "Urgent"),
        ],
        required=True,
        default="scheduler",
    )
    scheduled_date = fields.Date(
        help="Day the stage fell due.",
    )
    sent_date = fields.Datetime(string="Sent On", readonly=True)
    reviewed_date = fields.Datetime(string="Reviewed On", readonly=True)
    reviewer_id = fields.Many2one(comodel_name="res.users", readonly=True)
    subject = fields.Char()
    body = fields.Html(sanitize_style=True)
    mail_id = fields.Many2one(
        comodel_name="mail.mail", string="Email", index="btree_not_null", readonly=True
    )
    message_id = fields.Many2one(
        comodel_name="mail.message", readonly=True
    )
    tier_id = fields.Many2one(related="contract_id.renewal_tier_id")

    _sql_constraints = [
        (
            "contract_stage_cycle_uniq",
            "unique(contract_id, stage_id, cycle_end)",
            "A contract gets one reminder per stage and renewal cycle.",
        ),
    ]

    @api.depends("contract_id", "days_before", "cycle_end")
    def _compute_display_name(self):
        for reminder in self:
            reminder.display_name = self.env._(
                "%(contract)s: %(days)s days before %(end)s",
                contract=reminder.contract_id.display_name or "",
                days=reminder.days_before,
                end=fields.Date.to_string(reminder.cycle_end) or "",
            )
