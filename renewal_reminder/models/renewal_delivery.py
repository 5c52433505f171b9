"""The mail stack's outcome followed into the reminder log.

Odoo's mail queue tells when an email left or failed, and its bounce
handling when it came back; the reminder of that email follows: sent,
tried again when the mail server could not be reached, failed or bounced.
OCA's ``mail_tracking`` tells what happened next on the customer's side
(delivered, opened, clicked, bounced): the reminder records the first time
of each and moves forward, never back. A bounce hands the salesperson an
activity to fix the address; the next stage goes to the backup contact.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from ..tools import renewal_escalation, renewal_limits, renewal_rules
from .renewal_reminder import OUTGOING_STATES, TEMPORARY_FAILURES

# What a mail_tracking event says of the customer's side of an email.
TRACKING_REACHED = {"delivered": "delivered", "open": "opened", "click": "clicked"}
# Events that mean the address does not take the email: bounced.
TRACKING_BOUNCES = ("hard_bounce", "reject")


class RenewalDelivery(models.AbstractModel):
    _name = "renewal.delivery"
    _description = "Renewal Reminder Delivery"

    @api.model
    def _sync_from_mails(self, mails, failure_type=None, failure_reason=False):
        """Follow what the mail queue did with ``mails`` into their reminders.

        Called once the queue knows the outcome of a send: every mail went
        out, or failed with ``failure_type``. A mail server that could not be
        reached is tried again; other failures are final.
        """
        reminders = (
            self.env["renewal.reminder"].sudo().search([("mail_id", "in", mails.ids)])
        )
        if not reminders:
            return
        now = fields.Datetime.now()
        if not failure_type:
            reminders.filtered(lambda r: r.state == "queued").write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "next_attempt_date": False,
                    "reason_code": False,
                    "reason": False,
                }
            )
            return
        max_attempts = renewal_limits.delivery_attempts(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.max_delivery_attempts")
        )
        to_retry = defaultdict(lambda: self.env["mail.mail"].sudo())
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder in reminders.filtered(lambda r: r.state == "queued"):
            failure = (
                failure_reason
                or reminder.mail_id.failure_reason
                or dict(reminder.mail_id._fields["failure_type"].selection).get(
                    failure_type
                )
            )
            retry, attempts = renewal_rules.delivery_retry(
                failure_type in TEMPORARY_FAILURES,
                reminder.delivery_attempts,
                max_attempts,
            )
            values = {
                "delivery_attempts": attempts,
                "max_delivery_attempts": max_attempts,
                "reason_code": "delivery",
                "reason": failure,
            }
            if retry:
                # The next try waits a little longer each time.
                next_attempt = now + timedelta(
                    minutes=renewal_rules.retry_delay_minutes(attempts)
                )
                values["next_attempt_date"] = next_attempt
                to_retry[next_attempt] |= reminder.mail_id
            else:
                values.update(state="failed", next_attempt_date=False, outcome_date=now)
            updates[tuple(sorted(values.items()))] |= reminder
        for values, group in updates.items():
            group.write(dict(values))
        # Back in Odoo's mail queue, which sends them again when their time
        # comes; its scheduled action is woken up then.
        queue_cron = self.env.ref(
            "mail.ir_cron_mail_scheduler_action", raise_if_not_found=False
        )
        for next_attempt, mails in to_retry.items():
            mails.write({"state": "outgoing", "scheduled_date": next_attempt})
            if queue_cron:
                queue_cron.sudo()._trigger(at=next_attempt)

    @api.model
    def _sync_bounces(self, notifications):
        """Mark bounced the reminders whose email came back."""
        bounced = notifications.filtered(
            lambda notif: (
                notif.notification_type == "email"
                and notif.notification_status == "bounce"
            )
        )
        if not bounced:
            return
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search(
                [
                    ("message_id", "in", bounced.mail_message_id.ids),
                    ("state", "in", OUTGOING_STATES),
                ]
            )
        )
        # Only the reminder's own recipient bouncing it counts: a copy to a
        # follower or a cc address coming back says nothing of the customer.
        by_recipient = {
            (notif.mail_message_id, notif.res_partner_id): notif for notif in bounced
        }
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder in reminders:
            notif = by_recipient.get((reminder.message_id, reminder.recipient_id))
            if not notif:
                continue
            reason = notif.failure_reason or self.env._(
                "The customer's mail server returned the email."
            )
            updates[reason] |= reminder
        self._mark_bounced(updates)

    @api.model
    def _mark_bounced(self, updates):
        """Mark bounced the reminders of ``updates`` ({reason: reminders}) and
        hand their salespeople an activity to fix the address."""
        now = fields.Datetime.now()
        bounced = self.env["renewal.reminder"]
        for reason, group in updates.items():
            group = group.filtered(lambda r: r.state in OUTGOING_STATES)
            group.write(
                {
                    "state": "bounced",
                    "reason_code": "bounced",
                    "reason": reason,
                    "outcome_date": now,
                }
            )
            bounced |= group
        bounced._schedule_address_activities()

    @api.model
    def _sync_tracking_events(self, events):
        """Follow ``mail_tracking`` events of reminder emails into their
        reminders, in bulk: delivered, opened and clicked with the time each
        first happened; a hard bounce or a refusal of the recipient's server
        as a bounce. Only the reminder's own recipient counts."""
        events = events.sudo().filtered(
            lambda e: e.event_type in TRACKING_REACHED
            or e.event_type in TRACKING_BOUNCES
        )
        if not events:
            return
        trackings = events.tracking_email_id
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search(
                [
                    ("message_id", "in", trackings.mail_message_id.ids),
                    ("channel", "=", "email"),
                ]
            )
        )
        if not reminders:
            return
        by_key = {(r.message_id.id, r.recipient_id.id): r for r in reminders}
        reached = defaultdict(dict)
        bounces = defaultdict(lambda: self.env["renewal.reminder"])
        for event in events.sorted(lambda e: (e.time or fields.Datetime.now(), e.id)):
            tracking = event.tracking_email_id
            reminder = by_key.get((tracking.mail_message_id.id, tracking.partner_id.id))
            if not reminder:
                continue
            if event.event_type in TRACKING_BOUNCES:
                reason = (
                    event.error_description
                    or tracking.bounce_description
                    or self.env._("The customer's mail server refused the email.")
                )
                bounces[reason] |= reminder
                continue
            # The first time each step happened.
            reached[reminder].setdefault(TRACKING_REACHED[event.event_type], event.time)
        self._note_engagement(reached)
        if bounces:
            self._mark_bounced(bounces)

    @api.model
    def _note_engagement(self, reached):
        """Record on each reminder how far the customer got with it.

        ``reached`` maps reminders to {step: when}, step among
        ``delivered``, ``opened`` and ``clicked``. Each date is set once (the
        first time); the state moves forward to the furthest step (a click
        is a reading, a reading a delivery), never back.
        """
        now = fields.Datetime.now()
        dates = {
            "delivered": "delivered_date",
            "opened": "opened_date",
            "clicked": "clicked_date",
        }
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder, steps in reached.items():
            values = {}
            state = reminder.state
            for step in ("delivered", "opened", "clicked"):
                if step not in steps:
                    continue
                if not reminder[dates[step]]:
                    values[dates[step]] = steps[step] or now
                new_state = renewal_escalation.engagement_state(state, step)
                if new_state:
                    state = new_state
            if state != reminder.state:
                values["state"] = state
                if not reminder.sent_date:
                    values["sent_date"] = min(
                        (value for value in steps.values() if value), default=now
                    )
            if values:
                updates[tuple(sorted(values.items()))] |= reminder
        for values, group in updates.items():
            group.write(dict(values))
