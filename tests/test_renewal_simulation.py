"""The cycle simulator, tested without Odoo."""

import importlib.util
import sys
import types
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

TOOLS = Path(__file__).resolve().parents[1] / "renewal_reminder" / "tools"


def _load():
    """The simulator with its sibling rules, as a package of their own."""
    package = types.ModuleType("renewal_tools")
    package.__path__ = [str(TOOLS)]
    sys.modules["renewal_tools"] = package
    modules = {}
    for name in (
        "renewal_rules",
        "renewal_timing",
        "renewal_escalation",
        "renewal_simulation",
    ):
        spec = importlib.util.spec_from_file_location(
            f"renewal_tools.{name}", TOOLS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"renewal_tools.{name}"] = module
        spec.loader.exec_module(module)
        modules[name] = module
    return modules


_modules = _load()
sim = _modules["renewal_simulation"]
timing = _modules["renewal_timing"]
escalation = _modules["renewal_escalation"]

FRIDAY_NOON = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)


def _weekdays(tz_name, first=date(2027, 2, 1), last=date(2027, 6, 30)):
    """Monday to Friday, 09:00 to 18:00 on the customer's clock, as the
    calendar's openings from ``first`` to ``last``."""
    tz = ZoneInfo(tz_name)
    days = (first + timedelta(days=offset) for offset in range((last - first).days))
    return [
        timing.Opening(
            datetime.combine(day, time(9), tzinfo=tz),
            datetime.combine(day, time(18), tzinfo=tz),
        )
        for day in days
        if day.weekday() < 5
    ]


WEEKDAYS = _weekdays("Europe/Paris")


def setup(**values):
    base = {
        "cycle_end": date(2027, 3, 31),
        "stages": [
            sim.Stage(30, ("email",)),
            sim.Stage(15, ("email",)),
            sim.Stage(3, ("email",)),
        ],
        "tz": "Europe/Paris",
        "openings": WEEKDAYS,
        "blackouts": [],
        "preferred_hour": None,
        "delays": escalation.Delays(silence=72, read=48, unread=24),
        "fallback_channel": "sms",
        "reachable": {"email": True, "sms": True},
        "backup": True,
        "grace_days": 14,
    }
    base.update(values)
    return sim.Setup(**base)


def timeline(events):
    return [
        (event.at.strftime("%m-%d %H:%M"), event.kind, event.days, event.channel)
        for event in events
    ]


def test_the_customer_never_answers():
    events = sim.simulate(setup(), sim.NO_ANSWER, FRIDAY_NOON)
    assert timeline(events) == [
        # Monday 07:00 in Paris, before the sending hours: 09:00 (08:00 UTC).
        ("03-01 08:00", "send", 30, "email"),
        ("03-02 08:00", "fallback", 30, "sms"),
        ("03-04 08:00", "at_risk", 30, None),
        ("03-04 08:00", "forward", 30, None),
        ("03-04 08:00", "send", 15, "email"),
        ("03-05 08:00", "fallback", 15, "sms"),
        # Silence on a Sunday: the 3-day stage waits for Monday 09:00.
        ("03-07 08:00", "forward", 15, None),
        ("03-08 08:00", "send", 3, "email"),
        ("03-09 08:00", "fallback", 3, "sms"),
        ("03-11 08:00", "call", 3, None),
    ]
    assert events[0].detail == timing.OUTSIDE_HOURS
    assert events[4].detail == timing.NOW


def test_the_customer_opens_but_never_answers():
    events = sim.simulate(setup(), sim.OPENS_NEVER_ANSWERS, FRIDAY_NOON)
    kinds = timeline(events)
    assert kinds[:5] == [
        ("03-01 08:00", "send", 30, "email"),
        ("03-01 10:00", "open", 30, "email"),
        ("03-03 10:00", "follow_up", 30, None),
        ("03-04 08:00", "at_risk", 30, None),
        ("03-04 08:00", "forward", 30, None),
    ]
    # Read: no fallback; a follow-up per stage read, a call at the end.
    assert not [e for e in events if e.kind == "fallback"]
    assert [e.days for e in events if e.kind == "follow_up"] == [30, 15, 3]
    assert [e.kind for e in events][-1] == "call"


