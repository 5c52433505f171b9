"""Renewal SMS through Twilio's Messages API, for businesses that cannot use
Odoo IAP: sending (form-encoded POST, HTTP Basic authentication with the
account SID and auth token), reading the delivery statuses, and looking up
an SMS whose answer was lost. Credentials live in system parameters, never
in code or logs.
"""

import logging
from datetime import UTC

import requests

from odoo import api, models

from ..tools import renewal_sms
from ..tools import renewal_sms_twilio as twilio

_logger = logging.getLogger(__name__)

URL_PARAM = "renewal_reminder_sms.twilio_api_url"
SID_PARAM = "renewal_reminder_sms.twilio_account_sid"
TOKEN_PARAM = "renewal_reminder_sms.twilio_auth_token"
FROM_PARAM = "renewal_reminder_sms.twilio_from"
TIMEOUT = 15


class RenewalSmsTwilio(models.AbstractModel):
    _name = "renewal.sms.twilio"
    _description = "Renewal SMS through Twilio"

    @api.model
    def _session(self):
        """``(base URL, account SID, sender, session)``, the session
        authenticated with the account's credentials."""
        params = self.env["ir.config_parameter"].sudo()
        sid = params.get_param(SID_PARAM) or ""
        session = requests.Session()
        session.auth = (sid, params.get_param(TOKEN_PARAM) or "")
        return (
            (params.get_param(URL_PARAM) or twilio.DEFAULT_URL).rstrip("/"),
            sid,
            params.get_param(FROM_PARAM) or "",
            session,
        )

    @api.model
    def _send(self, sms_records):
        """POST each claimed SMS to Twilio's Messages resource, each answer
        recorded (and committed by the queue) before the next SMS leaves."""
        Provider = self.env["renewal.sms.provider"]
        base, sid, sender, session = self._session()
        url = twilio.messages_url(base, sid)
        senders = Provider._senders(sms_records)
        for sms in sms_records:
            if not Provider._still_claimed(sms):
                continue
            data = {
                "To": sms.number,
                "From": senders.get(sms.id) or sender,
                "Body": sms.body,
            }
            try:
                response = session.post(url, data=data, timeout=TIMEOUT)
            except requests.RequestException as error:
                _logger.info(
                    "Renewal SMS %s: provider unreachable (%s)",
                    sms.id,
                    type(error).__name__,
                )
                if twilio.never_left(error):
                    Provider._fail(sms, "sms_server")
                    Provider._commit_progress()
                # Else the request may have reached Twilio: the SMS stays
                # claimed and is looked up there later, not sent again.
                continue
            payload = twilio.payload_of(response)
            outcome = twilio.sending_outcome(response.status_code, payload)
            if outcome == twilio.TAKEN:
                Provider._taken(sms, payload["sid"])
            elif outcome == twilio.UNKNOWN:
                _logger.info(
                    "Renewal SMS %s: provider error HTTP %s, outcome unknown",
                    sms.id,
                    response.status_code,
                )
                continue
            else:
                failure_type, message = twilio.failure(payload)
                _logger.info(
                    "Renewal SMS %s refused by the provider: HTTP %s, %s",
                    sms.id,
                    response.status_code,
                    failure_type,
                )
                Provider._fail(sms, failure_type, message)
                if payload.get("code") == twilio.STOPPED:
                    Provider._honour_stop(sms)
            Provider._commit_progress()
        sms_records.mail_message_id._notify_message_notification_update()

    @api.model
    def _read_statuses(self, trackers):
        """GET each message's status from Twilio and report it to Odoo."""
        base, sid, _sender, session = self._session()
        for tracker in trackers:
            url = twilio.message_url(base, sid, tracker.renewal_provider_ref)
            try:
                payload = session.get(url, timeout=TIMEOUT).json()
            except (requests.RequestException, ValueError) as error:
                _logger.info("Renewal SMS status unreadable (%s)", type(error).__name__)
                continue
            status = payload.get("status") if isinstance(payload, dict) else None
            if status in twilio.DELIVERED:
                tracker._action_update_from_sms_state("sent")
            elif status in twilio.FAILED:
                failure_type, message = twilio.failure(payload)
                tracker._action_update_from_sms_state(
                    "error", failure_type=failure_type, failure_reason=message
                )

    @api.model
    def _reconcile(self, sms_records):
        """Look each SMS up among Twilio's messages to its number (the
        Messages list, filtered by ``To``): found, it is taken; not found,
        it never reached Twilio and waits in the queue again."""
        Provider = self.env["renewal.sms.provider"]
        base, sid, _sender, session = self._session()
        url = twilio.messages_url(base, sid)
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
            # Twilio dates have whole seconds.
            made = sms.create_date.replace(microsecond=0, tzinfo=UTC)
            reference = renewal_sms.provider_match(
                (sms.number, sms.body), twilio.listed_messages(payload), made
            )
            if reference:
                _logger.info("Renewal SMS %s: found at the provider", sms.id)
                Provider._taken(sms, reference)
            else:
                back |= sms
        if back:
            _logger.info("Renewal SMS %s: not at the provider, queued again", back.ids)
            back.write({"state": "outgoing"})
        sms_records.mail_message_id._notify_message_notification_update()
