"""Where renewal SMS leave: Odoo IAP (the default) or another provider.

A provider is a key of the ``renewal_reminder_sms.provider`` setting with a
``_send_batch_<key>`` method (send ``sms.sms`` records, report each outcome
to Odoo's SMS trackers) and a ``_read_statuses_<key>`` method (ask the
provider what became of what it took). Odoo IAP keeps Odoo's own sending;
Twilio's Messages API is implemented here, for businesses that cannot use
IAP. Credentials live in system parameters, never in code or logs.
"""

import logging
import threading
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import NewConnectionError

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import renewal_sms

_logger = logging.getLogger(__name__)

PROVIDER_PARAM = "renewal_reminder_sms.provider"
TWILIO_URL_PARAM = "renewal_reminder_sms.twilio_api_url"
TWILIO_SID_PARAM = "renewal_reminder_sms.twilio_account_sid"
TWILIO_TOKEN_PARAM = "renewal_reminder_sms.twilio_auth_token"
TWILIO_FROM_PARAM = "renewal_reminder_sms.twilio_from"
TWILIO_DEFAULT_URL = "https://api.twilio.com"
TIMEOUT = 15
# An SMS handed to the provider whose answer was lost (the worker stopped,
# the connection broke after the request left) is looked up at the
# provider after this long, instead of being sent again.
UNKNOWN_OUTCOME_AFTER = timedelta(minutes=10)

# Twilio's statuses: still on its way, delivered, or not.
TWILIO_PENDING = {"accepted", "scheduled", "queued", "sending", "sent"}
TWILIO_DELIVERED = {"delivered", "read"}
TWILIO_FAILED = {"failed", "undelivered", "canceled"}
# The recipient replied STOP to the sender: honoured as an SMS opt-out.
TWILIO_STOPPED = 21610
# Twilio error codes, as Odoo's failure types.
TWILIO_FAILURES = {
    20003: "sms_acc",  # authentication failed
    21211: "sms_number_format",  # invalid "To" number
    21408: "sms_country_not_supported",
    21610: "sms_not_allowed",  # the number replied STOP
    21612: "sms_not_allowed",
    21614: "sms_number_format",  # not a mobile number
    30003: "sms_not_delivered",  # unreachable handset
    30004: "sms_rejected",  # message blocked
    30005: "sms_invalid_destination",  # unknown handset
    30006: "sms_invalid_destination",  # landline
    30007: "sms_rejected",  # carrier filtering
    30008: "sms_not_delivered",
}


