"""Pure simulation of a renewal cycle: what would happen, and when.

Given a contract's cycle (its end, the policy's stages and delays, the
customer's time zone, sending hours and blackout periods, on which channels
they can be reached) and a scenario of what the customer does, it returns
the dated events the reminders would lead to: emails and SMS with the
moment they leave, fallbacks, readings, bounces, the salesperson's
activities, escalations and the at-risk flag. It takes the same decisions
as the live passes, through the same rules (``renewal_rules``,
``renewal_escalation``, ``renewal_timing``); nothing is sent or written.
"""

from collections import namedtuple
from datetime import UTC, datetime, time, timedelta

from . import renewal_escalation, renewal_rules, renewal_timing

# What the customer does.
NO_ANSWER = "no_answer"
OPENS_NEVER_ANSWERS = "opens_never_answers"
BOUNCES = "bounces"
MORE_TIME_AT_2 = "more_time_at_2"
SCENARIOS = (NO_ANSWER, OPENS_NEVER_ANSWERS, BOUNCES, MORE_TIME_AT_2)

# What happens.
SEND = "send"  # a reminder leaves (channel, to the backup contact or not)
SKIP = "skip"  # a channel of a stage cannot reach the customer
SUPERSEDED = "superseded"  # an earlier stage a late start skips
EXPIRED = "expired"  # a stage the cycle's end comes before
FALLBACK = "fallback"  # an unread email's stage on the fallback channel
OPEN = "open"  # the customer opens the email
BOUNCE = "bounce"  # the customer's mail server returns the email
FIX_ADDRESS = "fix_address"  # the salesperson's activity to fix the address
ANSWER = "answer"  # the customer answers "I need more time"
FOLLOW_UP = "follow_up"  # read, not answered: the salesperson follows up
AT_RISK = "at_risk"  # the renewal is flagged at risk
FORWARD = "forward"  # silence brings the next stage forward
CALL = "call"  # after the last stage: the salesperson calls

# The daily pass runs early in the day (UTC); a stage due on a day is
# planned then.
PASS_HOUR = 6
# When the simulated customer reacts, after a reminder reaches them.
OPEN_AFTER = timedelta(hours=2)
BOUNCE_AFTER = timedelta(minutes=5)
ANSWER_AFTER = timedelta(hours=6)

Stage = namedtuple("Stage", ["days", "channels"])
Setup = namedtuple(
    "Setup",
    [
        "cycle_end",  # date
        "stages",  # [Stage], any order
        "tz",  # the customer's time zone name
        "openings",  # [renewal_timing.Opening] ahead; None: any time
        "blackouts",  # [renewal_timing.Blackout]
        "preferred_hour",  # the customer's usual reading hour, or None
        "delays",  # renewal_escalation.Delays
        "fallback_channel",  # or None
        "reachable",  # {channel: True/False}
        "backup",  # the customer has a backup contact with an email
        "grace_days",  # days "more time" moves the remaining stages
    ],
)
Event = namedtuple("Event", ["at", "kind", "days", "channel", "detail"])


def _pass_moment(day):
    return datetime.combine(day, time(PASS_HOUR), tzinfo=UTC)


