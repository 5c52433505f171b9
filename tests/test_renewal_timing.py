"""The sending-time rules, tested without Odoo.

The module is loaded from its file, so these tests run on a machine that has
no Odoo at all. Every expected moment is written as the exact UTC instant.
"""

import importlib.util
from collections import namedtuple
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

TIMING_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_timing.py"
)
_spec = importlib.util.spec_from_file_location("renewal_timing", TIMING_PATH)
timing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(timing)

Opening = timing.Opening
Blackout = timing.Blackout
SendMoment = timing.SendMoment

# A calendar's attendance line: its weekday (0 = Monday) and local hours.
Window = namedtuple("Window", ["weekday", "start", "end"])

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
AUCKLAND = "Pacific/Auckland"
SHANGHAI = "Asia/Shanghai"

# Monday to Friday, 09:00 to 18:00.
OFFICE_HOURS = [Window(day, 9.0, 18.0) for day in range(5)]
ALL_DAY = [Window(day, 0.0, 24.0) for day in range(7)]


def local(tz_name, *args):
    """A moment on the customer's clock (the first one, if it happens twice)."""
    return datetime(*args, tzinfo=ZoneInfo(tz_name))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def openings(windows, moment, tz_name, days=400):
    """The openings of weekly ``windows`` for ``days`` days from the day
    ``moment`` falls on in ``tz_name``, as a calendar gives them (in the
    ORM, ``resource.calendar`` reads them; here, a fixture)."""
    tz = timing.zone(tz_name)
    first = moment.astimezone(tz).date()
    found = []
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        for weekday, start, end in windows:
            if weekday == day.weekday():
                midnight = datetime.combine(day, time(), tzinfo=tz)
                found.append(
                    Opening(
                        (midnight + timedelta(hours=start)).astimezone(UTC),
                        (midnight + timedelta(hours=end)).astimezone(UTC),
                    )
                )
    return found


def send_at(
    moment,
    tz_name,
    windows=OFFICE_HOURS,
    blackouts=(),
    preferred_hour=None,
    horizon_days=400,
):
    """The moment a reminder due at ``moment`` leaves; ``windows`` None is
    any time, an empty list every hour of the next ``horizon_days`` days."""
    spans = (
        None
        if windows is None
        else openings(windows or ALL_DAY, moment, tz_name, horizon_days)
    )
    return timing.first_moment(spans, moment, preferred_hour, tz_name, blackouts)


# Sending hours


def test_inside_the_sending_hours_the_reminder_leaves_now():
    # Wednesday 2027-06-09 10:00 in Paris (summer time, UTC+2).
    now = local(PARIS, 2027, 6, 9, 10, 0)
    result = send_at(now, PARIS)
    assert result == SendMoment(utc(2027, 6, 9, 8, 0), timing.NOW, None)
    assert result.at.tzinfo is UTC


def test_now_in_another_zone_is_compared_as_the_same_instant():
    # 04:00 in New York is 10:00 in Paris.
    now = local(NEW_YORK, 2027, 6, 9, 4, 0)
    assert send_at(now, PARIS) == SendMoment(utc(2027, 6, 9, 8, 0), timing.NOW, None)


def test_friday_evening_waits_for_monday_morning():
    now = local(PARIS, 2027, 6, 11, 19, 0)
    assert send_at(now, PARIS) == SendMoment(
        utc(2027, 6, 14, 7, 0), timing.OUTSIDE_HOURS, None
    )


def test_saturday_waits_for_monday_morning():
    now = local(PARIS, 2027, 6, 12, 11, 0)
    assert send_at(now, PARIS).at == utc(2027, 6, 14, 7, 0)


def test_before_the_opening_waits_for_nine_the_same_day():
    now = local(PARIS, 2027, 6, 9, 7, 15)
    assert send_at(now, PARIS) == SendMoment(
        utc(2027, 6, 9, 7, 0), timing.OUTSIDE_HOURS, None
    )


def test_the_end_of_a_window_is_already_closed():
    now = local(PARIS, 2027, 6, 9, 18, 0)
    assert send_at(now, PARIS).at == utc(2027, 6, 10, 7, 0)


