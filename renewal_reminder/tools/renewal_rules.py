"""Pure renewal rules: what to remind, when, and under which policy.

Nothing in this module imports Odoo: the functions take plain values and
return plain values, so they are tested without a database and reused by
the ORM code, which only gathers the inputs set-based and writes results.
"""

from collections import namedtuple
from datetime import timedelta

# How many months one period of each OCA contract recurrence lasts.
MONTHS_PER_RULE = {
    "daily": 1.0 / 30.0,
    "weekly": 7.0 / 30.0,
    "monthly": 1.0,
    "monthlylastday": 1.0,
    "quarterly": 3.0,
    "semesterly": 6.0,
    "yearly": 12.0,
}

RHYTHM_MONTHLY = "monthly"
RHYTHM_QUARTERLY = "quarterly"
RHYTHM_YEARLY = "yearly"

# Problems a stage list can have; the ORM layer turns them into messages.
STAGES_EMPTY = "empty"
STAGES_NEGATIVE = "negative"
STAGES_SAME_DAY = "same_day"

PolicyCandidate = namedtuple(
    "PolicyCandidate",
    ["id", "tier_id", "rhythm", "min_value", "company_id", "sequence"],
)

DueStages = namedtuple("DueStages", ["send", "superseded"])


def billing_rhythm(rule_type, interval=1):
    """Classify one billing period as monthly, quarterly or yearly.

    A period of a year or more is yearly, of three months or more quarterly,
    anything shorter monthly: "every 6 months" bills quarterly or slower, so
    it is handled like a quarterly contract.
    """
    months = period_months(rule_type, interval)
    if months >= 12:
        return RHYTHM_YEARLY
    if months >= 3:
        return RHYTHM_QUARTERLY
    return RHYTHM_MONTHLY


def period_months(rule_type, interval=1):
    """How many months one billing period lasts."""
    return MONTHS_PER_RULE.get(rule_type or "monthly", 1.0) * max(interval or 1, 1)


def annual_value(amount, rule_type, interval=1):
    """What ``amount`` billed every period brings in a year."""
    return (amount or 0.0) * 12.0 / period_months(rule_type, interval)


def longest_rhythm(periods):
    """The rhythm of the longest of several ``(rule_type, interval)`` periods.

    A contract whose lines recur differently renews at the pace of its
    longest commitment.
    """
    best, best_months = RHYTHM_MONTHLY, -1.0
    for rule_type, interval in periods:
        months = period_months(rule_type, interval)
        if months > best_months:
            best, best_months = billing_rhythm(rule_type, interval), months
    return best


def stage_list_problems(offsets):
    """Return the problems of a list of "days before the end" offsets.

    A list of ``(code, day)`` pairs, empty when the list is valid: it must
    hold at least one stage, no negative offset and no two stages on the
    same day.
    """
    offsets = list(offsets)
    if not offsets:
        return [(STAGES_EMPTY, None)]
    problems = [(STAGES_NEGATIVE, day) for day in sorted(set(offsets)) if day < 0]
    seen, repeated = set(), set()
    for day in offsets:
        if day in seen:
            repeated.add(day)
        seen.add(day)
    problems += [(STAGES_SAME_DAY, day) for day in sorted(repeated)]
    return problems


def policy_matches(candidate, tier_id, rhythm, value, company_id):
    """Whether a policy applies to a contract profile.

    An empty criterion on the policy (no tier, no rhythm, no company)
    accepts anything.
    """
    return (
        candidate.tier_id in (None, tier_id)
        and candidate.rhythm in (None, rhythm)
        and (value or 0.0) >= (candidate.min_value or 0.0)
        and candidate.company_id in (None, company_id)
    )


def policy_specificity(candidate):
    """Sort key: the more criteria a policy pins, the more specific it is.

    Tier beats billing rhythm, which beats a higher minimum value, which
    beats the company; the sequence (then the id) breaks the remaining ties,
    lowest first.
    """
    return (
        candidate.tier_id is not None,
        candidate.rhythm is not None,
        candidate.min_value or 0.0,
        candidate.company_id is not None,
        -(candidate.sequence or 0),
        -(candidate.id or 0),
    )


def matching_policies(candidates, tier_id, rhythm, value, company_id):
    """The candidates matching the profile, the most specific first."""
    return sorted(
        (
            candidate
            for candidate in candidates
            if policy_matches(candidate, tier_id, rhythm, value, company_id)
        ),
        key=policy_specificity,
        reverse=True,
    )


def choose_policy(candidates, tier_id, rhythm, value, company_id):
    """The most specific candidate matching the profile, or None."""
    matching = matching_policies(candidates, tier_id, rhythm, value, company_id)
    return matching[0] if matching else None


def pinned_criteria(candidate):
    """Which criteria a policy pins, in the order a person reads them:
    some of ``tier``, ``rhythm``, ``value`` and ``company``."""
    return tuple(
        name
        for name, pinned in (
            ("tier", candidate.tier_id is not None),
            ("rhythm", candidate.rhythm is not None),
            ("value", bool(candidate.min_value)),
            ("company", candidate.company_id is not None),
        )
        if pinned
    )


