"""Pure limits of the renewal configuration: what a setting may hold.

Nothing in this module imports Odoo. The ORM layer refuses values outside
these bounds with a message, and the daily pass reads what is stored through
the same functions, so a value written around the forms (a system parameter
edited by hand, an import) falls back on a safe one instead of breaking it.
"""

# A stage falls at most this many days before the contract's end: about ten
# years, longer than any renewal notice, and far from the dates a calendar
# cannot hold (a million days before 2027 is before year 1).
MAX_DAYS_BEFORE = 3660

# Contracts one batch of the daily pass handles. Odoo writes at most 100 rows
# per INSERT or UPDATE, so the default keeps every statement of a batch
# single; a thousand keeps a batch's row locks and time short.
DEFAULT_BATCH_SIZE = 100
MIN_BATCH_SIZE = 1
MAX_BATCH_SIZE = 1000

# Copies of the daily pass's scheduled action, one per cron worker.
MIN_PARALLEL_PASSES = 1
MAX_PARALLEL_PASSES = 16

# The renewal target is a share of contracts, in percent.
MIN_TARGET_RATE = 0.0
MAX_TARGET_RATE = 100.0

# Why a stored batch size was not used as it is.
BATCH_SIZE_INVALID = "invalid"
BATCH_SIZE_TOO_LARGE = "too_large"


def _whole_number(value):
    """``value`` as an int when it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def days_before_allowed(days):
    """Whether a stage may fall ``days`` days before the end date."""
    days = _whole_number(days)
    return days is not None and 0 <= days <= MAX_DAYS_BEFORE


def batch_size_allowed(size):
    """Whether ``size`` may be saved as the batch size."""
    size = _whole_number(size)
    return size is not None and MIN_BATCH_SIZE <= size <= MAX_BATCH_SIZE


def parse_batch_size(raw):
    """The batch size the pass uses for a stored value, and what was wrong.

    Returns ``(size, problem)``. A missing value gives the default without a
    problem; a value that is not a whole number of at least one gives the
    default with ``BATCH_SIZE_INVALID`` ("0" or "-1" would make the pass do
    nothing or fail, "abc" cannot be read); one above the maximum gives the
    maximum with ``BATCH_SIZE_TOO_LARGE``.
    """
    if raw is None or raw is False or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_BATCH_SIZE, None
    size = _whole_number(raw)
    if size is None or size < MIN_BATCH_SIZE:
        return DEFAULT_BATCH_SIZE, BATCH_SIZE_INVALID
    if size > MAX_BATCH_SIZE:
        return MAX_BATCH_SIZE, BATCH_SIZE_TOO_LARGE
    return size, None


def parallel_passes_allowed(count):
    """Whether ``count`` may be saved as the number of parallel passes."""
    count = _whole_number(count)
    return count is not None and MIN_PARALLEL_PASSES <= count <= MAX_PARALLEL_PASSES


def parallel_passes(raw):
    """How many copies of the pass run for a stored value, within the bounds.

    Missing or unreadable values run one pass.
    """
    count = _whole_number(raw)
    if count is None:
        return MIN_PARALLEL_PASSES
    return min(max(count, MIN_PARALLEL_PASSES), MAX_PARALLEL_PASSES)


def target_rate_allowed(rate):
    """Whether ``rate`` (a percentage) may be saved as the renewal target."""
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return False
    return MIN_TARGET_RATE <= rate <= MAX_TARGET_RATE


# A customer's "more time" moves the remaining stages at most this long.
MAX_GRACE_DAYS = 90
# A self-service renewal extends a contract by at most ten years at once.
MAX_RENEWAL_TERM_MONTHS = 120


def grace_days_allowed(days):
    """Whether ``days`` may be saved as a policy's grace period."""
    days = _whole_number(days)
    return days is not None and 0 <= days <= MAX_GRACE_DAYS


def renewal_term_allowed(months):
    """Whether ``months`` may be saved as a policy's self-service term."""
    months = _whole_number(months)
    return months is not None and 1 <= months <= MAX_RENEWAL_TERM_MONTHS


# How long silence or an unanswered reading waits before it escalates, in
# hours: at least an hour, at most two months.
MIN_ESCALATION_HOURS = 1
MAX_ESCALATION_HOURS = 24 * 60
# Learned timing brings a cycle's first reminder forward at most this long.
MAX_ADVANCE_DAYS = 90


def escalation_hours_allowed(hours):
    """Whether ``hours`` may be saved as a policy's escalation delay."""
    hours = _whole_number(hours)
    return hours is not None and MIN_ESCALATION_HOURS <= hours <= MAX_ESCALATION_HOURS


def advance_days_allowed(days):
    """Whether ``days`` may be saved as a policy's learned-timing bound."""
    days = _whole_number(days)
    return days is not None and 0 <= days <= MAX_ADVANCE_DAYS


# Days the rendered text of a closed reminder is kept (the chatter keeps
# what was sent); at least a month, at most ten years.
DEFAULT_BODY_RETENTION_DAYS = 365
MIN_BODY_RETENTION_DAYS = 30
MAX_BODY_RETENTION_DAYS = 3650


def body_retention_allowed(days):
    """Whether ``days`` may be saved as the retention of rendered texts."""
    days = _whole_number(days)
    return (
        days is not None and MIN_BODY_RETENTION_DAYS <= days <= MAX_BODY_RETENTION_DAYS
    )


def body_retention_days(raw):
    """The retention the autovacuum uses for a stored value, within bounds."""
    days = _whole_number(raw)
    if days is None:
        return DEFAULT_BODY_RETENTION_DAYS
    return min(max(days, MIN_BODY_RETENTION_DAYS), MAX_BODY_RETENTION_DAYS)


DEFAULT_TARGET_RATE = 85.0


def target_rate(raw):
    """The renewal target (percent) for a stored value, within the bounds.

    Missing or unreadable values give the default; "NaN" and infinities too.
    """
    if raw is None or raw is False or isinstance(raw, bool):
        return DEFAULT_TARGET_RATE
    try:
        rate = float(raw)
    except (TypeError, ValueError):
        return DEFAULT_TARGET_RATE
    if rate != rate or rate in (float("inf"), float("-inf")):
        return DEFAULT_TARGET_RATE
    return min(max(rate, MIN_TARGET_RATE), MAX_TARGET_RATE)


DEFAULT_DELIVERY_ATTEMPTS = 3
MAX_DELIVERY_ATTEMPTS = 10


def delivery_attempts(raw):
    """How many times in all an email is tried when the mail server cannot
    be reached, for a stored value: missing or unreadable gives the default,
    and the count is kept between 1 and the maximum."""
    count = _whole_number(raw)
    if count is None:
        return DEFAULT_DELIVERY_ATTEMPTS
    return min(max(count, 1), MAX_DELIVERY_ATTEMPTS)