def test_two_windows_a_day_skip_the_lunch_break():
    # Given in any order: afternoon first.
    windows = [Window(2, 14.0, 18.0), Window(2, 9.0, 12.0)]
    assert send_at(local(PARIS, 2027, 6, 9, 12, 30), PARIS, windows) == SendMoment(
        utc(2027, 6, 9, 12, 0), timing.OUTSIDE_HOURS, None
    )
    assert send_at(local(PARIS, 2027, 6, 9, 11, 59), PARIS, windows).reason == (
        timing.NOW
    )
    # After the afternoon window: next Wednesday morning.
    assert send_at(local(PARIS, 2027, 6, 9, 18, 30), PARIS, windows).at == utc(
        2027, 6, 16, 7, 0
    )


def test_half_hours():
    windows = [Window(2, 9.5, 17.5)]
    assert send_at(local(PARIS, 2027, 6, 9, 9, 0), PARIS, windows).at == utc(
        2027, 6, 9, 7, 30
    )
    assert send_at(local(PARIS, 2027, 6, 9, 17, 30), PARIS, windows).at == utc(
        2027, 6, 16, 7, 30
    )


def test_no_windows_means_any_time():
    now = local(PARIS, 2027, 6, 12, 3, 0)
    assert send_at(now, PARIS, []) == SendMoment(utc(2027, 6, 12, 1, 0), "now", None)
    assert send_at(now, PARIS, None).reason == timing.NOW


def test_a_window_may_run_until_midnight():
    windows = [Window(2, 20.0, 24.0)]
    assert send_at(local(PARIS, 2027, 6, 9, 23, 59), PARIS, windows).reason == "now"
    assert send_at(local(PARIS, 2027, 6, 10, 0, 0), PARIS, windows).at == utc(
        2027, 6, 16, 18, 0
    )


@pytest.mark.parametrize("tz_name", ["", None, "Mars/Olympus", "europe/paris", "../x"])
def test_an_unknown_time_zone_is_utc(tz_name):
    assert timing.zone(tz_name) == ZoneInfo("UTC")
    now = utc(2027, 6, 9, 8, 0)
    assert send_at(now, tz_name).at == utc(2027, 6, 9, 9, 0)


def test_a_known_time_zone():
    assert timing.zone(PARIS) == ZoneInfo(PARIS)


def test_the_calendars_intervals_in_any_order_and_with_their_records():
    # resource.calendar gives (start, stop, attendances) triples in the
    # customer's zone; they are compared as instants.
    paris = ZoneInfo(PARIS)
    intervals = [
        (datetime(2027, 6, 10, 9, 0, tzinfo=paris), utc(2027, 6, 10, 16), "Thu"),
        (datetime(2027, 6, 9, 14, 0, tzinfo=paris), utc(2027, 6, 9, 16), "Wed pm"),
    ]
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert timing.first_moment(intervals, now) == SendMoment(
        utc(2027, 6, 9, 12, 0), timing.OUTSIDE_HOURS, None
    )


def test_bad_openings_are_ignored():
    spans = [
        Opening(utc(2027, 6, 9, 12), utc(2027, 6, 9, 11)),
        Opening(utc(2027, 6, 9, 11), utc(2027, 6, 9, 11)),
        Opening("2027-06-09 10:00", "2027-06-09 18:00"),
        (utc(2027, 6, 9, 10),),
        None,
        Opening(utc(2027, 6, 10, 9), utc(2027, 6, 10, 17)),
    ]
    now = utc(2027, 6, 9, 10, 0)
    assert timing.first_moment(spans, now).at == utc(2027, 6, 10, 9, 0)


def test_no_opening_left_means_no_moment():
    now = utc(2027, 6, 9, 10, 0)
    assert timing.first_moment([], now) is None
    assert timing.first_moment([Opening(utc(2027, 6, 8), utc(2027, 6, 9))], now) is None
    # None is no sending hours at all: any time.
    assert timing.first_moment(None, now) == SendMoment(now, timing.NOW, None)


# Blackouts


