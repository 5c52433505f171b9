"""What a reminder says of itself: its title, its status and what happens
next, the reasons of a skip, the customer's answer, in the reader's
language, time zone and date format."""

from odoo import api, fields, models
from odoo.tools import format_date, format_time

from ..tools import renewal_escalation, renewal_rules
from .renewal_reminder import DATA_PROBLEM_REASONS


class RenewalReminder(models.Model):
    _inherit = "renewal.reminder"

    @api.depends("contract_id", "days_before", "cycle_end")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for reminder in self:
            values = {
                "contract": reminder.contract_id.display_name or "",
                "days": abs(reminder.days_before),
                # In the reader's own date format.
                "end": format_date(self.env, reminder.cycle_end) or "",
            }
            days = reminder.days_before
            if days == 0:
                text = self.env._("%(contract)s: on %(end)s", **values)
            elif days == 1:
                text = self.env._("%(contract)s: 1 day before %(end)s", **values)
            elif days == -1:
                text = self.env._("%(contract)s: 1 day after %(end)s", **values)
            elif days < 0:
                text = self.env._("%(contract)s: %(days)s days after %(end)s", **values)
            else:
                text = self.env._(
                    "%(contract)s: %(days)s days before %(end)s", **values
                )
            reminder.display_name = text

    def _format_moment(self, value):
        """``value`` in the reader's time zone and format: the time alone
        when it falls today for them, else the date and the time."""
        if not value:
            return ""
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        time_text = format_time(self.env, value, tz=tz, time_format="short")
        local = fields.Datetime.context_timestamp(self.with_context(tz=tz), value)
        today = fields.Datetime.context_timestamp(
            self.with_context(tz=tz), fields.Datetime.now()
        )
        if local.date() == today.date():
            return time_text
        return "%s %s" % (format_date(self.env, local.date()), time_text)

    @api.depends(
        "state",
        "reason_code",
        "reason",
        "delivery_attempts",
        "max_delivery_attempts",
        "next_attempt_date",
        "recipient_id",
        "send_at",
        "send_at_reason",
        "escalation_due",
    )
    @api.depends_context("lang", "tz")
    def _compute_status_summary(self):
        labels = dict(self._fields["state"]._description_selection(self.env))
        reasons = dict(self._fields["reason_code"]._description_selection(self.env))
        for reminder in self:
            label = labels.get(reminder.state, "")
            why = reminder.reason or reasons.get(reminder.reason_code) or ""
            summary, next_step = label, False
            if reminder.state == "queued" and reminder.next_attempt_date:
                retries = max(reminder.max_delivery_attempts - 1, 1)
                when = reminder._format_moment(reminder.next_attempt_date)
                summary = self.env._(
                    "Queued, retry %(retry)s of %(retries)s at %(when)s: %(why)s",
                    retry=reminder.delivery_attempts,
                    retries=retries,
                    when=when,
                    why=why,
                )
                next_step = self.env._(
                    "The mail server did not take this email (%(why)s). Odoo's "
                    "mail queue sends it again at %(when)s, retry %(retry)s of "
                    "%(retries)s. If the last retry fails too, the reminder is "
                    "marked failed and the salesperson sees it in the log; a "
                    "later stage still goes out on its day.",
                    why=why,
                    when=when,
                    retry=reminder.delivery_attempts,
                    retries=retries,
                )
            elif reminder.state in ("queued", "scheduled") and (
                reminder.send_at and reminder.send_at > fields.Datetime.now()
            ):
                summary = self.env._(
                    "%(state)s, leaves at %(when)s",
                    state=label,
                    when=reminder._format_moment(reminder.send_at),
                )
                next_step = reminder.send_at_reason or self.env._(
                    "It waits for the customer's sending hours."
                )
            elif reminder.state == "queued":
                next_step = self.env._(
                    "The email is in Odoo's mail queue and leaves with its next "
                    "run; this reminder then reads Sent."
                )
            elif (
                reminder.state in renewal_escalation.LEFT_STATES
                and reminder.escalation_due
            ):
                next_step = self.env._(
                    "Waiting for the customer's answer. Without one, the next "
                    "step comes at %(when)s (a fallback, a follow-up for the "
                    "salesperson or the next stage, as the policy says).",
                    when=reminder._format_moment(reminder.escalation_due),
                )
            elif reminder.state == "review":
                next_step = self.env._(
                    "Held for the salesperson: approve it to send it to "
                    "%(recipient)s, edit its text first if needed, or refuse it.",
                    recipient=reminder.recipient_id.display_name or "",
                )
            elif reminder.state == "failed":
                summary = self.env._(
                    "Failed after %(attempts)s tries: %(why)s",
                    attempts=max(reminder.delivery_attempts, 1),
                    why=why,
                )
                next_step = self.env._(
                    "This email will not be sent again. Check the mail server "
                    "or the address, then send an urgent reminder from the "
                    "contract if the customer must hear now; the next stage "
                    "goes out on its day."
                )
            elif reminder.state == "bounced":
                summary = self.env._("Bounced: %(why)s", why=why)
                next_step = self.env._(
                    "The customer's mail server returned the email: correct "
                    "the address of %(recipient)s or set a backup renewal "
                    "contact on the customer before the next stage.",
                    recipient=reminder.recipient_id.display_name or "",
                )
            elif reminder.state in ("skipped", "refused", "cancelled") and why:
                summary = self.env._("%(state)s: %(why)s", state=label, why=why)
                if reminder.reason_code in self._data_problem_reasons():
                    next_step = self.env._(
                        "Nothing was sent for this stage. Correct the contract "
                        "or the customer: the next stage is tried on its day."
                    )
            reminder.status_summary = summary
            reminder.next_step = next_step

    @api.model
    def _data_problem_reasons(self):
        """Reason codes that come from bad data (also noted in the chatter);
        a channel adds its own."""
        return DATA_PROBLEM_REASONS

    def _answer_label(self):
        """The customer's answer, in words."""
        self.ensure_one()
        labels = dict(self._fields["answer"]._description_selection(self.env))
        return labels.get(self.answer, "")

    def _answer_details(self):
        """What the customer said with their answer, line by line (text)."""
        self.ensure_one()
        lines = []
        if self.answer_reason:
            reasons = dict(
                self._fields["answer_reason"]._description_selection(self.env)
            )
            lines.append(
                self.env._("Reason: %(reason)s", reason=reasons[self.answer_reason])
            )
        if self.answer_lost_reason_id:
            lines.append(
                self.env._("Reason: %(reason)s", reason=self.answer_lost_reason_id.name)
            )
        if self.answer_staged_payment:
            lines.append(self.env._("Asks to pay in instalments"))
        if self.answer_contact_name:
            contact = ", ".join(
                part
                for part in (
                    self.answer_contact_name,
                    self.answer_contact_email,
                    self.answer_contact_phone,
                )
                if part
            )
            lines.append(self.env._("New decision maker: %(contact)s", contact=contact))
        return lines

    @api.model
    def _recipient_problem_text(self, problem, recipient):
        texts = {
            renewal_rules.REASON_NO_EMAIL: self.env._(
                "%(partner)s has no email address.", partner=recipient.display_name
            ),
            renewal_rules.REASON_OPTED_OUT: self.env._(
                "%(partner)s asked not to receive renewal reminders.",
                partner=recipient.commercial_partner_id.display_name,
            ),
            renewal_rules.REASON_BLACKLISTED: self.env._(
                "%(email)s is on the email blacklist.", email=recipient.email
            ),
            renewal_rules.REASON_ARCHIVED_PARTNER: self.env._(
                "%(partner)s is archived.", partner=recipient.display_name
            ),
            renewal_rules.REASON_OTHER_COMPANY: self.env._(
                "%(partner)s belongs to another company (%(company)s).",
                partner=recipient.display_name,
                company=recipient.company_id.name,
            ),
        }
        return texts[problem]
