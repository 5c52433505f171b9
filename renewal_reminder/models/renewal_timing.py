"""When each reminder may leave: the customer's clock.

A policy's sending hours are a ``resource.calendar`` read in each customer's
own time zone (the customer's, else the company's); its time off, with the
public holidays every calendar shares, are blackout periods, some of them
for customers of given industries only. The time arithmetic is the pure
``tools/renewal_timing.py``; this model gathers its inputs set-based.
"""

from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.tools import format_datetime

from ..tools import renewal_timing

# How far ahead blackout periods are read.
HORIZON_DAYS = 400
# A moment less than this far away is now.
NOW_TOLERANCE = timedelta(minutes=1)


class RenewalTiming(models.AbstractModel):
    _name = "renewal.timing"
    _description = "Renewal Reminder Timing"

    @api.model
    def _windows(self, calendar):
        """The calendar's sending hours as weekday windows (its breaks and
        second-week lines left out)."""
        return [
            renewal_timing.Window(
                int(line.dayofweek), line.hour_from, min(line.hour_to, 24.0)
            )
            for line in calendar.attendance_ids
            if line.day_period != "lunch"
            and line.week_type in (False, "0")
            and not line.display_type
        ]

    @api.model
    def _blackouts(self, calendars, now):
        """{calendar: [(leave, industries)]} of the blackout periods ahead:
        the calendar's time off and the public holidays of all calendars."""
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("resource_id", "=", False),
                    "|",
                    ("calendar_id", "in", calendars.ids),
                    ("calendar_id", "=", False),
                    ("date_to", ">=", now),
                    ("date_from", "<=", now + timedelta(days=HORIZON_DAYS)),
                ]
            )
        )
        return {
            calendar: [
                leave
                for leave in leaves
                if not leave.calendar_id or leave.calendar_id == calendar
            ]
            for calendar in calendars
        }

    @api.model
    def _plan_moments(self, plans, now=None):
        """Give each plan the first moment it may leave (``send_at``, UTC),
        ``send_later`` when that is not now, and ``send_at_reason``."""
        if not plans:
            return
        now = now or fields.Datetime.now()
        policies = self.env["renewal.policy"].union(*(p["policy"] for p in plans))
        calendars = policies.calendar_id
        windows = {calendar: self._windows(calendar) for calendar in calendars}
        blackouts = self._blackouts(calendars, now)
        aware_now = now.replace(tzinfo=UTC)
        for plan in plans:
            contract, policy = plan["contract"], plan["policy"]
            calendar = policy.calendar_id
            if not calendar:
                continue
            recipient = plan.get("recipient")
            tz = (recipient and recipient.tz) or contract._renewal_customer_tz()
            moment = renewal_timing.next_send_moment(
                aware_now,
                tz,
                windows[calendar],
                self._customer_blackouts(blackouts[calendar], contract),
                preferred_hour=self._preferred_hour(contract, policy),
            )
            plan.update(self._moment_values(moment, tz, aware_now))

    @api.model
    def _customer_blackouts(self, leaves, contract):
        """The blackout periods among ``leaves`` that apply to the
        contract's customer (all, or those of the customer's industry)."""
        industry = contract.partner_id.commercial_partner_id.industry_id
        return [
            renewal_timing.Blackout(
                leave.date_from.replace(tzinfo=UTC),
                leave.date_to.replace(tzinfo=UTC),
                leave.name or "",
            )
            for leave in leaves
            # A company's holidays are its own customers' blackouts.
            if (not leave.company_id or leave.company_id == contract.company_id)
            and (
                not leave.renewal_industry_ids or industry in leave.renewal_industry_ids
            )
        ]

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