def test_inside_a_blackout_waits_for_its_end():
    blackout = Blackout(
        local(PARIS, 2027, 6, 9, 10, 0), local(PARIS, 2027, 6, 9, 15, 0), "Upgrade"
    )
    now = local(PARIS, 2027, 6, 9, 11, 0)
    assert send_at(now, PARIS, blackouts=[blackout]) == SendMoment(
        utc(2027, 6, 9, 13, 0), timing.BLACKOUT, "Upgrade"
    )


def test_a_blackout_ending_after_hours_waits_for_the_next_opening():
    blackout = Blackout(
        local(PARIS, 2027, 6, 9, 10, 0), local(PARIS, 2027, 6, 9, 20, 0), "Upgrade"
    )
    now = local(PARIS, 2027, 6, 9, 11, 0)
    assert send_at(now, PARIS, blackouts=[blackout]) == SendMoment(
        utc(2027, 6, 10, 7, 0), timing.BLACKOUT, "Upgrade"
    )


def test_a_blackout_over_the_next_opening_delays_it():
    # Friday evening: Monday morning is blocked until noon.
    blackout = Blackout(
        local(PARIS, 2027, 6, 14, 0, 0), local(PARIS, 2027, 6, 14, 12, 0), "Audit"
    )
    now = local(PARIS, 2027, 6, 11, 19, 0)
    assert send_at(now, PARIS, blackouts=[blackout]) == SendMoment(
        utc(2027, 6, 14, 10, 0), timing.BLACKOUT, "Audit"
    )


def test_a_blackout_only_counts_when_it_is_crossed():
    blackout = Blackout(utc(2027, 6, 1), utc(2027, 6, 2), "Past")
    now = local(PARIS, 2027, 6, 11, 19, 0)
    assert send_at(now, PARIS, blackouts=[blackout]).reason == timing.OUTSIDE_HOURS


def test_the_end_of_a_blackout_is_open():
    blackout = Blackout(utc(2027, 6, 9, 6, 0), utc(2027, 6, 9, 8, 0), "Morning")
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, blackouts=[blackout]).reason == timing.NOW


def test_chained_and_overlapping_blackouts():
    # Written in different zones; compared as instants.
    blackouts = [
        Blackout(utc(2027, 6, 8, 10, 0), utc(2027, 6, 9, 12, 0), "Holiday"),
        Blackout(
            local(NEW_YORK, 2027, 6, 9, 6, 0),
            local(NEW_YORK, 2027, 6, 9, 9, 0),
            "Migration",
        ),
        Blackout(
            local(PARIS, 2027, 6, 9, 14, 0), local(PARIS, 2027, 6, 10, 11, 0), "Freeze"
        ),
        Blackout(
            local(PARIS, 2027, 6, 10, 10, 0),
            local(PARIS, 2027, 6, 10, 10, 30),
            "Short",
        ),
    ]
    now = local(PARIS, 2027, 6, 8, 16, 0)
    # Holiday ends on Wednesday at 14:00 Paris, while Migration (12:00-15:00
    # Paris) and Freeze are under way; Freeze lasts until Thursday 11:00.
    assert send_at(now, PARIS, blackouts=blackouts) == SendMoment(
        utc(2027, 6, 10, 9, 0), timing.BLACKOUT, "Freeze"
    )


def test_blackouts_one_after_the_other():
    blackouts = [
        Blackout(
            local(PARIS, 2027, 6, 9, 12, 0), local(PARIS, 2027, 6, 9, 20, 0), "Second"
        ),
        Blackout(
            local(PARIS, 2027, 6, 9, 10, 0), local(PARIS, 2027, 6, 9, 12, 0), "First"
        ),
    ]
    now = local(PARIS, 2027, 6, 9, 11, 0)
    assert send_at(now, PARIS, blackouts=blackouts) == SendMoment(
        utc(2027, 6, 10, 7, 0), timing.BLACKOUT, "Second"
    )


def test_a_blackout_covering_the_horizon_leaves_nothing():
    blackout = Blackout(utc(2027, 1, 1), utc(2029, 1, 1), "Closed")
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, blackouts=[blackout]) is None
    assert send_at(now, PARIS, [], blackouts=[blackout]) is None
    # A shorter search gives up sooner; a longer one finds 2029.
    short = Blackout(utc(2027, 6, 1), utc(2027, 7, 1), "June")
    assert send_at(now, PARIS, blackouts=[short], horizon_days=10) is None
    assert send_at(now, PARIS, blackouts=[blackout], horizon_days=800).at == utc(
        2029, 1, 1, 8, 0
    )