def test_the_email_bounces_and_the_backup_contact_takes_over():
    events = sim.simulate(setup(), sim.BOUNCES, FRIDAY_NOON)
    assert timeline(events)[:3] == [
        ("03-01 08:00", "send", 30, "email"),
        ("03-01 08:05", "bounce", 30, "email"),
        ("03-01 08:05", "fix_address", 30, None),
    ]
    # The next stage goes on its own day, to the backup contact.
    second = [e for e in events if e.kind == "send" and e.days == 15][0]
    assert second.at == datetime(2027, 3, 16, 8, 0, tzinfo=UTC)
    assert second.detail == "backup"
    assert [e.kind for e in events].count("fix_address") == 1
    # Without a backup contact, every email bounces; one activity still.
    alone = sim.simulate(setup(backup=False), sim.BOUNCES, FRIDAY_NOON)
    assert [e.kind for e in alone].count("bounce") == 3
    assert [e.kind for e in alone].count("fix_address") == 1
    assert "at_risk" not in [e.kind for e in alone]


def test_the_customer_asks_for_more_time_at_the_second_reminder():
    events = sim.simulate(setup(), sim.MORE_TIME_AT_2, FRIDAY_NOON)
    answer = [e for e in events if e.kind == "answer"]
    assert [(e.days, e.detail) for e in answer] == [(15, 14)]
    # The last stage moves 14 days later: 3 days before the end, plus 14.
    last = [e for e in events if e.kind == "send" and e.days == 3][0]
    assert last.at.date() == date(2027, 4, 12)
    # Nothing escalates after the answer.
    after = [e for e in events if e.at > answer[0].at]
    assert {e.kind for e in after} == {"send"}


def test_sending_hours_blackouts_and_reachability_shape_the_timeline():
    new_year = timing.Blackout(
        datetime(2027, 2, 28, tzinfo=UTC),
        datetime(2027, 3, 3, tzinfo=UTC),
        "Spring holidays",
    )
    events = sim.simulate(
        setup(blackouts=[new_year], reachable={"email": True, "sms": False}),
        sim.NO_ANSWER,
        FRIDAY_NOON,
    )
    first = events[0]
    assert (first.kind, first.detail) == ("send", timing.BLACKOUT)
    assert first.at == datetime(2027, 3, 3, 8, 0, tzinfo=UTC)
    # No mobile: the fallback is skipped, and says so.
    assert ("skip", "sms") in [(e.kind, e.channel) for e in events]
    assert "fallback" not in [e.kind for e in events]


def test_a_late_start_supersedes_the_stages_already_past():
    events = sim.simulate(setup(), sim.NO_ANSWER, datetime(2027, 3, 20, 12, tzinfo=UTC))
    assert timeline(events)[:2] == [
        ("03-20 12:00", "superseded", 30, None),
        # Saturday: Monday 09:00 in Paris.
        ("03-22 08:00", "send", 15, "email"),
    ]
    assert sim.simulate(setup(), sim.NO_ANSWER, datetime(2027, 4, 2, tzinfo=UTC)) == []
    assert sim.simulate(setup(stages=[]), sim.NO_ANSWER, FRIDAY_NOON) == []


def test_without_sending_hours_a_reminder_leaves_when_its_day_comes():
    events = sim.simulate(setup(openings=None), sim.NO_ANSWER, FRIDAY_NOON)
    # Monday's pass, 06:00 UTC: 07:00 in Paris, before any office opens.
    assert (events[0].at, events[0].kind, events[0].detail) == (
        datetime(2027, 3, 1, 6, 0, tzinfo=UTC),
        "send",
        timing.NOW,
    )
