"""Where renewal SMS leave: Odoo IAP (the default) or another provider.

A provider is a key of the ``renewal_reminder_sms.provider`` setting with a
model ``renewal.sms.<key>`` that sends ``sms.sms`` records (``_send``),
reports each outcome to Odoo's SMS trackers, asks what became of what it
took (``_read_statuses``) and looks up the SMS whose answer was lost
(``_reconcile``); Twilio's is ``renewal.sms.twilio``. Odoo IAP keeps Odoo's
own sending. This model claims the SMS and settles them, whatever the
provider.
"""

import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import renewal_sms

PROVIDER_PARAM = "renewal_reminder_sms.provider"
# An SMS handed to the provider whose answer was lost (the worker stopped,
# the connection broke after the request left) is looked up at the
# provider after this long, instead of being sent again.
UNKNOWN_OUTCOME_AFTER = timedelta(minutes=10)


class RenewalSmsProvider(models.AbstractModel):
    _name = "renewal.sms.provider"
    _description = "Renewal SMS Provider"

    @api.model
    def _provider(self):
        return self.env["ir.config_parameter"].sudo().get_param(PROVIDER_PARAM) or "iap"

    @api.model
    def _provider_model(self):
        """The model of the configured provider (not IAP)."""
        return self.env[f"renewal.sms.{self._provider()}"]

    @api.model
    def _send_batch(self, sms_records):
        """Send ``sms_records`` with the configured provider (not IAP).

        Exactly once: the SMS are claimed (``process``) before anything
        leaves, so that neither Odoo's queue nor another worker takes them
        again; run by the queue's scheduled action, the claim and every
        answer of the provider are committed at once, so that a worker
        stopped in the middle of a batch leaves each SMS either sent with
        its provider's reference, or claimed and looked up later at the
        provider (see ``_reconcile``), never sent twice.
        """
        claimed = self._claim(sms_records)
        if claimed:
            self._provider_model()._send(claimed)

    @api.model
    def _claim(self, sms_records):
        """Lock the SMS still waiting among ``sms_records`` (skipping those
        another worker holds) and mark them ``process``."""
        if not sms_records:
            return sms_records
        sms_records.flush_recordset(["state"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM sms_sms WHERE id IN %s AND state = 'outgoing' "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                tuple(sms_records.ids),
            )
        )
        claimed = sms_records.browse([row[0] for row in self.env.cr.fetchall()])
        claimed.write({"state": "process"})
        claimed.flush_recordset(["state"])
        self._commit_progress()
        return claimed

    @api.model
    def _commit_progress(self):
        """Commit what the provider took, when Odoo's SMS queue runs the
        sending (``sms.sms.send(auto_commit=True)``), never in a test."""
        if self.env.context.get("renewal_sms_auto_commit") and not getattr(
            threading.current_thread(), "testing", False
        ):
            # What left must be on record before the next SMS leaves, as
            # Odoo's SMS queue commits its own batches.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _cron_read_statuses(self):
        """Ask the provider what became of the renewal SMS it took, and
        settle those whose answer was lost."""
        provider = self._provider()
        if provider == "iap":
            return  # IAP reports to Odoo's own /sms/status route
        self._reconcile()
        trackers = (
            self.env["sms.tracker"]
            .sudo()
            .search(
                [
                    ("renewal_provider_ref", "!=", False),
                    ("mail_notification_id.notification_status", "=", "pending"),
                    # A provider that never reports stops being asked.
                    ("create_date", ">=", fields.Datetime.now() - timedelta(days=7)),
                ],
                order="id desc",
                limit=500,
            )
        )
        if trackers:
            self._provider_model()._read_statuses(trackers)

    @api.model
    def _reconcile(self):
        """Settle the renewal SMS claimed long ago and never answered for:
        the provider took them (they get its reference and go on as sent),
        or it did not (they wait in Odoo's queue again)."""
        # SMS a sending worker holds right now are left to it.
        self.env["sms.sms"].flush_model(["state"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM sms_sms WHERE state = 'process' AND write_date < %s "
                "ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
                fields.Datetime.now() - UNKNOWN_OUTCOME_AFTER,
            )
        )
        stuck = (
            self.env["sms.sms"]
            .sudo()
            .browse([row[0] for row in self.env.cr.fetchall()])
            ._renewal_only()
        )
        if stuck:
            self._provider_model()._reconcile(stuck)

    @api.model
    def _still_claimed(self, sms):
        """Lock ``sms`` until its outcome is committed and tell whether it is
        still ours to send: a long batch's later SMS may have been settled
        by the lookup of lost outcomes meanwhile."""
        sms.flush_recordset(["state"])
        self.env.cr.execute(
            SQL("SELECT state FROM sms_sms WHERE id = %s FOR UPDATE", sms.id)
        )
        row = self.env.cr.fetchone()
        sms.invalidate_recordset(["state"])
        return bool(row) and row[0] == "process"

    @api.model
    def _taken(self, sms, reference):
        """The provider took ``sms`` as ``reference``: sent, its status read
        later."""
        sms.sms_tracker_id.renewal_provider_ref = reference
        sms._update_sms_state_and_trackers("pending")
        sms.to_delete = True

    @api.model
    def _fail(self, sms, failure_type, reason=False):
        """Mark ``sms`` failed: the SMS with a failure type its own field
        knows, its notification with the provider's (its message without
        the phone numbers in it)."""
        known = dict(sms._fields["failure_type"].selection)
        sms.write(
            {
                "state": "error",
                "failure_type": failure_type if failure_type in known else "sms_server",
            }
        )
        sms.sms_tracker_id._action_update_from_sms_state(
            "error",
            failure_type=failure_type,
            failure_reason=renewal_sms.mask_numbers(reason) or False,
        )

    @api.model
    def _honour_stop(self, sms):
        """The customer replied STOP to the provider: no more renewal SMS,
        recorded like the opt-out link."""
        reminder = (
            self.env["renewal.reminder"]
            .sudo()
            .search([("message_id", "=", sms.mail_message_id.id)], limit=1)
        )
        if reminder:
            self.env["renewal.answer"].sudo()._set_consent(
                reminder, True, "provider", field="renewal_sms_opt_out", channel="sms"
            )

    @api.model
    def _senders(self, sms_records):
        """{sms id: the sender name its contract's company registered}, for
        the renewal SMS among ``sms_records`` whose company has one."""
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search([("message_id", "in", sms_records.mail_message_id.ids)])
        )
        names = {
            reminder.message_id.id: reminder.contract_id.company_id.renewal_sms_sender
            for reminder in reminders
        }
        return {
            sms.id: names[sms.mail_message_id.id]
            for sms in sms_records
            if names.get(sms.mail_message_id.id)
        }
