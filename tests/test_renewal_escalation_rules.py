"""The escalation rules, tested without Odoo."""

import importlib.util
from datetime import date, datetime, timedelta
from pathlib import Path

ESCALATION_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_escalation.py"
)
_spec = importlib.util.spec_from_file_location("renewal_escalation", ESCALATION_PATH)
rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rules)

SENT = datetime(2027, 3, 1, 10, 0)
DELAYS = rules.Delays(silence=72, read=48, unread=24)


def facts(**values):
    base = {
        "state": "sent",
        "channel": "email",
        "sent_at": SENT,
        "read_at": None,
        "answered": False,
        "escalated": False,
        "followed_up": False,
        "fallen_back": False,
        "fallback_channel": "sms",
    }
    base.update(values)
    return rules.ReminderFacts(**base)


def at(hours):
    return SENT + timedelta(hours=hours)


def test_engagement_moves_forward_only():
    assert rules.engagement_state("sent", "delivered") == "delivered"
    assert rules.engagement_state("queued", "opened") == "opened"
    assert rules.engagement_state("opened", "clicked") == "clicked"
    assert rules.engagement_state("clicked", "opened") is None
    assert rules.engagement_state("opened", "delivered") is None
    assert rules.engagement_state("sent", "sent") is None
    # A closed reminder stays closed.
    for state in ("bounced", "failed", "cancelled", "skipped", "review"):
        assert rules.engagement_state(state, "clicked") is None
    assert rules.engagement_state("sent", "answered") is None


def test_an_unread_email_falls_back_after_its_delay_once():
    assert rules.escalation_steps(facts(), at(23.9), DELAYS) == []
    assert rules.escalation_steps(facts(), at(24), DELAYS) == ["fallback"]
    assert rules.escalation_steps(facts(fallen_back=True), at(30), DELAYS) == []
    # Read meanwhile, an SMS itself, or no fallback channel: no fallback.
    opened = facts(state="opened", read_at=at(2))
    assert rules.escalation_steps(opened, at(30), DELAYS) == []
    assert rules.escalation_steps(facts(channel="sms"), at(30), DELAYS) == []
    assert rules.escalation_steps(facts(fallback_channel=None), at(30), DELAYS) == []
    # Delivered is not read.
    assert rules.escalation_steps(facts(state="delivered"), at(30), DELAYS) == [
        "fallback"
    ]


def test_a_reading_left_unanswered_gets_a_follow_up_once():
    read = facts(state="opened", read_at=at(5))
    assert rules.escalation_steps(read, at(52.9), DELAYS) == []
    assert rules.escalation_steps(read, at(53), DELAYS) == ["follow_up"]
    assert rules.escalation_steps(read._replace(followed_up=True), at(60), DELAYS) == []


def test_silence_escalates_after_its_delay_once():
    silent = facts(fallen_back=True)
    assert rules.escalation_steps(silent, at(71.9), DELAYS) == []
    assert rules.escalation_steps(silent, at(72), DELAYS) == ["escalate"]
    assert rules.escalation_steps(silent._replace(escalated=True), at(90), DELAYS) == []
    # All three at once, in order, for a pass that ran late.
    late = facts(state="clicked", read_at=at(1), channel="email")
    assert rules.escalation_steps(late, at(100), DELAYS) == ["follow_up", "escalate"]


def test_an_answer_or_a_reminder_that_did_not_leave_stops_everything():
    assert rules.escalation_steps(facts(answered=True), at(200), DELAYS) == []
    for state in ("queued", "bounced", "failed", "review", "scheduled"):
        assert rules.escalation_steps(facts(state=state), at(200), DELAYS) == []
    assert rules.escalation_steps(facts(sent_at=None), at(200), DELAYS) == []
    assert rules.earliest_step_at(facts(answered=True), DELAYS) is None


def test_the_next_check_is_the_earliest_step_ahead():
    assert rules.earliest_step_at(facts(), DELAYS) == at(24)
    assert rules.earliest_step_at(facts(fallen_back=True), DELAYS) == at(72)
    read = facts(state="opened", read_at=at(30), fallen_back=True)
    assert rules.earliest_step_at(read, DELAYS) == at(72)
    read = facts(state="opened", read_at=at(10))
    assert rules.earliest_step_at(read, DELAYS) == at(58)
    done = facts(escalated=True, followed_up=True, fallen_back=True)
    assert rules.earliest_step_at(done, DELAYS) is None
    # Every step the pass takes makes the next check later: never stuck.
    current = facts(state="opened", read_at=at(1))
    for _round in range(5):
        due = rules.earliest_step_at(current, DELAYS)
        if due is None:
            break
        steps = rules.escalation_steps(current, due, DELAYS)
        assert steps, "a due check has a step to take"
        current = current._replace(
            escalated=current.escalated or "escalate" in steps,
            followed_up=current.followed_up or "follow_up" in steps,
            fallen_back=current.fallen_back or "fallback" in steps,
        )
    assert rules.earliest_step_at(current, DELAYS) is None


def test_delays_are_read_within_bounds():
    assert rules.delay_hours(72, 72) == 72
    assert rules.delay_hours(None, 72) == 72
    assert rules.delay_hours("abc", 48) == 48
    assert rules.delay_hours(0, 24) == 24
    assert rules.delay_hours(-5, 24) == 24
    assert rules.delay_hours(10**9, 24) == rules.MAX_DELAY_HOURS


def test_silence_brings_only_the_next_stage_forward():
    end = date(2027, 3, 31)
    today = date(2027, 3, 4)
    # The 30-day stage escalated: the 15-day stage is planned as due today.
    assert rules.forwarded_today(today, end, [15, 3], 30) == date(2027, 3, 16)
    # Nothing escalated, or nothing after it: today as it is.
    assert rules.forwarded_today(today, end, [15, 3], None) == today
    assert rules.forwarded_today(today, end, [], 3) == today
    assert rules.forwarded_today(today, end, [30], 15) == today
    # A stage already due stays as it is.
    assert rules.forwarded_today(date(2027, 3, 20), end, [15, 3], 30) == date(
        2027, 3, 20
    )