def stage_date(cycle_end, days_before):
    """The day a stage falls on for a cycle ending on ``cycle_end``."""
    return cycle_end - timedelta(days=days_before)


def next_reminder_date(cycle_end, offsets, handled=()):
    """The earliest day a stage not yet handled falls on, or None.

    ``offsets`` are the policy's "days before the end"; ``handled`` the
    offsets already sent, skipped or superseded in this cycle. The date may
    lie in the past: the contract is then due at once.
    """
    if not cycle_end:
        return None
    handled = set(handled)
    pending = [stage_date(cycle_end, day) for day in offsets if day not in handled]
    return min(pending) if pending else None


def due_stages(today, cycle_end, offsets, handled=()):
    """Which stage to send today and which earlier stages it supersedes.

    Of the stages whose day has come and that were not handled yet, only
    the latest one (the fewest days before the end) is sent; the earlier
    ones are superseded, so a contract that enters its window late, or a
    server that was down for days, never fires a burst of reminders. No
    stage is sent once the cycle has ended.
    """
    if not cycle_end or today > cycle_end:
        return DueStages(None, [])
    handled = set(handled)
    due = sorted(
        (
            day
            for day in set(offsets)
            if day not in handled and stage_date(cycle_end, day) <= today
        ),
        reverse=True,
    )
    if not due:
        return DueStages(None, [])
    return DueStages(due[-1], due[:-1])


def pending_stages(stages, handled):
    """The stages of a cycle still to go out, as ``(stage_id, days_before)``.

    ``stages`` are the policy's stages today; ``handled`` the
    ``(stage_id, days_before)`` of this cycle's reminders already sent,
    held, skipped or closed (``stage_id`` None for a stage deleted since, or
    a reminder sent by hand). A stage is done when its own reminder is
    handled, whatever its days are now (moving a sent 30-day stage to 31
    does not send it again), or when the cycle already reached a reminder as
    close to the end or closer: a stage deleted and added again on the same
    day, or the stages of a policy chosen mid-cycle, never send the customer
    a step they are past.
    """
    done = {stage_id for stage_id, _days in handled if stage_id}
    reached = min((days for _stage_id, days in handled), default=None)
    return [
        (stage_id, days)
        for stage_id, days in stages
        if stage_id not in done and (reached is None or days < reached)
    ]


CyclePlan = namedtuple("CyclePlan", ["send", "superseded", "expired", "held"])


def cycle_plan(today, cycle_end, stages, handled, held=()):
    """What one contract's cycle does today.

    ``stages`` are the policy's ``(stage_id, days_before)``; ``handled`` the
    ``(stage_id, days_before)`` of this cycle's reminders already dealt with
    (see :func:`pending_stages`); ``held`` the ids of this cycle's reminders
    still waiting (for a review). Returns a :class:`CyclePlan` of stage ids:
    ``send`` the stage going out today (or None), ``superseded`` the earlier
    stages it replaces, ``expired`` the stages the cycle ended before, and
    ``held`` the waiting reminders the new stage replaces: one review at a
    time, always of the latest stage.
    """
    pending = pending_stages(stages, handled)
    if not cycle_end:
        return CyclePlan(None, [], [], [])
    if today > cycle_end:
        expired = [stage for stage, _days in sorted(pending, key=lambda s: -s[1])]
        return CyclePlan(None, [], expired, [])
    by_days = {days: stage for stage, days in pending}
    due = due_stages(today, cycle_end, list(by_days))
    if due.send is None:
        return CyclePlan(None, [], [], [])
    return CyclePlan(
        by_days[due.send], [by_days[days] for days in due.superseded], [], list(held)
    )


def ended_before(cycle_end, first_day):
    """Whether a cycle ended before the reminders started (``first_day``)."""
    return bool(cycle_end and first_day and cycle_end < first_day)


STATE_NO_END_DATE = "no_end_date"
STATE_LOST = "lost"
STATE_RENEWED = "renewed"
STATE_REVIEW = "review"
STATE_LAPSED = "lapsed"
STATE_REMINDING = "reminding"
STATE_UPCOMING = "upcoming"
STATE_ACCEPTED = "accepted"
STATE_MORE_TIME = "more_time"

# A reminder of the cycle in one of these states means the customer is being
# (or was being) reminded.
REMINDED_STATES = (
    # Waiting for the customer's sending hours: on its way.
    "scheduled",
    "queued",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "bounced",
    "failed",
)


