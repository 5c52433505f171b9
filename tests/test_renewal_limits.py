"""The limits of the renewal configuration, tested without Odoo.

The module is loaded from its file, so these tests run on a machine that has
no Odoo at all.
"""

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest

LIMITS_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_limits.py"
)
_spec = importlib.util.spec_from_file_location("renewal_limits", LIMITS_PATH)
limits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(limits)


def test_the_module_imports_no_odoo():
    source = LIMITS_PATH.read_text(encoding="utf-8")
    assert "import odoo" not in source
    assert "from odoo" not in source


@pytest.mark.parametrize(
    "days, allowed",
    [
        (0, True),
        (3, True),
        (3660, True),
        (3661, False),
        (700_000, False),
        (1_000_000, False),
        (-1, False),
        (None, False),
        (True, False),
        (30.5, False),
    ],
)
def test_a_stage_falls_from_0_to_3660_days_before_the_end(days, allowed):
    assert limits.days_before_allowed(days) is allowed


def test_the_furthest_stage_is_dated_on_any_real_end_date():
    # A million days before 2027 is before year 1: the bound keeps far from it.
    with pytest.raises(OverflowError):
        date(2027, 3, 31) - timedelta(days=1_000_000)
    assert (date(2027, 3, 31) - timedelta(days=limits.MAX_DAYS_BEFORE)).year == 2017
    assert limits.MAX_DAYS_BEFORE >= 10 * 365


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, (100, None)),
        (False, (100, None)),
        ("", (100, None)),
        ("  ", (100, None)),
        ("250", (250, None)),
        (" 250 ", (250, None)),
        (250, (250, None)),
        ("1", (1, None)),
        ("1000", (1000, None)),
        ("0", (100, limits.BATCH_SIZE_INVALID)),
        ("-1", (100, limits.BATCH_SIZE_INVALID)),
        ("abc", (100, limits.BATCH_SIZE_INVALID)),
        ("2.5", (100, limits.BATCH_SIZE_INVALID)),
        ("1e3", (100, limits.BATCH_SIZE_INVALID)),
        ("1001", (1000, limits.BATCH_SIZE_TOO_LARGE)),
        ("5000", (1000, limits.BATCH_SIZE_TOO_LARGE)),
    ],
)
def test_a_stored_batch_size_is_read_safely(raw, expected):
    assert limits.parse_batch_size(raw) == expected


@pytest.mark.parametrize(
    "size, allowed",
    [(1, True), (100, True), (1000, True), (0, False), (-1, False), (1001, False)],
)
def test_a_batch_size_is_saved_from_1_to_1000(size, allowed):
    assert limits.batch_size_allowed(size) is allowed


@pytest.mark.parametrize(
    "count, allowed",
    [(1, True), (16, True), (0, False), (17, False), (100, False), (-3, False)],
)
def test_parallel_passes_are_saved_from_1_to_16(count, allowed):
    assert limits.parallel_passes_allowed(count) is allowed


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, 1),
        (False, 1),
        ("abc", 1),
        (0, 1),
        (-4, 1),
        ("3", 3),
        (16, 16),
        ("100", 16),
        (100, 16),
    ],
)
def test_the_passes_that_run_stay_within_the_bounds(raw, expected):
    assert limits.parallel_passes(raw) == expected


@pytest.mark.parametrize(
    "rate, allowed",
    [
        (0, True),
        (0.0, True),
        (85.0, True),
        (100, True),
        (-5.0, False),
        (100.5, False),
        (float("nan"), False),
        (float("inf"), False),
        ("85", False),
        (None, False),
    ],
)
def test_the_renewal_target_is_a_percentage(rate, allowed):
    assert limits.target_rate_allowed(rate) is allowed


def test_delivery_attempts_are_bounded():
    assert limits.delivery_attempts(None) == limits.DEFAULT_DELIVERY_ATTEMPTS
    assert limits.delivery_attempts("abc") == limits.DEFAULT_DELIVERY_ATTEMPTS
    assert limits.delivery_attempts("5") == 5
    assert limits.delivery_attempts(-4) == 1
    assert limits.delivery_attempts(10**9) == limits.MAX_DELIVERY_ATTEMPTS


def test_the_stored_target_rate_is_read_within_its_bounds():
    assert limits.target_rate(None) == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate("") == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate("abc") == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate("nan") == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate("inf") == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate(True) == limits.DEFAULT_TARGET_RATE
    assert limits.target_rate("90") == 90.0
    assert limits.target_rate("87.5") == 87.5
    assert limits.target_rate(-5) == 0.0
    assert limits.target_rate("1e9") == 100.0


def test_the_retention_of_reminder_texts_is_bounded():
    assert limits.body_retention_days(None) == limits.DEFAULT_BODY_RETENTION_DAYS
    assert limits.body_retention_days("x") == limits.DEFAULT_BODY_RETENTION_DAYS
    assert limits.body_retention_days("-5") == limits.MIN_BODY_RETENTION_DAYS
    assert limits.body_retention_days(10**9) == limits.MAX_BODY_RETENTION_DAYS
    assert limits.body_retention_days("90") == 90
    assert not limits.body_retention_allowed(29)
    assert limits.body_retention_allowed(30)
    assert not limits.body_retention_allowed(True)


def test_grace_and_renewal_term_are_bounded():
    assert limits.grace_days_allowed(0) and limits.grace_days_allowed(90)
    assert not limits.grace_days_allowed(-1) and not limits.grace_days_allowed(91)
    assert limits.renewal_term_allowed(1) and limits.renewal_term_allowed(120)
    assert not limits.renewal_term_allowed(0) and not limits.renewal_term_allowed(10**6)
