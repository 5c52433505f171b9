"""A reminder plan, tested without Odoo."""

import importlib.util
from pathlib import Path

import pytest

PLAN_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_plan.py"
)
_spec = importlib.util.spec_from_file_location("renewal_plan", PLAN_PATH)
renewal_plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(renewal_plan)
ReminderPlan = renewal_plan.ReminderPlan


def test_a_new_plan_is_to_be_sent_by_the_daily_pass():
    plan = ReminderPlan(contract="C1")
    assert (plan.state, plan.trigger, plan.channel) == ("scheduled", "scheduler", None)
    assert plan.sent_values == {} and plan.extra == {}


def test_plans_do_not_share_what_their_channels_record():
    first, second = ReminderPlan(contract="C1"), ReminderPlan(contract="C2")
    first.sent_values["mail_id"] = 7
    first.extra["sms_text"] = "Renew"
    assert second.sent_values == {} and second.extra == {}


def test_a_skipped_or_failed_plan_says_why():
    plan = ReminderPlan(contract="C1").skip("no_email", "Harbor has no address.")
    assert (plan.state, plan.reason_code, plan.reason) == (
        "skipped",
        "no_email",
        "Harbor has no address.",
    )
    plan.fail("render_error", "The template broke.")
    assert (plan.state, plan.reason_code) == ("failed", "render_error")


def test_a_value_a_plan_does_not_have_is_refused():
    plan = ReminderPlan(contract="C1")
    with pytest.raises(AttributeError, match="sms_txt"):
        plan.update(sms_txt="Renew")
    plan.update(state="queued", queued_date="2027-03-01 09:00")
    assert plan.state == "queued"


def test_two_plans_of_one_contract_are_two_plans():
    # Kept apart in lists and dicts, whatever their values.
    first, second = ReminderPlan(contract="C1"), ReminderPlan(contract="C1")
    assert first != second
    assert len({id(first), id(second)}) == 2
