"""The review of held reminders: approved (sent at the first moment of the
customer's sending hours, the text checked again) or refused, with the
salesperson's activity closed either way."""

from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..tools import renewal_rules


class RenewalReminder(models.Model):
    _inherit = "renewal.reminder"

    def action_approve(self):
        """Approve reminders awaiting review: they go out at once.

        The recipient is checked again: what was true when the reminder was
        held (an address, no opt-out, the same company) may not be any more.
        """
        self.check_access("write")
        reminders = self.sudo()
        reminders.contract_id._renewal_cancel_stale_reminders()
        to_approve = reminders.filtered(lambda reminder: reminder.state == "review")
        to_approve._check_text_before_approval()
        to_approve.write(
            {"reviewer_id": self.env.user.id, "reviewed_date": fields.Datetime.now()}
        )
        blocked = to_approve._skip_unreachable_recipients()
        to_send = to_approve - blocked
        # Each reminder leaves on its own channel.
        self.env["renewal.dispatch"]._send_approved(to_send)
        to_approve._close_review_activities()
        to_send._schedule_salesperson_activities()
        if not blocked:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("Not sent"),
                "message": "\n".join(blocked.mapped("reason")),
            },
        }

    def _check_text_before_approval(self):
        """Refuse to send a held reminder whose edited text is empty or holds
        a placeholder the template did not put there (the customer's own data,
        rendered, may hold one: that is data)."""
        dispatch = self.env["renewal.dispatch"]
        by_template = defaultdict(lambda: self.browse())
        # Emails here; another channel checks its own text.
        for reminder in self.filtered(lambda r: (r.channel or "email") == "email"):
            by_template[reminder.stage_id and reminder.stage_id._template()] |= reminder
        for template, reminders in by_template.items():
            rendered = (
                dispatch._render_template(template, reminders.contract_id.ids)
                if template
                else {}
            )
            for reminder in reminders:
                final = [reminder.subject or "", html2plaintext(reminder.body or "")]
                values = rendered.get(reminder.contract_id.id)
                if isinstance(values, Exception) or not values:
                    values = {}
                leftovers = ["empty"] if not all(t.strip() for t in final) else []
                leftovers += renewal_rules.unexplained_markers(
                    final,
                    [
                        values.get("subject") or "",
                        html2plaintext(values.get("body_html") or ""),
                    ],
                )
                if leftovers:
                    raise UserError(
                        self.env._(
                            "The reminder “%(reminder)s” still holds %(markers)s: "
                            "fix its text before approving it.",
                            reminder=reminder.display_name,
                            markers=", ".join(leftovers),
                        )
                    )

    def _skip_unreachable_recipients(self):
        """Skip, with the reason, the reminders nobody may receive any more.

        Who gets it is decided again (the customer may have an address now,
        or another backup contact), then checked.
        """
        now = fields.Datetime.now()
        skipped = self.browse()
        dispatch = self.env["renewal.dispatch"]
        for reminder in self:
            recipient, problem = dispatch._recipient(
                reminder.contract_id, reminder.channel
            )
            if recipient != reminder.recipient_id:
                reminder.recipient_id = recipient
            if not problem:
                continue
            reminder.write(
                {
                    "state": "skipped",
                    "reason_code": problem,
                    "reason": self._recipient_problem_text(problem, recipient),
                    "outcome_date": now,
                }
            )
            skipped |= reminder
        skipped._log_problems_in_chatter()
        return skipped

    def _refuse(self, reason):
        self.check_access("write")
        to_refuse = self.sudo().filtered(lambda reminder: reminder.state == "review")
        now = fields.Datetime.now()
        to_refuse.write(
            {
                "state": "refused",
                "reason_code": "refused",
                "reason": reason,
                "reviewer_id": self.env.user.id,
                "reviewed_date": now,
                "outcome_date": now,
            }
        )
        to_refuse._close_review_activities()
        return to_refuse.sudo(False)

    def action_refuse(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse Reminders"),
            "res_model": "renewal.reminder.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reminder_ids": self.ids},
        }

    def _close_review_activities(self):
        review_type = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "contract.contract"),
                ("res_id", "in", self.contract_id.ids),
                ("activity_type_id", "=", review_type.id),
            ]
        )
        # A contract keeps its review activity while another reminder waits.
        still_waiting = set(
            self.search(
                [("contract_id", "in", self.contract_id.ids), ("state", "=", "review")]
            ).contract_id.ids
        )
        activities.filtered(
            lambda activity: activity.res_id not in still_waiting
        ).action_done()
