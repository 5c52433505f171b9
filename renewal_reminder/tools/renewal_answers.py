"""Pure rules of the customers' answers to a reminder.

What an answer form may hold, how long a reminder's links stay valid, and
what each answer does to the renewal. Nothing here imports Odoo: the portal
controller and the reminder model call these functions, and tests call them
without a database.
"""

import re
import unicodedata
from collections import namedtuple
from datetime import timedelta

ANSWER_RENEW = "renew"
ANSWER_MORE_TIME = "more_time"
ANSWER_NOT_RENEW = "not_renew"
ANSWERS = (ANSWER_RENEW, ANSWER_MORE_TIME, ANSWER_NOT_RENEW)

REASON_INVOICE = "invoice_not_received"
REASON_BUDGET = "budget_pending"
REASON_DECISION_MAKER = "decision_maker_changed"
REASON_OTHER = "other"
MORE_TIME_REASONS = (REASON_INVOICE, REASON_BUDGET, REASON_DECISION_MAKER, REASON_OTHER)

# A customer changes their answer at most this many times (each change tells
# the salesperson again).
MAX_ANSWER_CHANGES = 5

# A reminder's links stay valid this long after the end of its cycle (and
# its grace period): a customer who answers a little late still can.
LINK_DAYS_AFTER_END = 30

# What a customer may type, at most.
MAX_NOTE_LENGTH = 2000
MAX_NAME_LENGTH = 128
MAX_EMAIL_LENGTH = 254
MAX_PHONE_LENGTH = 32

# Problems of a submitted form.
ERROR_ANSWER = "answer"
ERROR_REASON = "reason"
ERROR_LOST_REASON = "lost_reason"
ERROR_NOTE = "note"
ERROR_CONTACT_NAME = "contact_name"
ERROR_CONTACT_EMAIL = "contact_email"
ERROR_CONTACT_PHONE = "contact_phone"

_EMAIL_RE = re.compile(
    r"^[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[^@\s<>()\[\],;:\"']+$"
)
_PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{3,}$")

AnswerEffects = namedtuple(
    "AnswerEffects",
    [
        "stops_reminders",  # the cycle's remaining reminders stop
        "renews_now",  # the contract is renewed at once for one more term
        "marks_lost",  # the cycle is lost, with the customer's reason
        "grace_days",  # days the remaining stages move (0: none)
        "activity",  # what the salesperson is asked to do
        "contract_answer",  # the answer the contract shows for its cycle
    ],
)

ACTIVITY_FINALISE = "finalise"
ACTIVITY_SAVE = "save"
ACTIVITY_FOLLOW_UP = "follow_up"
ACTIVITY_STAGED_PAYMENT = "staged_payment"
ACTIVITY_NEW_CONTACT = "new_contact"


def link_expiry(cycle_end, grace_days=0):
    """The first day a reminder's links no longer open (a date)."""
    return cycle_end + timedelta(days=max(grace_days or 0, 0) + LINK_DAYS_AFTER_END + 1)


def clean_text(value, max_length, multiline=False):
    """What a customer typed, safe to store: a string without control
    characters (new lines kept when ``multiline``), trimmed, at most
    ``max_length`` characters. Anything that is not a string gives ""."""
    if not isinstance(value, str):
        return ""
    value = unicodedata.normalize(
        "NFC", value.replace("\r\n", "\n").replace("\r", "\n")
    )
    kept = []
    for char in value:
        if char == "\n" and multiline:
            kept.append(char)
        elif char in "\t\n":
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(char)
    text = "".join(kept).strip()
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text[:max_length].strip()


