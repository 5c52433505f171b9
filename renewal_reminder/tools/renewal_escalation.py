"""Pure rules of what a reminder's silence or reading leads to.

What the customer did with a reminder (delivered, opened, clicked) moves it
forward, never back; a reminder left unanswered escalates, one read but not
answered gets the salesperson's follow-up, an email left unopened goes out
again on the fallback channel. Nothing here imports Odoo: the escalation
pass and the policy simulator call these functions, and tests call them
without a database.
"""

from collections import namedtuple
from datetime import timedelta

# How far a reminder got on the customer's side, in order.
ENGAGEMENT_RANK = {"queued": 0, "sent": 1, "delivered": 2, "opened": 3, "clicked": 4}
# A reminder the customer read (opened it, or followed one of its links).
READ_STATES = ("opened", "clicked")
# States of a reminder that left and did not fail.
LEFT_STATES = ("sent", "delivered", "opened", "clicked")

# What each step of the escalation pass does.
STEP_FALLBACK = "fallback"  # the same stage again on the fallback channel
STEP_FOLLOW_UP = "follow_up"  # read, not answered: the salesperson follows up
STEP_ESCALATE = "escalate"  # not answered: the next stage now, flagged at risk

# Default delays, in hours, of the policies.
DEFAULT_SILENCE_HOURS = 72
DEFAULT_READ_HOURS = 48
DEFAULT_UNREAD_HOURS = 24
# The longest any of these delays may be: about two months.
MAX_DELAY_HOURS = 24 * 60


def engagement_state(state, reached):
    """The state a reminder in ``state`` takes when the customer's side shows
    ``reached`` (``delivered``, ``opened`` or ``clicked``), or None when it
    does not move: never back, and never out of a closed state (bounced,
    failed, cancelled...)."""
    if state not in ENGAGEMENT_RANK or reached not in ENGAGEMENT_RANK:
        return None
    if ENGAGEMENT_RANK[reached] <= ENGAGEMENT_RANK[state]:
        return None
    return reached


def delay_hours(value, default):
    """A policy's delay in hours within 1 hour and two months; a missing,
    zero or unreadable value gives ``default``."""
    try:
        hours = int(value)
    except (TypeError, ValueError):
        return default
    if hours <= 0:
        return default
    return min(hours, MAX_DELAY_HOURS)


Delays = namedtuple("Delays", ["silence", "read", "unread"])

ReminderFacts = namedtuple(
    "ReminderFacts",
    [
        "state",  # the reminder's state
        "channel",  # its channel
        "sent_at",  # when it left (a datetime), or None
        "read_at",  # when the customer first opened or clicked it, or None
        "answered",  # the customer answered in this cycle
        "escalated",  # the escalation step was taken already
        "followed_up",  # the follow-up step was taken already
        "fallen_back",  # the fallback step was taken (or is not possible)
        "fallback_channel",  # the policy's fallback channel, or None
    ],
)


def step_times(facts, delays):
    """{step: when it falls due} for the steps still ahead of one reminder.

    ``facts`` is a :class:`ReminderFacts`, ``delays`` a :class:`Delays` in
    hours. An answer stops everything; each step is taken once:

    - ``fallback``: an email still unread ``unread`` hours after it left
      goes out again on the fallback channel;
    - ``follow_up``: read but unanswered ``read`` hours after the first
      reading, the salesperson follows up;
    - ``escalate``: unanswered ``silence`` hours after it left, the next
      stage is brought forward (or, after the last one, the salesperson
      calls the customer) and the renewal is flagged at risk.
    """
    if facts.answered or facts.state not in LEFT_STATES or not facts.sent_at:
        return {}
    times = {}
    if (
        facts.channel == "email"
        and facts.fallback_channel
        and facts.fallback_channel != facts.channel
        and not facts.fallen_back
        and facts.state not in READ_STATES
    ):
        times[STEP_FALLBACK] = facts.sent_at + timedelta(hours=delays.unread)
    if facts.read_at and not facts.followed_up:
        times[STEP_FOLLOW_UP] = facts.read_at + timedelta(hours=delays.read)
    if not facts.escalated:
        times[STEP_ESCALATE] = facts.sent_at + timedelta(hours=delays.silence)
    return times


def escalation_steps(facts, now, delays):
    """The steps due at ``now`` for one reminder, in the order they are
    taken (see :func:`step_times`)."""
    times = step_times(facts, delays)
    return [
        step
        for step in (STEP_FALLBACK, STEP_FOLLOW_UP, STEP_ESCALATE)
        if step in times and now >= times[step]
    ]


def earliest_step_at(facts, delays):
    """When the first step still ahead of ``facts`` falls due, or None: the
    escalation pass only looks at reminders whose time has come."""
    times = step_times(facts, delays)
    return min(times.values()) if times else None


def forwarded_today(today, cycle_end, pending_days, escalated_days):
    """The day the cycle is planned as when silence brought its next stage
    forward: the day that stage falls on, when it is later than ``today``.

    ``pending_days`` are the days before the end of the stages still to go
    out; ``escalated_days`` those of the reminder that escalated (None when
    nothing escalated). Only the stage right after it is brought forward.
    """
    if escalated_days is None or not cycle_end:
        return today
    following = [days for days in pending_days if days < escalated_days]
    if not following:
        return today
    day = cycle_end - timedelta(days=max(following))
    return max(today, day)