def renewal_state(
    cycle_end, lost_end, last_reminded_end, cycle_states, today=None, answer=None
):
    """Where a contract's renewal stands.

    ``cycle_end`` is the end the current cycle counts down to, ``lost_end``
    the end of the cycle marked lost, ``last_reminded_end`` the latest end
    any reminder counted down to, ``cycle_states`` the states of this
    cycle's reminders (cancelled ones left out), ``answer`` what the
    customer answered in this cycle (``renew``, ``more_time``,
    ``not_renew`` or None). The end moved past every reminded cycle means
    renewed.
    """
    if not cycle_end:
        return STATE_NO_END_DATE
    if lost_end and lost_end == cycle_end:
        return STATE_LOST
    if last_reminded_end and cycle_end > last_reminded_end:
        return STATE_RENEWED
    if answer == "renew":
        # Accepted, waiting for the salesperson to finalise it.
        return STATE_ACCEPTED
    if today and cycle_end < today:
        # The end passed and nobody moved it: not renewed, not lost either.
        return STATE_LAPSED
    if answer == "more_time":
        return STATE_MORE_TIME
    if "review" in cycle_states:
        return STATE_REVIEW
    if any(state in REMINDED_STATES for state in cycle_states):
        return STATE_REMINDING
    return STATE_UPCOMING


def delivery_retry(temporary, attempts_before, max_attempts):
    """Whether a failed email is tried again, and the attempts it will count.

    ``temporary`` tells a mail server that could not be reached (worth
    another try) from a failure of the address (final).
    """
    attempts = attempts_before + 1
    return bool(temporary and attempts < max_attempts), attempts


# Minutes Odoo's mail queue waits before each new try of an email the mail
# server did not take: soon for a blip, then less often; the last delay
# repeats for any further try.
RETRY_DELAYS_MINUTES = (5, 15, 60)


def retry_delay_minutes(retry):
    """Minutes to wait before try number ``retry`` (1 for the first retry)."""
    index = min(max(retry, 1), len(RETRY_DELAYS_MINUTES)) - 1
    return RETRY_DELAYS_MINUTES[index]


def send_decision(recipient_problem, stage_review, tier_review):
    """What happens to a due reminder: ``skipped`` (nobody may receive it),
    ``review`` (held for the salesperson: the stage or the customer's tier
    asks for it) or ``scheduled`` (it goes out)."""
    if recipient_problem:
        return "skipped"
    if stage_review or tier_review:
        return "review"
    return "scheduled"


def days_left(today, end_date):
    """Days from ``today`` until ``end_date`` (negative once it has passed)."""
    if not end_date:
        return None
    return (end_date - today).days


def policy_summary(tier_name, rhythm_label, min_value_label):
    """A short human explanation of a policy's criteria.

    For instance ``Gold, yearly, >= 10,000``; a criterion the policy leaves
    open is left out. None when the policy pins nothing.
    """
    parts = [part for part in (tier_name, rhythm_label, min_value_label) if part]
    return ", ".join(parts) if parts else None


# Why a due reminder does not go out to the customer.
REASON_NO_EMAIL = "no_email"
REASON_OPTED_OUT = "opted_out"
REASON_BLACKLISTED = "blacklisted"
REASON_ARCHIVED_PARTNER = "archived_partner"
REASON_OTHER_COMPANY = "other_company"

# Text that shows a template was not fully rendered.
PLACEHOLDER_MARKERS = ("{{", "}}", "${", "t-out", "t-esc", "object.")

RecipientCheck = namedtuple(
    "RecipientCheck",
    ["email", "opted_out", "blacklisted", "active", "company_id"],
)


def recipient_problem(recipient, contract_company_id):
    """The reason code a reminder cannot go to ``recipient``, or None.

    ``recipient`` is a :class:`RecipientCheck`; the checks run in the order a
    person would explain them: first whether we may write at all (opt-out,
    blacklist, archived customer, another company's customer), then whether
    we can (an email address).
    """
    if recipient.opted_out:
        return REASON_OPTED_OUT
    if recipient.blacklisted:
        return REASON_BLACKLISTED
    if not recipient.active:
        return REASON_ARCHIVED_PARTNER
    if recipient.company_id and recipient.company_id != contract_company_id:
        return REASON_OTHER_COMPANY
    if not (recipient.email or "").strip():
        return REASON_NO_EMAIL
    return None


def template_markers(*texts):
    """The template markers found in ``texts``, each named once, in order."""
    found = []
    for text in texts:
        for marker in PLACEHOLDER_MARKERS:
            if marker in (text or "") and marker not in found:
                found.append(marker)
    return found


def leftover_placeholders(*texts):
    """The template markers present in ``texts``; an empty text is ``empty``.

    Used on a template's own words (what is not an expression): a marker
    there reaches the customer as it is. Values the template substitutes
    (a customer named "Pat {{ x }}") are the customer's data, not leftovers,
    and are never given to this function.
    """
    found = []
    if any(not (text or "").strip() for text in texts):
        found.append("empty")
    return found + template_markers(*texts)


def unexplained_markers(final_texts, rendered_texts):
    """Markers in what a person is about to send that the rendering did not put there.

    A person editing a rendered message may leave a marker the template
    produced from the customer's data: that one is data. A marker that is in
    the final text but nowhere in the rendered one came from the editing.
    """
    allowed = set(template_markers(*rendered_texts))
    return [
        marker for marker in template_markers(*final_texts) if marker not in allowed
    ]