def test_no_windows_with_a_blackout_leaves_at_its_end():
    blackout = Blackout(utc(2027, 6, 9, 0, 0), utc(2027, 6, 9, 6, 30), "Night")
    now = utc(2027, 6, 9, 2, 0)
    assert send_at(now, PARIS, [], blackouts=[blackout]) == SendMoment(
        utc(2027, 6, 9, 6, 30), timing.BLACKOUT, "Night"
    )


def test_chinese_new_year_for_a_shanghai_customer():
    # Closed from Saturday 2027-02-06 to Sunday 2027-02-14 included.
    holiday = Blackout(
        local(SHANGHAI, 2027, 2, 6, 0, 0),
        local(SHANGHAI, 2027, 2, 15, 0, 0),
        "Chinese New Year",
    )
    now = local(SHANGHAI, 2027, 2, 8, 10, 0)
    assert send_at(now, SHANGHAI, blackouts=[holiday]) == SendMoment(
        utc(2027, 2, 15, 1, 0), timing.BLACKOUT, "Chinese New Year"
    )


def test_bad_blackouts_are_ignored():
    blackouts = [
        Blackout(utc(2027, 6, 10), utc(2027, 6, 9), "Backwards"),
        Blackout("2027-06-09", "2027-06-10", "Text"),
        None,
        (utc(2027, 6, 9),),
    ]
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, blackouts=blackouts).reason == timing.NOW


def test_a_blackout_without_time_zone_is_read_as_utc():
    blackout = Blackout(datetime(2027, 6, 9, 7, 0), datetime(2027, 6, 9, 9, 0), "X")
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, blackouts=[blackout]).at == utc(2027, 6, 9, 9, 0)


# The customer's preferred hour


def test_the_preferred_hour_moves_the_reminder_later_the_same_day():
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, preferred_hour=14.0) == SendMoment(
        utc(2027, 6, 9, 12, 0), timing.PREFERRED_HOUR, None
    )


def test_the_preferred_hour_applies_on_the_day_the_reminder_leaves():
    now = local(PARIS, 2027, 6, 11, 19, 0)
    assert send_at(now, PARIS, preferred_hour=14.5) == SendMoment(
        utc(2027, 6, 14, 12, 30), timing.PREFERRED_HOUR, None
    )


def test_the_preferred_hour_never_moves_to_another_day():
    # Friday 17:00, preferred 10:00: not moved to Monday 10:00.
    now = local(PARIS, 2027, 6, 11, 17, 0)
    assert send_at(now, PARIS, preferred_hour=10.0) == SendMoment(
        utc(2027, 6, 11, 15, 0), timing.NOW, None
    )


def test_the_preferred_hour_already_past_changes_nothing():
    now = local(PARIS, 2027, 6, 9, 14, 0)
    assert send_at(now, PARIS, preferred_hour=14.0).reason == timing.NOW
    assert send_at(now, PARIS, preferred_hour=9.0).reason == timing.NOW


def test_a_preferred_hour_outside_the_days_windows_is_ignored():
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, preferred_hour=20.0).reason == timing.NOW
    # In the lunch break.
    windows = [Window(2, 9.0, 12.0), Window(2, 14.0, 18.0)]
    assert send_at(now, PARIS, windows, preferred_hour=13.0).reason == timing.NOW
    # In the afternoon window: moved there.
    assert send_at(now, PARIS, windows, preferred_hour=15.0).at == utc(
        2027, 6, 9, 13, 0
    )


def test_a_preferred_hour_in_a_blackout_is_ignored():
    blackout = Blackout(
        local(PARIS, 2027, 6, 9, 13, 0), local(PARIS, 2027, 6, 9, 15, 0), "Upgrade"
    )
    now = local(PARIS, 2027, 6, 9, 10, 0)
    result = send_at(now, PARIS, blackouts=[blackout], preferred_hour=14.0)
    assert result == SendMoment(utc(2027, 6, 9, 8, 0), timing.NOW, None)


