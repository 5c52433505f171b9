"""When each reminder may leave: the customer's clock.

A policy's sending hours are a ``resource.calendar`` read in each customer's
own time zone (the customer's, else the company's) by the calendar's own
interval methods, so that two-week calendars, attendances valid between two
dates and flexible hours mean what they mean everywhere in Odoo. The
calendar's time off, with the public holidays every calendar shares, are
blackout periods, some of them for customers of given industries only.
Picking the moment in those intervals is the pure
``tools/renewal_timing.py``; this model asks the calendar set-based, once
per calendar, time zone, company and industry. What a customer's past
cycles teach (their answer delay, the hour they read at) is learned here too.
"""

import math
import statistics
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import format_datetime

from ..tools import renewal_timing

# How far ahead the sending hours and blackout periods are read.
HORIZON_DAYS = 400
# A moment less than this far away is now.
NOW_TOLERANCE = timedelta(minutes=1)


class RenewalTiming(models.AbstractModel):
    _name = "renewal.timing"
    _description = "Renewal Reminder Timing"

    @api.model
    def _zone_name(self, tz):
        """``tz`` when it names a time zone, else UTC."""
        return tz if tz in pytz.all_timezones_set else "UTC"

    @api.model
    def _openings(self, calendar, tz, start, end):
        """The calendar's sending hours from ``start`` to ``end`` (aware
        datetimes) on the clock of ``tz``, as ``(start, end)`` pairs.

        The calendar reads its attendances itself: the week type of a
        two-week calendar, the lines' date ranges, breaks left out. A
        calendar with flexible hours has no fixed hours: it is open all
        along, as Odoo reads it for the people who work on it.
        """
        if end <= start:
            return []
        if calendar.flexible_hours:
            return [renewal_timing.Opening(start, end)]
        intervals = calendar.sudo()._attendance_intervals_batch(
            start, end, tz=pytz.timezone(tz)
        )[False]
        return [
            renewal_timing.Opening(begin, stop) for begin, stop, _lines in intervals
        ]

    @api.model
    def _blackouts(self, calendar, tz, start, end, company, industry):
        """The blackout periods from ``start`` to ``end`` of the customers
        of ``company`` in ``industry``: the calendar's time off and the
        public holidays of all calendars, the company's own (or of no
        company), for every customer or for those of the industry."""
        if end <= start:
            return []
        industries = [("renewal_industry_ids", "=", False)]
        if industry:
            industries = [
                "|",
                *industries,
                ("renewal_industry_ids", "in", industry.ids),
            ]
        intervals = calendar.sudo()._leave_intervals_batch(
            start,
            end,
            domain=[
                ("time_type", "=", "leave"),
                ("company_id", "in", [False, company.id]),
                *industries,
            ],
            tz=pytz.timezone(tz),
        )[False]
        return [
            renewal_timing.Blackout(
                begin, stop, max(leaves, key=lambda leave: leave.date_to).name or ""
            )
            for begin, stop, leaves in intervals
        ]

    @api.model
    def _window_end(self, plan, start):
        """Until when a plan's moment is looked for: the last day of its
        cycle (with the grace the customer was given), within the horizon;
        ``start`` itself is always looked at."""
        horizon = start + timedelta(days=HORIZON_DAYS)
        if not plan.cycle_end:
            return horizon
        last_day = plan.cycle_end + timedelta(days=plan.contract._renewal_grace() + 1)
        end = min(datetime.combine(last_day, time(), tzinfo=UTC), horizon)
        return max(end, start + NOW_TOLERANCE)

    @api.model
    def _plan_moments(self, plans, now=None):
        """Give each plan the first moment it may leave (``send_at``, UTC),
        ``send_later`` when that is not now, and ``send_at_reason``; a plan
        nothing may leave for gets ``no_moment``."""
        if not plans:
            return
        aware_now = (now or fields.Datetime.now()).replace(tzinfo=UTC)
        # Plans that read the same hours on the same clock are one group.
        groups = defaultdict(list)
        for plan in plans:
            contract, policy = plan.contract, plan.policy
            if not policy.calendar_id:
                continue
            recipient = plan.recipient
            tz = self._zone_name(
                (recipient and recipient.tz) or contract._renewal_customer_tz()
            )
            customer = (
                contract.company_id,
                contract.partner_id.commercial_partner_id.industry_id,
            )
            groups[policy.calendar_id, tz].append((plan, customer))
        for (calendar, tz), members in groups.items():
            end = max(self._window_end(plan, aware_now) for plan, _key in members)
            openings = self._openings(calendar, tz, aware_now, end)
            blackouts = {
                key: self._blackouts(calendar, tz, aware_now, end, *key)
                for key in {key for _plan, key in members}
            }
            for plan, key in members:
                moment = renewal_timing.first_moment(
                    openings,
                    aware_now,
                    self._preferred_hour(plan.contract, plan.policy),
                    tz,
                    blackouts[key],
                )
                plan.update(**self._moment_values(moment, tz, aware_now))

    @api.model
    def _preferred_hour(self, contract, policy):
        """The customer's usual reading hour, when the policy learns it."""
        if policy.learn_timing and contract.renewal_timing_hour:
            return contract.renewal_timing_hour
        return None

    @api.model
    def _moment_values(self, moment, tz, aware_now):
        """The plan values of a computed moment (None: nothing allowed)."""
        if moment is None:
            return {"no_moment": True}
        if moment.at - aware_now < NOW_TOLERANCE:
            return {}
        at = moment.at.replace(tzinfo=None)
        when = format_datetime(self.env, at, tz=tz, dt_format="medium")
        texts = {
            renewal_timing.OUTSIDE_HOURS: self.env._(
                "Outside the sending hours in the customer's time zone "
                "(%(tz)s): leaves at %(when)s their time.",
                tz=tz,
                when=when,
            ),
            renewal_timing.BLACKOUT: self.env._(
                "In the blackout period “%(name)s”: leaves at %(when)s the "
                "customer's time (%(tz)s).",
                name=moment.detail or "",
                when=when,
                tz=tz,
            ),
            renewal_timing.PREFERRED_HOUR: self.env._(
                "At the hour the customer usually reads reminders: leaves at "
                "%(when)s their time (%(tz)s).",
                when=when,
                tz=tz,
            ),
        }
        return {
            "send_at": at,
            "send_later": True,
            "send_at_reason": texts.get(moment.reason, False),
        }

    @api.model
    def _learned(self, contract):
        """What the customer's past cycles say of ``contract``'s cycle: the
        first stage brought forward by their usual answer delay (bounded by
        the policy), the hour they usually read at, and why, in words."""
        values = {
            "renewal_timing_advance_days": 0,
            "renewal_timing_hour": 0.0,
            "renewal_timing_reason": False,
        }
        policy = contract.renewal_policy_id
        if not policy.learn_timing:
            return values
        tz = contract._renewal_customer_tz()
        delays, hours = [], []
        by_cycle = defaultdict(list)
        for reminder in contract.renewal_reminder_ids:
            by_cycle[reminder.cycle_end].append(reminder)
            read = reminder.opened_date or reminder.clicked_date
            if read:
                hours.append(renewal_timing.local_hour(read.replace(tzinfo=UTC), tz))
        for cycle_end, reminders in by_cycle.items():
            if (
                not contract.renewal_cycle_end
                or cycle_end >= contract.renewal_cycle_end
            ):
                continue
            sent = [r.sent_date for r in reminders if r.sent_date]
            answered = [r.answer_date for r in reminders if r.answer_date]
            if sent and answered:
                delays.append((min(answered) - min(sent)).total_seconds() / 86400)
        advance, cycles = renewal_timing.learned_advance(
            delays, policy.max_advance_days
        )
        hour = renewal_timing.preferred_hour(hours)
        reasons = []
        if advance:
            reasons.append(
                self.env._(
                    "Over %(cycles)s past cycles the customer took a median of "
                    "%(days)s days to answer: the first reminder goes %(advance)s "
                    "days earlier (the policy allows at most %(max)s).",
                    cycles=cycles,
                    days=math.ceil(statistics.median(d for d in delays if d >= 0)),
                    advance=advance,
                    max=policy.max_advance_days,
                )
            )
        if hour is not None:
            reasons.append(
                self.env._(
                    "They usually read reminders around %(hour)s:00 (%(tz)s): "
                    "reminders leave then, within the sending hours.",
                    hour=f"{int(hour):02d}",
                    tz=tz,
                )
            )
        values.update(
            renewal_timing_advance_days=advance,
            renewal_timing_hour=float(hour) if hour is not None else 0.0,
            renewal_timing_reason="\n".join(reasons) or False,
        )
        return values