class _Cycle:
    """One simulated cycle: the customer's state and the events so far."""

    def __init__(self, setup, scenario):
        self.setup = setup
        self.scenario = scenario
        self.events = []
        self.grace = 0
        self.answered = False
        self.customer_bounced = False
        self.fix_planned = False
        self.at_risk = False
        self.forward_at = None

    def add(self, at, kind, days, channel=None, detail=None):
        self.events.append(Event(at, kind, days, channel, detail))

    def day_of(self, stage):
        """The day ``stage`` falls on, moved by a request for more time."""
        return self.setup.cycle_end - timedelta(days=stage.days - self.grace)

    def leave(self, at, days, channel, kind=SEND, detail=None):
        """A message of stage ``days`` leaves on ``channel`` at the first
        allowed moment from ``at``; returns that moment."""
        setup = self.setup
        found = renewal_timing.first_moment(
            setup.openings, at, setup.preferred_hour, setup.tz, setup.blackouts
        )
        moment = found.at if found else at.astimezone(UTC)
        self.add(moment, kind, days, channel, detail or (found and found.reason))
        return moment

    def send_stage(self, stage, planned):
        """Send ``stage`` at ``planned`` on each of its channels; returns
        (first moment sent, channels that reached the customer, email moment)."""
        sent_at, left, email_at = None, [], None
        for channel in stage.channels:
            to_backup = (
                channel == "email" and self.customer_bounced and self.setup.backup
            )
            if not self.setup.reachable.get(channel) and not to_backup:
                self.add(planned, SKIP, stage.days, channel)
                continue
            moment = self.leave(planned, stage.days, channel)
            if to_backup:
                self.events[-1] = self.events[-1]._replace(detail="backup")
            sent_at = sent_at or moment
            if self.scenario == BOUNCES and channel == "email" and not to_backup:
                self.bounce(moment, stage)
                continue
            left.append(channel)
            if channel == "email":
                email_at = moment
        return sent_at, left, email_at

    def bounce(self, moment, stage):
        self.add(moment + BOUNCE_AFTER, BOUNCE, stage.days, "email")
        self.customer_bounced = True
        if not self.fix_planned:
            self.fix_planned = True
            self.add(moment + BOUNCE_AFTER, FIX_ADDRESS, stage.days)

    def silence(self, stage, sent_at, left, email_at, read_at, following):
        """What silence after ``stage`` leads to, before the next stage's
        own day: the live escalation rules, step by step."""
        setup = self.setup
        next_day = _pass_moment(self.day_of(following[0])) if following else None
        facts = renewal_escalation.ReminderFacts(
            state="opened" if read_at else "sent",
            channel="email" if email_at else left[0],
            sent_at=sent_at,
            read_at=read_at,
            answered=False,
            escalated=False,
            followed_up=False,
            fallen_back=setup.fallback_channel in stage.channels,
            fallback_channel=setup.fallback_channel if email_at else None,
        )
        times = renewal_escalation.step_times(facts, setup.delays)
        for step, at in sorted(times.items(), key=lambda item: item[1]):
            if next_day and at >= next_day:
                continue
            if step == renewal_escalation.STEP_FALLBACK:
                channel = setup.fallback_channel
                if setup.reachable.get(channel):
                    self.leave(at, stage.days, channel, kind=FALLBACK)
                else:
                    self.add(at, SKIP, stage.days, channel, FALLBACK)
            elif step == renewal_escalation.STEP_FOLLOW_UP:
                self.add(at, FOLLOW_UP, stage.days, detail=read_at)
            else:
                if not self.at_risk:
                    self.at_risk = True
                    self.add(at, AT_RISK, stage.days)
                if following:
                    self.add(at, FORWARD, stage.days, detail=following[0].days)
                    self.forward_at = at
                else:
                    self.add(at, CALL, stage.days)

    def run(self, stages, now):
        clock = now
        for index, stage in enumerate(stages):
            planned = max(clock, _pass_moment(self.day_of(stage)))
            if self.forward_at and self.forward_at < planned:
                planned = self.forward_at
            self.forward_at = None
            if planned.date() > self.setup.cycle_end + timedelta(days=self.grace):
                for late in stages[index:]:
                    self.add(planned, EXPIRED, late.days)
                return
            sent_at, left, email_at = self.send_stage(stage, planned)
            clock = sent_at or planned
            if sent_at is None or self.answered or not left:
                continue
            read_at = None
            if self.scenario == OPENS_NEVER_ANSWERS and email_at:
                read_at = email_at + OPEN_AFTER
                self.add(read_at, OPEN, stage.days, "email")
            if self.scenario == MORE_TIME_AT_2 and index == 1:
                self.add(
                    sent_at + ANSWER_AFTER,
                    ANSWER,
                    stage.days,
                    detail=self.setup.grace_days,
                )
                self.answered = True
                self.grace = self.setup.grace_days
                continue
            self.silence(stage, sent_at, left, email_at, read_at, stages[index + 1 :])


def simulate(setup, scenario, now):
    """The dated events of ``setup``'s cycle from ``now`` (an aware
    datetime) on, in time order, when the customer behaves as
    ``scenario`` says."""
    stages = sorted(setup.stages, key=lambda stage: -stage.days)
    end = setup.cycle_end
    if not end or not stages:
        return []
    now = now.astimezone(UTC)
    today = now.date()
    cycle = _Cycle(setup, scenario)
    # A cycle entered late: only the latest stage due goes, the others are
    # superseded (the daily pass's own rule).
    due = renewal_rules.due_stages(today, end, [stage.days for stage in stages])
    for days in due.superseded:
        cycle.add(now, SUPERSEDED, days, detail=due.send)
    if due.send is not None:
        stages = [stage for stage in stages if stage.days <= due.send]
    elif today > end:
        return []
    cycle.run(stages, now)
    return sorted(cycle.events, key=lambda event: event.at)