def parse_answer(form, lost_reason_ids=(), staged_payment_offered=False):
    """The answer a submitted form holds, and what is wrong with it.

    ``form`` maps field names to the strings posted; ``lost_reason_ids`` are
    the ids of the reasons a customer may choose. Returns ``(answer,
    errors)``: ``answer`` a dict of clean values, ``errors`` the problems
    (see ERROR_*), empty when the answer can be recorded.
    """
    errors = []
    answer = form.get("answer")
    if answer not in ANSWERS:
        return {}, [ERROR_ANSWER]
    values = {
        "answer": answer,
        "reason": False,
        "lost_reason_id": False,
        "note": clean_text(form.get("note"), MAX_NOTE_LENGTH, multiline=True),
        "staged_payment": False,
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
    }
    if answer == ANSWER_MORE_TIME:
        reason = form.get("reason")
        if reason not in MORE_TIME_REASONS:
            errors.append(ERROR_REASON)
        else:
            values["reason"] = reason
        values["staged_payment"] = bool(
            staged_payment_offered and form.get("staged_payment") in ("1", "on", "true")
        )
        if reason == REASON_OTHER and not values["note"]:
            errors.append(ERROR_NOTE)
        if reason == REASON_DECISION_MAKER:
            name = clean_text(form.get("contact_name"), MAX_NAME_LENGTH)
            email = clean_text(form.get("contact_email"), MAX_EMAIL_LENGTH).lower()
            phone = clean_text(form.get("contact_phone"), MAX_PHONE_LENGTH)
            if not name:
                errors.append(ERROR_CONTACT_NAME)
            if not email or not _EMAIL_RE.match(email):
                errors.append(ERROR_CONTACT_EMAIL)
            if phone and not _PHONE_RE.match(phone):
                errors.append(ERROR_CONTACT_PHONE)
            values.update(contact_name=name, contact_email=email, contact_phone=phone)
    elif answer == ANSWER_NOT_RENEW:
        raw = form.get("lost_reason_id")
        reason_id = (
            int(raw)
            if isinstance(raw, str) and raw.isascii() and raw.isdigit()
            else None
        )
        if reason_id is None or reason_id not in set(lost_reason_ids):
            errors.append(ERROR_LOST_REASON)
        else:
            values["lost_reason_id"] = reason_id
    return values, errors


def answer_effects(
    answer,
    reason=None,
    self_service=False,
    grace_days=0,
    grace_used=False,
    staged_payment=False,
):
    """What an answer does to the renewal (an ``AnswerEffects``).

    ``self_service`` and ``grace_days`` come from the policy; ``grace_used``
    tells whether this cycle already had its grace period.
    """
    if answer == ANSWER_RENEW:
        return AnswerEffects(
            stops_reminders=True,
            renews_now=bool(self_service),
            marks_lost=False,
            grace_days=0,
            activity=ACTIVITY_FINALISE,
            contract_answer=ANSWER_RENEW,
        )
    if answer == ANSWER_NOT_RENEW:
        return AnswerEffects(
            stops_reminders=True,
            renews_now=False,
            marks_lost=True,
            grace_days=0,
            activity=ACTIVITY_SAVE,
            contract_answer=ANSWER_NOT_RENEW,
        )
    if answer == ANSWER_MORE_TIME:
        if reason == REASON_DECISION_MAKER:
            activity = ACTIVITY_NEW_CONTACT
        elif staged_payment:
            activity = ACTIVITY_STAGED_PAYMENT
        else:
            activity = ACTIVITY_FOLLOW_UP
        return AnswerEffects(
            stops_reminders=False,
            renews_now=False,
            marks_lost=False,
            grace_days=0 if grace_used else max(grace_days or 0, 0),
            activity=activity,
            contract_answer=ANSWER_MORE_TIME,
        )
    raise ValueError(f"unknown answer {answer!r}")


def may_change_answer(current_answer, acted, changes=0):
    """Whether a customer may still change their answer: not once the
    salesperson (or a self-service renewal) acted on it, nor after
    ``MAX_ANSWER_CHANGES`` changes."""
    return bool(current_answer) and not acted and changes < MAX_ANSWER_CHANGES


# Words in the User-Agent of the programs that open links to show a preview
# (messaging apps) or to check them (mail scanners), not people.
LINK_PREVIEW_AGENTS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "facebookexternalhit",
    "whatsapp",
    "skypeuripreview",
    "slack",
    "embedly",
    "curl",
    "python-requests",
    "wget",
)


def is_link_preview(user_agent):
    """Whether a request comes from a program previewing or checking a link
    (its User-Agent says so, or says nothing) rather than from a person."""
    agent = (user_agent or "").lower()
    return not agent.strip() or any(word in agent for word in LINK_PREVIEW_AGENTS)
