"""Pure rules of renewal SMS: encoding, segments and delivery outcomes.

Nothing here imports Odoo: the SMS channel and the previews call these
functions, and tests call them without a database.
"""

import re
from collections import namedtuple

# The GSM 03.38 default alphabet, and its extension table (each extension
# character takes two septets).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
GSM7 = "gsm7"
UCS2 = "ucs2"

# Characters of one message, and of each part of a longer one (the rest of
# a part carries the header that glues the parts together).
SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
PART_LIMIT = {GSM7: 153, UCS2: 67}

SmsSize = namedtuple("SmsSize", ["length", "encoding", "segments"])

# Reason codes of a reminder that cannot go out by SMS.
REASON_NO_PHONE = "no_phone"
REASON_INVALID_PHONE = "invalid_phone"
REASON_PHONE_BLACKLISTED = "phone_blacklisted"
REASON_SMS_OPTED_OUT = "sms_opted_out"


def encoding(text):
    """``gsm7`` when every character is in the GSM 7-bit alphabet, else
    ``ucs2`` (one Chinese character makes the whole message UCS-2)."""
    allowed = set(GSM7_BASIC) | set(GSM7_EXTENSION)
    return GSM7 if all(char in allowed for char in text or "") else UCS2


def units(text, kind):
    """How many of the encoding's units ``text`` takes: septets in GSM-7
    (an extension character counts two), UTF-16 code units in UCS-2 (an
    emoji counts two)."""
    text = text or ""
    if kind == GSM7:
        return sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def size(text):
    """The length, encoding and number of segments of an SMS."""
    kind = encoding(text)
    length = units(text, kind)
    if length <= SINGLE_LIMIT[kind]:
        segments = 1 if length else 0
    else:
        segments = -(-length // PART_LIMIT[kind])
    return SmsSize(length, kind, segments)


def number_problem(number, formatted):
    """The reason code an SMS cannot go to ``number``, or None.

    ``formatted`` is the E.164 form of it (False when it is not a valid
    number for its country).
    """
    if not (number or "").strip():
        return REASON_NO_PHONE
    if not formatted:
        return REASON_INVALID_PHONE
    return None


# What an SMS notification status of Odoo's means for its reminder: taken by
# the provider, delivered to the phone, or failed.
SMS_OUTCOME_FOR_STATUS = {
    "pending": "sent",
    "sent": "delivered",
    "exception": "failed",
    "bounce": "failed",
    "canceled": "failed",
}
# How far an SMS reminder got, in order; a failure only ends one not yet
# delivered.
_SMS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "opened": 3, "clicked": 4}


def sms_outcome(state, notification_status):
    """The state a reminder in ``state`` takes for an SMS notification
    status, or None when nothing changes: queued, then sent (the provider
    took it), then delivered (the phone got it); an outcome never goes
    back, and a delivered SMS (or one whose link was followed) does not
    fail."""
    outcome = SMS_OUTCOME_FOR_STATUS.get(notification_status)
    if not outcome or state not in _SMS_RANK:
        return None
    if outcome == "failed":
        return "failed" if _SMS_RANK[state] < _SMS_RANK["delivered"] else None
    return outcome if _SMS_RANK[outcome] > _SMS_RANK[state] else None


# Failures of the SMS account, not of one number: the managers are told once.
ACCOUNT_FAILURES = ("sms_credit", "sms_acc", "sms_registration_needed")


def account_failures(failure_types):
    """The account-level failure types among ``failure_types``, each once,
    in the order of ``ACCOUNT_FAILURES``."""
    found = set(failure_types)
    return [failure for failure in ACCOUNT_FAILURES if failure in found]


# A phone number in a provider's message: a run of at least seven digits,
# with the separators people write in numbers.
_NUMBER_PATTERN = re.compile(r"\+?\d[\d ().\-]{5,}\d")


def mask_numbers(text):
    """``text`` with every phone number in it cut to its last two digits
    (``+61412345678`` reads ``…78``): a provider's error message goes into
    the reminder log, which is no place for a customer's number."""
    if not text:
        return text

    def mask(match):
        digits = re.sub(r"\D", "", match.group(0))
        return f"…{digits[-2:]}"

    return _NUMBER_PATTERN.sub(mask, text)


def provider_match(sent, candidates, not_before):
    """The provider's message that is ``sent``, among ``candidates``, or None.

    ``sent`` is ``(number, body)`` of an SMS whose outcome was lost (the
    worker stopped after handing it over, before it recorded the answer);
    ``candidates`` are the provider's messages to that number, as
    ``(reference, number, body, created)`` with ``created`` an aware
    datetime; ``not_before`` the aware moment the SMS was made. A provider
    may put a prefix before the body (a trial account's notice), never
    after it. The newest match wins.
    """
    number, body = sent
    found = [
        (created, reference)
        for reference, to, text, created in candidates
        if to == number
        and (text or "").endswith(body)
        and body
        and created is not None
        and created >= not_before
    ]
    return max(found)[1] if found else None
