"""Where renewal SMS leave: Odoo IAP (the default) or another provider.

A provider is a key of the ``renewal_reminder_sms.provider`` setting with a
``_send_batch_<key>`` method (send ``sms.sms`` records, report each outcome
to Odoo's SMS trackers) and a ``_read_statuses_<key>`` method (ask the
provider what became of what it took). Odoo IAP keeps Odoo's own sending;
Twilio's Messages API is implemented here, for businesses that cannot use
IAP. Credentials live in system parameters, never in code or logs.
"""

import logging
from datetime import timedelta

import requests

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

PROVIDER_PARAM = "renewal_reminder_sms.provider"
TWILIO_URL_PARAM = "renewal_reminder_sms.twilio_api_url"
TWILIO_SID_PARAM = "renewal_reminder_sms.twilio_account_sid"
TWILIO_TOKEN_PARAM = "renewal_reminder_sms.twilio_auth_token"
TWILIO_FROM_PARAM = "renewal_reminder_sms.twilio_from"
TWILIO_DEFAULT_URL = "https://api.twilio.com"
TIMEOUT = 15

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
        """Send ``sms_records`` with the configured provider (not IAP)."""
        getattr(self, f"_send_batch_{self._provider()}")(sms_records)

    @api.model
    def _cron_read_statuses(self):
        """Ask the provider what became of the renewal SMS it took."""
        provider = self._provider()
        if provider == "iap":
            return  # IAP reports to Odoo's own /sms/status route
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
        for sms in sms_records:
            sender_name = sms.mail_message_id.record_company_id.renewal_sms_sender
            data = {"To": sms.number, "From": sender_name or sender, "Body": sms.body}
            try:
                response = session.post(url, data=data, timeout=TIMEOUT)
                payload = response.json() if response.content else {}
            except (requests.RequestException, ValueError) as error:
                _logger.info(
                    "Renewal SMS %s: provider unreachable (%s)",
                    sms.id,
                    type(error).__name__,
                )
                self._fail(sms, "sms_server")
                continue
            if not isinstance(payload, dict):
                payload = {}
            status = payload.get("status")
            if (
                response.status_code in (200, 201)
                and payload.get("sid")
                and status not in TWILIO_FAILED
            ):
                sms.sms_tracker_id.renewal_provider_ref = payload.get("sid")
                sms._update_sms_state_and_trackers("pending")
                sms.to_delete = True
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
        sms_records.mail_message_id._notify_message_notification_update()

    @api.model
    def _fail(self, sms, failure_type, reason=False):
        """Mark ``sms`` failed: the SMS with a failure type its own field
        knows, its notification with the provider's."""
        known = dict(sms._fields["failure_type"].selection)
        sms.write(
            {
                "state": "error",
                "failure_type": failure_type if failure_type in known else "sms_server",
            }
        )
        sms.sms_tracker_id._action_update_from_sms_state(
            "error", failure_type=failure_type, failure_reason=reason or False
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