def test_after_a_blackout_the_preferred_hour_still_applies():
    blackout = Blackout(
        local(PARIS, 2027, 6, 9, 9, 0), local(PARIS, 2027, 6, 9, 11, 0), "Upgrade"
    )
    now = local(PARIS, 2027, 6, 9, 10, 0)
    result = send_at(now, PARIS, blackouts=[blackout], preferred_hour=16.0)
    assert result == SendMoment(utc(2027, 6, 9, 14, 0), timing.BLACKOUT, "Upgrade")


def test_the_preferred_hour_without_windows():
    now = utc(2027, 6, 9, 8, 0)
    assert send_at(now, "UTC", [], preferred_hour=10.0) == SendMoment(
        utc(2027, 6, 9, 10, 0), timing.PREFERRED_HOUR, None
    )


def test_the_preferred_hour_follows_the_local_clock_after_a_change():
    now = local(NEW_YORK, 2027, 3, 13, 12, 0)
    assert send_at(now, NEW_YORK, preferred_hour=11.0).at == utc(2027, 3, 15, 15, 0)


@pytest.mark.parametrize("wish", [None, "", "noon", float("nan"), -3.0, 30.0])
def test_an_unusable_preferred_hour_is_ignored(wish):
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, preferred_hour=wish).reason == timing.NOW


# Local hours and what the customer's habits teach


def test_local_hour():
    assert timing.local_hour(utc(2027, 6, 9, 12, 30), PARIS) == 14.5
    assert timing.local_hour(utc(2027, 1, 9, 12, 30), PARIS) == 13.5
    assert timing.local_hour(utc(2027, 6, 9, 12, 30), SHANGHAI) == 20.5
    assert timing.local_hour(utc(2027, 6, 9, 12, 30), "Nowhere/City") == 12.5
    assert timing.local_hour(local(NEW_YORK, 2027, 6, 9, 8, 15), NEW_YORK) == 8.25


def test_preferred_hour_is_the_hour_seen_most_often():
    assert timing.preferred_hour([14.2, 9.5, 14.9, 20.0]) == 14
    assert timing.preferred_hour([8.0, 8.75]) == 8


def test_preferred_hour_ties_go_to_the_earliest():
    assert timing.preferred_hour([16.5, 9.1, 16.0, 9.9]) == 9


def test_preferred_hour_needs_enough_opens():
    assert timing.preferred_hour([10.5]) is None
    assert timing.preferred_hour([]) is None
    assert timing.preferred_hour(None) is None
    assert timing.preferred_hour([10.5, 11.0, 10.0], min_opens=4) is None
    assert timing.preferred_hour([10.5], min_opens=1) == 10


def test_preferred_hour_ignores_values_that_are_not_hours():
    assert timing.preferred_hour([None, -1.0, 24.0, "x", 7.5, 7.0]) == 7
    assert timing.preferred_hour([None, 7.5]) is None


def test_learned_advance_is_the_median_rounded_up():
    assert timing.learned_advance([2.0, 5.5, 3.1], 10) == (4, 3)
    assert timing.learned_advance([1.0, 2.0, 4.0, 8.0], 10) == (3, 4)
    assert timing.learned_advance([3.0], 10) == (3, 1)
    assert timing.learned_advance([0.0, 0.0], 10) == (0, 2)


def test_learned_advance_is_capped():
    assert timing.learned_advance([20.0, 30.0, 25.0], 14) == (14, 3)


def test_learned_advance_ignores_missing_and_negative_delays():
    assert timing.learned_advance([None, -2.0, 1.5, 2.5, None], 10) == (2, 2)
    assert timing.learned_advance([None, -1.0], 10) == (0, 0)


def test_learned_advance_without_anything_to_learn():
    assert timing.learned_advance([], 10) == (0, 0)
    assert timing.learned_advance(None, 10) == (0, 0)
    assert timing.learned_advance([5.0, 6.0], 0) == (0, 0)
    assert timing.learned_advance([5.0, 6.0], -3) == (0, 0)
    assert timing.learned_advance([5.0, 6.0], None) == (0, 0)
