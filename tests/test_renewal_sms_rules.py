"""The SMS rules, tested without Odoo."""

import importlib.util
from datetime import UTC
from pathlib import Path

import pytest

SMS_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder_sms"
    / "tools"
    / "renewal_sms.py"
)
_spec = importlib.util.spec_from_file_location("renewal_sms", SMS_PATH)
sms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sms)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (0, "gsm7", 0)),
        ("Hello", (5, "gsm7", 1)),
        ("a" * 160, (160, "gsm7", 1)),
        ("a" * 161, (161, "gsm7", 2)),
        ("a" * 306, (306, "gsm7", 2)),
        ("a" * 307, (307, "gsm7", 3)),
        ("€" * 80, (160, "gsm7", 1)),
        ("€" * 81, (162, "gsm7", 2)),
        ("您好", (2, "ucs2", 1)),
        ("a" * 69 + "您", (70, "ucs2", 1)),
        ("a" * 70 + "您", (71, "ucs2", 2)),
        ("您" * 135, (135, "ucs2", 3)),
        ("😀" * 35, (70, "ucs2", 1)),
        ("Renew now: café", (15, "gsm7", 1)),
        ("Prix: 10 ç", (10, "ucs2", 1)),
    ],
)
def test_sizes_follow_gsm_and_ucs2_rules(text, expected):
    assert tuple(sms.size(text)) == expected


def test_one_chinese_character_makes_the_whole_message_ucs2():
    text = "Your contract ends on 03/31/2027. Renew: https://x.co/r/abc 续"
    assert sms.encoding(text) == "ucs2"
    assert sms.encoding(text[:-2]) == "gsm7"


def test_number_problems():
    assert sms.number_problem("", False) == sms.REASON_NO_PHONE
    assert sms.number_problem("  ", False) == sms.REASON_NO_PHONE
    assert sms.number_problem("12", False) == sms.REASON_INVALID_PHONE
    assert sms.number_problem("+61 7 5550 1234", "+61755501234") is None


def test_sms_outcomes_move_forward_only():
    assert sms.sms_outcome("queued", "pending") == "sent"
    assert sms.sms_outcome("queued", "sent") == "delivered"
    assert sms.sms_outcome("sent", "sent") == "delivered"
    assert sms.sms_outcome("sent", "pending") is None
    assert sms.sms_outcome("delivered", "pending") is None
    assert sms.sms_outcome("sent", "exception") == "failed"
    assert sms.sms_outcome("queued", "canceled") == "failed"
    # A delivered SMS (or one whose link was followed) does not fail afterwards.
    assert sms.sms_outcome("delivered", "exception") is None
    assert sms.sms_outcome("clicked", "sent") is None
    assert sms.sms_outcome("clicked", "exception") is None
    assert sms.sms_outcome("skipped", "sent") is None
    assert sms.sms_outcome("queued", "ready") is None


def test_account_failures_are_named_once():
    assert sms.account_failures(["sms_credit", "sms_server", "sms_credit"]) == [
        "sms_credit"
    ]
    assert sms.account_failures(["sms_registration_needed", "sms_acc"]) == [
        "sms_acc",
        "sms_registration_needed",
    ]
    assert sms.account_failures([None, "sms_number_format"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", ""),
        (
            "The 'To' number +61412345678 is not valid",
            "The 'To' number …78 is not valid",
        ),
        ("Unreachable: +1 (415) 555-0134.", "Unreachable: …34."),
        ("Error 21610 on message SM0123", "Error 21610 on message SM0123"),
        ("numbers 0412 345 678 and 0412345699", "numbers …78 and …99"),
    ],
)
def test_a_providers_message_never_keeps_a_phone_number(text, expected):
    assert sms.mask_numbers(text) == expected


def test_a_lost_outcome_is_found_among_the_providers_messages():
    from datetime import datetime, timedelta

    made = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    sent = ("+61412345678", "Your contract ends soon\nAnswer: https://x/r/abc")
    candidates = [
        # Same text, but older than the SMS: an earlier cycle's.
        ("SM1", "+61412345678", sent[1], made - timedelta(days=30)),
        # Another number.
        ("SM2", "+61412345600", sent[1], made + timedelta(seconds=5)),
        # A trial account's prefix: still ours.
        ("SM3", "+61412345678", "Sent from a trial account - " + sent[1], made),
        # Another text.
        ("SM4", "+61412345678", "Something else", made + timedelta(seconds=9)),
    ]
    assert sms.provider_match(sent, candidates, made) == "SM3"
    assert sms.provider_match(sent, candidates[:2], made) is None
    assert sms.provider_match(("+61412345678", ""), candidates, made) is None
