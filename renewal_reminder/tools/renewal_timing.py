"""Pure sending-time rules: when a renewal reminder may leave.

Nothing in this module imports Odoo: the functions take plain values and
return plain values, so they are tested without a database and reused by
the ORM code. The sending hours are read on the customer's own clock: the
days are walked on the customer's calendar, so a reminder keeps leaving at
09:00 local time on either side of a daylight saving change.
"""

import math
import statistics
from collections import Counter, namedtuple
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Sending hours on one weekday (0 = Monday .. 6 = Sunday), as local
# wall-clock hours: Window(0, 9.0, 17.5) is Monday from 09:00 to 17:30.
Window = namedtuple("Window", ["weekday", "start", "end"])

# A period [start, end) when nothing is sent, such as a public holiday.
Blackout = namedtuple("Blackout", ["start", "end", "name"])

# When a reminder leaves (in UTC) and why it waits until then.
SendMoment = namedtuple("SendMoment", ["at", "reason", "detail"])

NOW = "now"
OUTSIDE_HOURS = "outside_hours"
BLACKOUT = "blackout"
PREFERRED_HOUR = "preferred_hour"

# Without any sending hours, a reminder may leave at any time of any day.
ALL_DAY = {weekday: [(0.0, 24.0)] for weekday in range(7)}


def zone(tz_name):
    """The customer's time zone, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(tz_name) if tz_name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return ZoneInfo("UTC")


def _number(value):
    """``value`` as a finite number, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _utc(moment):
    """``moment`` in UTC; a moment without a time zone is read as UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _sending_hours(windows):
    """The usable windows as ``{weekday: [(start, end), ...]}``, each day's
    sorted by start. Windows that make no sense are left out; with none
    left, every hour of every day is open."""
    hours = {}
    for window in windows or ():
        try:
            weekday, start, end = window
        except (TypeError, ValueError):
            continue
        start, end = _number(start), _number(end)
        if weekday not in range(7) or start is None or end is None:
            continue
        if 0.0 <= start < end <= 24.0:
            hours.setdefault(int(weekday), []).append((start, end))
    for day_hours in hours.values():
        day_hours.sort()
    return hours or ALL_DAY


def _instant(day, hour, tz):
    """The UTC instant the local clock shows ``hour`` on the date ``day``.

    An hour the clocks skip when they spring forward becomes the first real
    instant after the jump; an hour that happens twice when they fall back
    is its first occurrence.
    """
    wall = datetime.combine(day, time()) + timedelta(seconds=round(hour * 3600))
    moment = wall.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return moment.astimezone(UTC)
    # The clocks skip this hour: find the instant they jump, to the second.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(moment.timestamp())
    jumped = datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == jumped:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _openings(first_day, last_day, tz, hours):
    """Each sending window from ``first_day`` to ``last_day`` (local dates),
    in order, as ``(local date, UTC start, UTC end)``."""
    day = first_day
    while day <= last_day:
        for start, end in hours.get(day.weekday(), ()):
            yield day, _instant(day, start, tz), _instant(day, end, tz)
        day += timedelta(days=1)


def _blackout_periods(blackouts):
    """The usable blackouts, in UTC; a period that ends before it starts,
    or is not made of date-times, is left out."""
    periods = []
    for blackout in blackouts or ():
        try:
            start, end, name = blackout
            start, end = _utc(start), _utc(end)
        except (TypeError, ValueError, AttributeError):
            continue
        if start < end:
            periods.append(Blackout(start, end, name))
    return periods


def _blackout_at(moment, periods):
    """The blackout ``moment`` falls in (the one lasting longest), or None."""
    hits = [period for period in periods if period.start <= moment < period.end]
    return max(hits, key=lambda period: period.end) if hits else None


def _first_open(moment, openings, periods):
    """The first instant at or after ``moment`` inside one of ``openings``
    and outside every blackout, as ``(local date, instant, last blackout
    crossed or None)``, or None when the openings run out first."""
    crossed = None
    for day, start, end in openings:
        moment = max(moment, start)
        while moment < end and (hit := _blackout_at(moment, periods)):
            moment, crossed = hit.end, hit
        if moment < end:
            return day, moment, crossed
    return None


def next_send_moment(
    now, tz_name, windows, blackouts=(), preferred_hour=None, horizon_days=400
):
    """The first moment at or after ``now`` when a reminder may leave.

    ``windows`` are the customer's sending hours (:class:`Window`, local
    time of ``tz_name``; none means any time), ``blackouts`` the periods
    when nothing is sent (:class:`Blackout`) and ``preferred_hour`` the
    local hour the customer usually reads their mail: a reminder due
    earlier that day waits for it, if the day's sending hours include it.
    Returns a :class:`SendMoment`, or None when nothing may leave within
    ``horizon_days`` days. When blackouts were crossed, the detail names
    the last one the reminder waited for.
    """
    tz = zone(tz_name)
    now = _utc(now)
    hours = _sending_hours(windows)
    periods = _blackout_periods(blackouts)
    first_day = now.astimezone(tz).date()
    last_day = first_day + timedelta(days=max(int(horizon_days or 0), 0))
    found = _first_open(now, _openings(first_day, last_day, tz, hours), periods)
    if found is None:
        return None
    day, moment, crossed = found
    moved = False
    wish = _number(preferred_hour)
    if wish is not None and any(
        start <= wish < end for start, end in hours.get(day.weekday(), ())
    ):
        wished = _instant(day, wish, tz)
        if moment < wished and not _blackout_at(wished, periods):
            moment, moved = wished, True
    if moment == now:
        return SendMoment(moment, NOW, None)
    if crossed:
        return SendMoment(moment, BLACKOUT, crossed.name)
    return SendMoment(moment, PREFERRED_HOUR if moved else OUTSIDE_HOURS, None)


def local_hour(moment, tz_name):
    """The hour the customer's clock shows at ``moment``: 14.5 for 14:30."""
    local = _utc(moment).astimezone(zone(tz_name))
    return local.hour + local.minute / 60 + local.second / 3600


def preferred_hour(open_hours, min_opens=2):
    """The hour the customer usually reads our emails, or None.

    ``open_hours`` are the local hours (14.5 for 14:30) at which they opened
    past emails: the whole hour seen most often wins, the earliest on a tie.
    With fewer than ``min_opens`` opens there is no habit to follow.
    """
    hours = [
        math.floor(hour)
        for hour in map(_number, open_hours or ())
        if hour is not None and 0 <= hour < 24
    ]
    if not hours or len(hours) < (min_opens or 0):
        return None
    counts = Counter(hours)
    return min(counts, key=lambda hour: (-counts[hour], hour))


def learned_advance(answer_delays, max_days):
    """How many days earlier the next cycle's first reminder should go.

    ``answer_delays`` are the days the customer took to answer after the
    first reminder in past cycles: the next cycle starts earlier by their
    median, rounded up to a whole day, at most ``max_days``. Returns
    ``(days, cycles)``, ``cycles`` being how many past answers were used;
    ``(0, 0)`` when there is nothing to learn from or ``max_days`` turns
    the learning off.
    """
    delays = [
        delay
        for delay in map(_number, answer_delays or ())
        if delay is not None and delay >= 0
    ]
    limit = _number(max_days)
    if not delays or limit is None or limit <= 0:
        return 0, 0
    return min(math.ceil(statistics.median(delays)), math.floor(limit)), len(delays)
