"""The mail stack's outcome followed into the reminder log.

Odoo's mail queue tells when an email left or failed, and its bounce
handling when it came back; the reminder of that email follows: sent,
tried again when the mail server could not be reached, failed or bounced.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from ..tools import renewal_limits, renewal_rules
from .renewal_reminder import OUTGOING_STATES, TEMPORARY_FAILURES


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
        now = fields.Datetime.now()
        for reason, group in updates.items():
            group.write(
                {
                    "state": "bounced",
                    "reason_code": "bounced",
                    "reason": reason,
                    "outcome_date": now,
                }
            )
