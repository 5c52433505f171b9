"""Twilio's Messages API as renewal SMS read it: statuses, error codes and
what an answer to a sending means.

Nothing here imports Odoo; ``renewal.sms.twilio`` makes the requests.
"""

from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import NewConnectionError

DEFAULT_URL = "https://api.twilio.com"

# Twilio's statuses: still on its way, delivered, or not.
PENDING = {"accepted", "scheduled", "queued", "sending", "sent"}
DELIVERED = {"delivered", "read"}
FAILED = {"failed", "undelivered", "canceled"}
# The recipient replied STOP to the sender: honoured as an SMS opt-out.
STOPPED = 21610
# Twilio error codes, as Odoo's failure types.
FAILURES = {
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

# What became of an SMS handed to Twilio.
TAKEN = "taken"
REFUSED = "refused"
UNKNOWN = "unknown"


def messages_url(base, sid):
    return f"{base}/2010-04-01/Accounts/{sid}/Messages.json"


def message_url(base, sid, reference):
    return f"{base}/2010-04-01/Accounts/{sid}/Messages/{reference}.json"


def failure(payload):
    """``(failure type, Twilio's message)`` of an error or failed message."""
    code = payload.get("code") or payload.get("error_code")
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = None
    return FAILURES.get(code, "sms_server"), payload.get("message") or payload.get(
        "error_message"
    )


def payload_of(response):
    """The JSON object of a response, or ``{}``."""
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = {}
    return payload if isinstance(payload, dict) else {}


def sending_outcome(status_code, payload):
    """What an answer to a sending means: ``TAKEN`` (``payload["sid"]`` is
    its reference), ``UNKNOWN`` (Twilio broke while taking it: looked up
    later) or ``REFUSED``."""
    if (
        status_code in (200, 201)
        and payload.get("sid")
        and payload.get("status") not in FAILED
    ):
        return TAKEN
    if status_code >= 500 and not payload.get("code"):
        return UNKNOWN
    return REFUSED


def never_left(error):
    """Whether a request failed before it reached Twilio (no connection was
    made), so that the SMS surely was not taken."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError):
        reason = error.args[0] if error.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, NewConnectionError)
    return False


def parse_date(value):
    """Twilio's RFC 2822 date as an aware datetime, or None."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def listed_messages(payload):
    """The Messages list's entries as ``renewal_sms.provider_match`` reads
    candidates: ``(reference, number, body, created)``."""
    return [
        (
            message.get("sid"),
            message.get("to"),
            message.get("body"),
            parse_date(message.get("date_created")),
        )
        for message in payload.get("messages") or []
        if isinstance(message, dict)
    ]
