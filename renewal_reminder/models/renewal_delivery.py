"""The mail stack's outcome followed into the reminder log.

Odoo's mail queue tells when an email left or failed, and its bounce
handling when it came back; the reminder of that email follows: sent,
tried again when the mail server could not be reached, failed or bounced.
"""

from collections import defaultdict

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
        to_retry = self.env["mail.mail"].sudo()
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
            if retry:
                values = {
                    "delivery_attempts": attempts,
                    "reason_code": "delivery",
                    "reason": self.env._(
                        "Attempt %(attempt)s of %(max)s failed, the email will be "
                        "sent again: %(failure)s",
                        attempt=attempts,
                        max=max_attempts,
                        failure=failure,
                    ),
                }
                to_retry |= reminder.mail_id
            else:
                values = {
                    "state": "failed",
                    "delivery_attempts": attempts,
                    "reason_code": "delivery",
                    "reason": failure,
                    "outcome_date": now,
                }
            updates[tuple(sorted(values.items()))] |= reminder
        for values, group in updates.items():
            group.write(dict(values))
        # Back in Odoo's mail queue, which sends it again on its next run.
        to_retry.write({"state": "outgoing"})

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