class RenewalSmsProvider(models.AbstractModel):
    _name = "renewal.sms.provider"
    _description = "Renewal SMS Provider"

    @api.model
    def _provider(self):
        return self.env["ir.config_parameter"].sudo().get_param(PROVIDER_PARAM) or "iap"

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
            getattr(self, f"_send_batch_{self._provider()}")(claimed)

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
            getattr(self, f"_read_statuses_{provider}")(trackers)

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
            getattr(self, f"_reconcile_{self._provider()}")(stuck)

    # ------------------------------------------------------------------
    # Twilio
    # ------------------------------------------------------------------

    @api.model
    def _twilio(self):
        """The base URL and the credentials (account SID, auth token, sender)."""
        params = self.env["ir.config_parameter"].sudo()
        return (
            (params.get_param(TWILIO_URL_PARAM) or TWILIO_DEFAULT_URL).rstrip("/"),
            params.get_param(TWILIO_SID_PARAM) or "",
            params.get_param(TWILIO_TOKEN_PARAM) or "",
            params.get_param(TWILIO_FROM_PARAM) or "",
        )

    @api.model
    def _twilio_failure(self, payload):
        code = payload.get("code") or payload.get("error_code")
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = None
        return TWILIO_FAILURES.get(code, "sms_server"), payload.get(
            "message"
        ) or payload.get("error_message")

    @api.model
    def _send_batch_twilio(self, sms_records):
        """POST each SMS to Twilio's Messages resource (form-encoded, HTTP
        Basic authentication with the account SID and auth token)."""
        base, sid, token, sender = self._twilio()
        url = f"{base}/2010-04-01/Accounts/{sid}/Messages.json"
        session = requests.Session()
        session.auth = (sid, token)
        senders = self._senders(sms_records)
        for sms in sms_records:
            if not self._still_claimed(sms):
                continue
            sender_name = senders.get(sms.id)
            data = {"To": sms.number, "From": sender_name or sender, "Body": sms.body}
            try:
                response = session.post(url, data=data, timeout=TIMEOUT)
            except requests.RequestException as error:
                _logger.info(
                    "Renewal SMS %s: provider unreachable (%s)",
                    sms.id,
                    type(error).__name__,
                )
                if _never_left(error):
                    self._fail(sms, "sms_server")
                    self._commit_progress()
                # Else the request may have reached Twilio: the SMS stays
                # claimed and is looked up there later, not sent again.
                continue
            try:
                payload = response.json() if response.content else {}
            except ValueError:
                payload = {}
            if not isinstance(payload, dict):
                payload = {}
            status = payload.get("status")
            if (
                response.status_code in (200, 201)
                and payload.get("sid")
                and status not in TWILIO_FAILED
            ):
                self._taken(sms, payload["sid"])
            elif response.status_code >= 500 and not payload.get("code"):
                # The provider broke while taking it: looked up later.
                _logger.info(
                    "Renewal SMS %s: provider error HTTP %s, outcome unknown",
                    sms.id,
                    response.status_code,
                )
                continue
            else:
                failure_type, message = self._twilio_failure(payload)
                _logger.info(
                    "Renewal SMS %s refused by the provider: HTTP %s, %s",
                    sms.id,
                    response.status_code,
                    failure_type,
                )
                self._fail(sms, failure_type, message)
                if payload.get("code") == TWILIO_STOPPED:
                    self._honour_stop(sms)
            self._commit_progress()
        sms_records.mail_message_id._notify_message_notification_update()

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

    @api.model
    def _read_statuses_twilio(self, trackers):
        """GET each message's status from Twilio and report it to Odoo."""
        base, sid, token, _sender = self._twilio()
        session = requests.Session()
        session.auth = (sid, token)
        for tracker in trackers:
            url = (
                f"{base}/2010-04-01/Accounts/{sid}/Messages/"
                f"{tracker.renewal_provider_ref}.json"
            )
            try:
                response = session.get(url, timeout=TIMEOUT)
                payload = response.json()
            except (requests.RequestException, ValueError) as error:
                _logger.info("Renewal SMS status unreadable (%s)", type(error).__name__)
                continue
            status = payload.get("status") if isinstance(payload, dict) else None
            if status in TWILIO_DELIVERED:
                tracker._action_update_from_sms_state("sent")
            elif status in TWILIO_FAILED:
                failure_type, message = self._twilio_failure(payload)
                tracker._action_update_from_sms_state(
                    "error", failure_type=failure_type, failure_reason=message
                )

    @api.model
    def _reconcile_twilio(self, sms_records):
        """Look each SMS up among Twilio's messages to its number (the
        Messages list, filtered by ``To``): found, it is taken; not found,
        it never reached Twilio and waits in the queue again."""
        base, sid, token, _sender = self._twilio()
        url = f"{base}/2010-04-01/Accounts/{sid}/Messages.json"
        session = requests.Session()
        session.auth = (sid, token)
        back = sms_records.browse()
        for sms in sms_records:
            try:
                response = session.get(
                    url, params={"To": sms.number, "PageSize": 50}, timeout=TIMEOUT
                )
                payload = response.json()
            except (requests.RequestException, ValueError) as error:
                _logger.info(
                    "Renewal SMS %s: lookup failed (%s)", sms.id, type(error).__name__
                )
                continue
            if response.status_code != 200 or not isinstance(payload, dict):
                continue
            candidates = [
                (
                    message.get("sid"),
                    message.get("to"),
                    message.get("body"),
                    _twilio_date(message.get("date_created")),
                )
                for message in payload.get("messages") or []
                if isinstance(message, dict)
            ]
            # Twilio dates have whole seconds.
            made = sms.create_date.replace(microsecond=0, tzinfo=UTC)
            reference = renewal_sms.provider_match(
                (sms.number, sms.body), candidates, made
            )
            if reference:
                _logger.info("Renewal SMS %s: found at the provider", sms.id)
                self._taken(sms, reference)
            else:
                back |= sms
        if back:
            _logger.info("Renewal SMS %s: not at the provider, queued again", back.ids)
            back.write({"state": "outgoing"})
        sms_records.mail_message_id._notify_message_notification_update()


def _never_left(error):
    """Whether a request failed before it reached the provider (no
    connection was made), so that the SMS surely was not taken."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError):
        reason = error.args[0] if error.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, NewConnectionError)
    return False


def _twilio_date(value):
    """Twilio's RFC 2822 date as an aware datetime, or None."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
