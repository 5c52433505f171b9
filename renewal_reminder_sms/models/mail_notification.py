from collections import defaultdict

from odoo import fields, models

from ..tools import renewal_sms


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if "notification_status" in vals:
            self._renewal_sync_sms()
        return result

    def _renewal_sync_sms(self):
        """Follow Odoo's SMS outcomes into the reminders, in bulk: sent to
        the provider, delivered, or failed with the provider's reason."""
        sms = self.filtered(lambda n: n.notification_type == "sms")
        if not sms:
            return
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search(
                [
                    ("message_id", "in", sms.mail_message_id.ids),
                    ("channel", "=", "sms"),
                    ("state", "in", ("queued", "sent")),
                ]
            )
        )
        if not reminders:
            return
        by_message = {n.mail_message_id: n for n in sms}
        failure_labels = dict(
            self._fields["failure_type"]._description_selection(self.env)
        )
        now = fields.Datetime.now()
        updates = defaultdict(lambda: self.env["renewal.reminder"])
        for reminder in reminders:
            notification = by_message.get(reminder.message_id)
            state = renewal_sms.sms_outcome(
                reminder.state, notification.notification_status
            )
            if not state:
                continue
            values = {"state": state}
            if state in ("sent", "delivered"):
                values.update(
                    sent_date=reminder.sent_date or now, reason_code=False, reason=False
                )
                if state == "delivered":
                    values.update(delivered_date=reminder.delivered_date or now)
            else:
                values.update(
                    reason_code="sms_provider",
                    reason=notification.failure_reason
                    or failure_labels.get(notification.failure_type)
                    or notification.failure_type
                    or self.env._("The SMS provider did not take the message."),
                    outcome_date=now,
                )
            updates[tuple(sorted(values.items(), key=lambda item: item[0]))] |= reminder
        for values, group in updates.items():
            group.write(dict(values))
        self._renewal_warn_managers(
            renewal_sms.account_failures(
                by_message[reminder.message_id].failure_type
                for reminder in reminders
                if reminder.state == "failed" and reminder.message_id in by_message
            )
        )

    def _renewal_warn_managers(self, failures):
        """Tell the Renewals managers once a day of a failure of the SMS
        account (credit, account, registration), not once per SMS."""
        if not failures:
            return
        params = self.env["ir.config_parameter"].sudo()
        today = fields.Date.to_string(fields.Date.today())
        managers = self.env.ref(
            "renewal_reminder.renewal_reminder_group_manager", raise_if_not_found=False
        )
        partners = managers.sudo().users.partner_id if managers else False
        if not partners:
            return
        labels = dict(self._fields["failure_type"]._description_selection(self.env))
        for failure in failures:
            key = f"renewal_reminder_sms.warned.{failure}"
            if params.get_param(key) == today:
                continue
            params.set_param(key, today)
            self.env.company.partner_id.sudo().message_notify(
                partner_ids=partners.ids,
                subject=self.env._("Renewal SMS are not going out"),
                body=self.env._(
                    "The SMS provider refuses renewal reminders: %(failure)s. "
                    "Check the SMS account in Settings; the reminders concerned "
                    "read Failed in Renewals > Reminders.",
                    failure=labels.get(failure, failure),
                ),
            )
