from odoo import fields, models


class RenewalReminderRefuse(models.TransientModel):
    _name = "renewal.reminder.refuse"
    _description = "Refuse Renewal Reminders"

    reminder_ids = fields.Many2many(
        comodel_name="renewal.reminder",
        string="Reminders",
        domain=[("state", "=", "review")],
    )
    reason = fields.Text(required=True, help="Logged on each refused reminder.")

    def action_refuse(self):
        self.ensure_one()
        self.reminder_ids._refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
