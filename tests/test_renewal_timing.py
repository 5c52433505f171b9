"""The sending-time rules, tested without Odoo.

The module is loaded from its file, so these tests run on a machine that has
no Odoo at all. Every expected moment is written as the exact UTC instant.
"""

import importlib.util
from datetime import UTC, datetime
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

Window = timing.Window
Blackout = timing.Blackout
SendMoment = timing.SendMoment

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
AUCKLAND = "Pacific/Auckland"
SHANGHAI = "Asia/Shanghai"

# Monday to Friday, 09:00 to 18:00.
OFFICE_HOURS = [Window(day, 9.0, 18.0) for day in range(5)]


def local(tz_name, *args):
    """A moment on the customer's clock (the first one, if it happens twice)."""
    return datetime(*args, tzinfo=ZoneInfo(tz_name))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def send_at(moment, tz_name, windows=OFFICE_HOURS, **kwargs):
    return timing.next_send_moment(moment, tz_name, windows, **kwargs)


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


def test_bad_windows_are_ignored():
    windows = [
        Window(7, 9.0, 18.0),
        Window(-1, 9.0, 18.0),
        Window(2, 18.0, 9.0),
        Window(2, 9.0, 9.0),
        Window(2, 9.0, 25.0),
        Window(2, -1.0, 5.0),
        Window(2, float("nan"), 12.0),
        Window(2, "soon", 12.0),
        Window(None, 9.0, 18.0),
        (2, 9.0),
        None,
        Window(0, 9.0, 18.0),
    ]
    # Only Monday 09:00-18:00 is left: Wednesday waits for Monday.
    now = local(PARIS, 2027, 6, 9, 10, 0)
    assert send_at(now, PARIS, windows).at == utc(2027, 6, 14, 7, 0)


def test_only_bad_windows_mean_any_time():
    now = local(PARIS, 2027, 6, 12, 3, 0)
    assert send_at(now, PARIS, [Window(9, 9.0, 18.0)]).reason == timing.NOW


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


# Daylight saving: the opening follows the local clock.


@pytest.mark.parametrize(
    ("tz_name", "now", "expected"),
    [
        # Paris springs forward on Sunday 2027-03-28 02:00 -> 03:00.
        (PARIS, (2027, 3, 26, 8, 0), utc(2027, 3, 26, 8, 0)),
        (PARIS, (2027, 3, 27, 12, 0), utc(2027, 3, 29, 7, 0)),
        # Paris falls back on Sunday 2027-10-31 03:00 -> 02:00.
        (PARIS, (2027, 10, 29, 8, 0), utc(2027, 10, 29, 7, 0)),
        (PARIS, (2027, 10, 30, 12, 0), utc(2027, 11, 1, 8, 0)),
        # New York springs forward on Sunday 2027-03-14.
        (NEW_YORK, (2027, 3, 12, 8, 0), utc(2027, 3, 12, 14, 0)),
        (NEW_YORK, (2027, 3, 13, 12, 0), utc(2027, 3, 15, 13, 0)),
        # New York falls back on Sunday 2027-11-07.
        (NEW_YORK, (2027, 11, 5, 8, 0), utc(2027, 11, 5, 13, 0)),
        (NEW_YORK, (2027, 11, 6, 12, 0), utc(2027, 11, 8, 14, 0)),
        # Auckland's summer time ends on Sunday 2027-04-04 03:00 -> 02:00.
        (AUCKLAND, (2027, 4, 2, 8, 0), utc(2027, 4, 1, 20, 0)),
        (AUCKLAND, (2027, 4, 3, 12, 0), utc(2027, 4, 4, 21, 0)),
        # Auckland's summer time starts on Sunday 2027-09-26 02:00 -> 03:00.
        (AUCKLAND, (2027, 9, 24, 8, 0), utc(2027, 9, 23, 21, 0)),
        (AUCKLAND, (2027, 9, 25, 12, 0), utc(2027, 9, 26, 20, 0)),
        # Shanghai keeps UTC+8 all year.
        (SHANGHAI, (2027, 3, 29, 8, 0), utc(2027, 3, 29, 1, 0)),
        (SHANGHAI, (2027, 11, 6, 12, 0), utc(2027, 11, 8, 1, 0)),
    ],
)
def test_the_nine_o_clock_opening_around_clock_changes(tz_name, now, expected):
    result = send_at(local(tz_name, *now), tz_name)
    assert result == SendMoment(expected, timing.OUTSIDE_HOURS, None)


@pytest.mark.parametrize(
    ("tz_name", "sunday", "expected"),
    [
        # 02:30 never happens: the window opens at 03:00 summer time.
        (PARIS, (2027, 3, 28), utc(2027, 3, 28, 1, 0)),
        (NEW_YORK, (2027, 3, 14), utc(2027, 3, 14, 7, 0)),
        (AUCKLAND, (2027, 9, 26), utc(2027, 9, 25, 14, 0)),
        # 02:30 happens twice: the window opens at the first one.
        (PARIS, (2027, 10, 31), utc(2027, 10, 31, 0, 30)),
        (AUCKLAND, (2027, 4, 4), utc(2027, 4, 3, 13, 30)),
        # No clock change in Shanghai.
        (SHANGHAI, (2027, 3, 28), utc(2027, 3, 27, 18, 30)),
    ],
)
def test_a_window_opening_in_the_night_of_a_clock_change(tz_name, sunday, expected):
    windows = [Window(6, 2.5, 5.0)]
    result = send_at(local(tz_name, *sunday, 0, 0), tz_name, windows)
    assert result == SendMoment(expected, timing.OUTSIDE_HOURS, None)


def test_new_york_ambiguous_hour_uses_its_first_occurrence():
    # 01:30 on 2027-11-07 happens first in summer time (UTC-4).
    windows = [Window(6, 1.5, 3.0)]
    now = local(NEW_YORK, 2027, 11, 7, 0, 0)
    assert send_at(now, NEW_YORK, windows).at == utc(2027, 11, 7, 5, 30)


def test_a_window_ending_in_the_skipped_hour_ends_at_the_jump():
    # Sunday 01:00-02:30 in Paris on 2027-03-28: closes at 03:00 summer time,
    # which is 01:00 UTC.
    windows = [Window(6, 1.0, 2.5)]
    assert send_at(utc(2027, 3, 28, 0, 59, 59), PARIS, windows).reason == "now"
    assert send_at(utc(2027, 3, 28, 1, 0), PARIS, windows).at == utc(2027, 4, 3, 23, 0)


def test_days_are_counted_on_the_local_calendar():
    # Sunday 2027-03-28 is 23 hours long in Paris: Monday still opens at 09:00.
    windows = [Window(0, 9.0, 10.0)]
    now = local(PARIS, 2027, 3, 27, 9, 30)
    assert send_at(now, PARIS, windows).at == utc(2027, 3, 29, 7, 0)


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
