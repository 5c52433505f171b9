"""Pure sending-time rules: when a renewal reminder may leave.

Nothing in this module imports Odoo: the functions take plain values and
return plain values, so they are tested without a database and reused by
the ORM code. The sending hours come as the openings of a calendar over a
stretch of time (instants, as ``resource.calendar`` reads its attendances in
the customer's time zone) and the blackout periods as the periods when
nothing is sent; :func:`first_moment` picks the moment a reminder leaves.
"""

import math
import statistics
from collections import Counter, namedtuple
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A stretch [start, end) of the sending hours, as two instants.
Opening = namedtuple("Opening", ["start", "end"])

# A period [start, end) when nothing is sent, such as a public holiday.
Blackout = namedtuple("Blackout", ["start", "end", "name"])

# When a reminder leaves (in UTC) and why it waits until then.
SendMoment = namedtuple("SendMoment", ["at", "reason", "detail"])

NOW = "now"
OUTSIDE_HOURS = "outside_hours"
BLACKOUT = "blackout"
PREFERRED_HOUR = "preferred_hour"

# Without sending hours, one opening that never closes.
_NEVER = datetime.max.replace(tzinfo=UTC)


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


def _periods(periods, kind):
    """The usable ``periods`` in UTC, as ``kind``, in order: a period that
    ends before it starts, or is not made of date-times, is left out (the
    extra values of a period, such as the records ``resource.calendar``
    joins to its intervals, are dropped)."""
    usable = []
    for period in periods or ():
        try:
            start, end, *rest = period
            period = kind(_utc(start), _utc(end), *rest[: len(kind._fields) - 2])
        except (TypeError, ValueError, AttributeError):
            continue
        if period.start < period.end:
            usable.append(period)
    return sorted(usable, key=lambda period: (period.start, period.end))


def _blackout_at(moment, periods):
    """The blackout ``moment`` falls in (the one lasting longest), or None."""
    hits = [period for period in periods if period.start <= moment < period.end]
    return max(hits, key=lambda period: period.end) if hits else None


def _first_open(moment, openings, periods):
    """The first instant at or after ``moment`` inside one of ``openings``
    and outside every blackout, as ``(instant, last blackout crossed or
    None)``, or None when the openings run out first."""
    crossed = None
    for start, end in openings:
        if end <= moment:
            continue
        moment = max(moment, start)
        while moment < end and (hit := _blackout_at(moment, periods)):
            moment, crossed = hit.end, hit
        if moment < end:
            return moment, crossed
    return None


def first_moment(openings, not_before, preferred_hour=None, tz_name=None, blackouts=()):
    """The first moment at or after ``not_before`` when a reminder may leave.

    ``openings`` are the sending hours over the stretch of time searched
    (:class:`Opening` pairs of instants, in any order; None means any time,
    an empty list no time at all), ``blackouts`` the periods when nothing
    is sent (:class:`Blackout`) and ``preferred_hour`` the hour the
    customer's clock (``tz_name``) shows when they usually read their mail:
    a reminder due earlier that day waits for it, if it falls in that day's
    openings and outside the blackouts. Returns a :class:`SendMoment`, or
    None when nothing may leave before the openings end. When blackouts
    were crossed, the detail names the last one the reminder waited for.
    """
    now = _utc(not_before)
    if openings is None:
        spans = [Opening(now, _NEVER)]
    else:
        spans = _periods(openings, Opening)
    periods = _periods(blackouts, Blackout)
    found = _first_open(now, spans, periods)
    if found is None:
        return None
    moment, crossed = found
    moved = False
    wish = _number(preferred_hour)
    if wish is not None and 0 <= wish < 24:
        tz = zone(tz_name)
        wished = _instant(moment.astimezone(tz).date(), wish, tz)
        if (
            moment < wished
            and any(start <= wished < end for start, end in spans)
            and not _blackout_at(wished, periods)
        ):
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
