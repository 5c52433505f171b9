"""The rules of the customers' answers, tested without Odoo."""

import importlib.util
from datetime import date
from pathlib import Path

import pytest

ANSWERS_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_answers.py"
)
_spec = importlib.util.spec_from_file_location("renewal_answers", ANSWERS_PATH)
answers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(answers)


def test_links_outlive_their_cycle_by_a_month_and_the_grace_period():
    end = date(2027, 3, 31)
    assert answers.link_expiry(end) == date(2027, 5, 1)
    assert answers.link_expiry(end, 14) == date(2027, 5, 15)
    assert answers.link_expiry(end, -5) == date(2027, 5, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        (12, ""),
        (["a"], ""),
        ("  Budget  ", "Budget"),
        ("a\x00b\x07c", "abc"),
        ("right\u202eto\u200bleft", "righttoleft"),
        ("line\r\nbreak", "line break"),
        ("tab\there", "tab here"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("e\u0301", "\u00e9"),
    ],
)
def test_typed_text_is_cleaned_not_escaped(raw, expected):
    # Escaping is the page's and the chatter's job; storage keeps the text.
    assert answers.clean_text(raw, 100) == expected


def test_typed_text_is_cut_and_keeps_paragraphs_when_asked():
    assert answers.clean_text("x" * 5000, 2000) == "x" * 2000
    assert answers.clean_text("a\n\n\n\n\nb", 100, multiline=True) == "a\n\nb"
    assert answers.clean_text("a\nb", 100) == "a b"


def test_an_answer_must_be_one_of_three():
    for bad in (None, "", "RENEW", "renew ", "delete", "1"):
        values, errors = answers.parse_answer({"answer": bad})
        assert errors == [answers.ERROR_ANSWER]
        assert values == {}
    values, errors = answers.parse_answer({"answer": "renew", "note": " Thanks "})
    assert errors == []
    assert values["answer"] == "renew"
    assert values["note"] == "Thanks"


def test_more_time_needs_a_reason_and_other_needs_words():
    _values, errors = answers.parse_answer({"answer": "more_time"})
    assert errors == [answers.ERROR_REASON]
    _values, errors = answers.parse_answer({"answer": "more_time", "reason": "x"})
    assert errors == [answers.ERROR_REASON]
    _values, errors = answers.parse_answer({"answer": "more_time", "reason": "other"})
    assert errors == [answers.ERROR_NOTE]
    values, errors = answers.parse_answer(
        {"answer": "more_time", "reason": "budget_pending", "staged_payment": "on"}
    )
    assert errors == []
    # Staged payment only where the policy offers it.
    assert values["staged_payment"] is False
    values, _errors = answers.parse_answer(
        {"answer": "more_time", "reason": "budget_pending", "staged_payment": "on"},
        staged_payment_offered=True,
    )
    assert values["staged_payment"] is True


def test_a_new_decision_maker_needs_a_name_and_a_valid_email():
    form = {"answer": "more_time", "reason": "decision_maker_changed"}
    _values, errors = answers.parse_answer(form)
    assert set(errors) == {answers.ERROR_CONTACT_NAME, answers.ERROR_CONTACT_EMAIL}
    for bad_email in ("nobody", "a@b", "a b@c.de", "<x@y.z>", "x@y.z, w@v.u"):
        _values, errors = answers.parse_answer(
            dict(form, contact_name="Ann", contact_email=bad_email)
        )
        assert errors == [answers.ERROR_CONTACT_EMAIL], bad_email
    _values, errors = answers.parse_answer(
        dict(form, contact_name="Ann", contact_email="a@b.co", contact_phone="call me")
    )
    assert errors == [answers.ERROR_CONTACT_PHONE]
    values, errors = answers.parse_answer(
        dict(
            form,
            contact_name=" Ann <b>Lee</b> ",
            contact_email=" Ann@Example.COM ",
            contact_phone="+61 (7) 5550-1234",
        )
    )
    assert errors == []
    assert values["contact_name"] == "Ann <b>Lee</b>"
    assert values["contact_email"] == "ann@example.com"


def test_not_renewing_takes_a_reason_from_the_list():
    for bad in (None, "", "abc", "-1", "1.5", "99", "²", "١"):
        _values, errors = answers.parse_answer(
            {"answer": "not_renew", "lost_reason_id": bad}, lost_reason_ids=[1, 2]
        )
        assert errors == [answers.ERROR_LOST_REASON], bad
    values, errors = answers.parse_answer(
        {"answer": "not_renew", "lost_reason_id": "2"}, lost_reason_ids=[1, 2]
    )
    assert errors == []
    assert values["lost_reason_id"] == 2


def test_what_each_answer_does():
    renew = answers.answer_effects("renew")
    assert renew.stops_reminders and not renew.renews_now
    assert renew.activity == answers.ACTIVITY_FINALISE
    assert answers.answer_effects("renew", self_service=True).renews_now
    lost = answers.answer_effects("not_renew")
    assert lost.stops_reminders and lost.marks_lost
    assert lost.activity == answers.ACTIVITY_SAVE
    later = answers.answer_effects("more_time", "budget_pending", grace_days=14)
    assert not later.stops_reminders and later.grace_days == 14
    assert later.activity == answers.ACTIVITY_FOLLOW_UP
    # Once per cycle.
    again = answers.answer_effects(
        "more_time", "budget_pending", grace_days=14, grace_used=True
    )
    assert again.grace_days == 0
    assert (
        answers.answer_effects(
            "more_time", "budget_pending", staged_payment=True
        ).activity
        == answers.ACTIVITY_STAGED_PAYMENT
    )
    assert (
        answers.answer_effects("more_time", "decision_maker_changed").activity
        == answers.ACTIVITY_NEW_CONTACT
    )
    with pytest.raises(ValueError):
        answers.answer_effects("delete")


def test_an_answer_changes_until_someone_acts_on_it():
    assert answers.may_change_answer("renew", acted=False)
    assert not answers.may_change_answer("renew", acted=True)
    assert not answers.may_change_answer(False, acted=False)
    assert answers.may_change_answer("renew", False, answers.MAX_ANSWER_CHANGES - 1)
    assert not answers.may_change_answer("renew", False, answers.MAX_ANSWER_CHANGES)
