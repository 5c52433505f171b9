"""The renewal rules, tested without Odoo.

The module is loaded from its file, so these tests run on a machine that has
no Odoo at all.
"""

import importlib.util
from datetime import date
from pathlib import Path

import pytest

RULES_PATH = (
    Path(__file__).resolve().parents[1]
    / "renewal_reminder"
    / "tools"
    / "renewal_rules.py"
)
_spec = importlib.util.spec_from_file_location("renewal_rules", RULES_PATH)
rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rules)

Candidate = rules.PolicyCandidate


@pytest.mark.parametrize(
    "rule_type, interval, expected",
    [
        ("monthly", 1, "monthly"),
        ("monthlylastday", 2, "monthly"),
        ("weekly", 4, "monthly"),
        ("daily", 30, "monthly"),
        ("monthly", 3, "quarterly"),
        ("quarterly", 1, "quarterly"),
        ("semesterly", 1, "quarterly"),
        ("monthly", 12, "yearly"),
        ("quarterly", 4, "yearly"),
        ("yearly", 1, "yearly"),
        ("yearly", 2, "yearly"),
        (None, 0, "monthly"),
    ],
)
def test_billing_rhythm_follows_the_length_of_one_period(rule_type, interval, expected):
    assert rules.billing_rhythm(rule_type, interval) == expected


def test_a_contract_renews_at_the_pace_of_its_longest_line():
    assert (
        rules.longest_rhythm([("monthly", 1), ("yearly", 1), ("quarterly", 1)])
        == "yearly"
    )
    assert rules.longest_rhythm([("monthly", 1), ("monthly", 3)]) == "quarterly"
    assert rules.longest_rhythm([]) == "monthly"


def test_annual_value_of_a_billing_amount():
    assert rules.annual_value(100.0, "monthly", 1) == pytest.approx(1200.0)
    assert rules.annual_value(600.0, "quarterly", 1) == pytest.approx(2400.0)
    assert rules.annual_value(500.0, "quarterly", 1) == pytest.approx(2000.0)
    assert rules.annual_value(9000.0, "yearly", 1) == pytest.approx(9000.0)
    assert rules.annual_value(9000.0, "yearly", 3) == pytest.approx(3000.0)
    assert rules.annual_value(None, "monthly") == 0.0


def test_stage_list_problems():
    assert rules.stage_list_problems([30, 15, 3]) == []
    assert rules.stage_list_problems([0]) == []
    assert rules.stage_list_problems([]) == [("empty", None)]
    assert rules.stage_list_problems([30, -2, 3]) == [("negative", -2)]
    assert rules.stage_list_problems([30, 15, 30, 15, 3]) == [
        ("same_day", 15),
        ("same_day", 30),
    ]
    assert rules.stage_list_problems([-1, -1]) == [("negative", -1), ("same_day", -1)]


TIER_GOLD, TIER_STANDARD, COMPANY_A, COMPANY_B = 1, 2, 10, 20
ANY = Candidate(1, None, None, 0.0, None, 50)
GOLD = Candidate(2, TIER_GOLD, None, 0.0, None, 20)
GOLD_YEARLY = Candidate(3, TIER_GOLD, "yearly", 0.0, None, 20)
GOLD_YEARLY_BIG = Candidate(4, TIER_GOLD, "yearly", 10000.0, None, 20)
YEARLY = Candidate(5, None, "yearly", 0.0, None, 20)
GOLD_COMPANY_B = Candidate(6, TIER_GOLD, None, 0.0, COMPANY_B, 20)
ALL = [ANY, GOLD, GOLD_YEARLY, GOLD_YEARLY_BIG, YEARLY, GOLD_COMPANY_B]


@pytest.mark.parametrize(
    "tier, rhythm, value, company, expected",
    [
        (TIER_GOLD, "yearly", 12000.0, COMPANY_A, GOLD_YEARLY_BIG),
        (TIER_GOLD, "yearly", 9999.0, COMPANY_A, GOLD_YEARLY),
        (TIER_GOLD, "monthly", 50000.0, COMPANY_A, GOLD),
        (TIER_GOLD, "monthly", 100.0, COMPANY_B, GOLD_COMPANY_B),
        (TIER_STANDARD, "yearly", 100.0, COMPANY_A, YEARLY),
        (TIER_STANDARD, "quarterly", 100.0, COMPANY_A, ANY),
        (None, "monthly", 0.0, COMPANY_A, ANY),
    ],
)
def test_the_most_specific_matching_policy_wins(tier, rhythm, value, company, expected):
    assert rules.choose_policy(ALL, tier, rhythm, value, company) == expected


def test_no_policy_when_nothing_matches():
    assert (
        rules.choose_policy(
            [GOLD, GOLD_YEARLY_BIG], TIER_STANDARD, "yearly", 1e6, COMPANY_A
        )
        is None
    )
    assert rules.choose_policy([], TIER_GOLD, "yearly", 1e6, COMPANY_A) is None


def test_sequence_breaks_a_tie_between_equally_specific_policies():
    first = Candidate(7, TIER_GOLD, None, 0.0, None, 1)
    second = Candidate(8, TIER_GOLD, None, 0.0, None, 2)
    assert (
        rules.choose_policy([second, first], TIER_GOLD, "monthly", 0.0, COMPANY_A)
        == first
    )


def test_next_reminder_date_is_the_earliest_stage_not_handled():
    end = date(2026, 12, 31)
    assert rules.next_reminder_date(end, [30, 15, 3]) == date(2026, 12, 1)
    assert rules.next_reminder_date(end, [30, 15, 3], handled={30}) == date(
        2026, 12, 16
    )
    assert rules.next_reminder_date(end, [30, 15, 3], handled={30, 15, 3}) is None
    assert rules.next_reminder_date(None, [30]) is None
    assert rules.next_reminder_date(end, []) is None


def test_due_stages_sends_only_the_latest_stage_due():
    end = date(2026, 12, 31)
    offsets = [30, 15, 3]
    # Nothing due before the first stage's day.
    assert rules.due_stages(date(2026, 11, 30), end, offsets) == (None, [])
    # On the first stage's day, that stage goes.
    assert rules.due_stages(date(2026, 12, 1), end, offsets) == (30, [])
    # A contract that enters its window 10 days before the end gets only the
    # 15-day stage; the 30-day one is superseded, not fired in a burst.
    assert rules.due_stages(date(2026, 12, 21), end, offsets) == (15, [30])
    # Once the 30-day stage went out, the 15-day one comes alone.
    assert rules.due_stages(date(2026, 12, 16), end, offsets, handled={30}) == (15, [])
    # A server down for weeks catches up with the last stage only.
    assert rules.due_stages(date(2026, 12, 30), end, offsets) == (3, [30, 15])
    # Everything handled: nothing to do.
    assert rules.due_stages(date(2026, 12, 30), end, offsets, handled={30, 15, 3}) == (
        None,
        [],
    )
    # No reminder once the cycle has ended.
    assert rules.due_stages(date(2027, 1, 1), end, offsets) == (None, [])


def test_days_left():
    assert rules.days_left(date(2026, 11, 25), date(2026, 12, 25)) == 30
    assert rules.days_left(date(2026, 11, 25), date(2026, 11, 20)) == -5
    assert rules.days_left(date(2026, 11, 25), None) is None


def test_policy_summary():
    assert (
        rules.policy_summary("Gold", "yearly", ">= 10,000") == "Gold, yearly, >= 10,000"
    )
    assert rules.policy_summary("Gold", None, None) == "Gold"
    assert rules.policy_summary(None, None, None) is None


def _recipient(**values):
    base = {
        "email": "a@example.com",
        "opted_out": False,
        "blacklisted": False,
        "active": True,
        "company_id": None,
    }
    base.update(values)
    return rules.RecipientCheck(**base)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({}, None),
        ({"company_id": 1}, None),
        ({"email": ""}, "no_email"),
        ({"email": "  "}, "no_email"),
        ({"email": False}, "no_email"),
        ({"opted_out": True}, "opted_out"),
        ({"opted_out": True, "email": ""}, "opted_out"),
        ({"blacklisted": True}, "blacklisted"),
        ({"active": False}, "archived_partner"),
        ({"company_id": 2}, "other_company"),
    ],
)
def test_recipient_problem(values, expected):
    assert rules.recipient_problem(_recipient(**values), 1) == expected


def test_leftover_placeholders():
    assert rules.leftover_placeholders("Your contract ends", "<p>Dear Ann</p>") == []
    assert rules.leftover_placeholders(
        "Ends on {{ object.date_end }}", "<p>ok</p>"
    ) == ["{{", "}}", "object."]
    assert rules.leftover_placeholders("Hi ${name}", "<p t-out='x'/>") == [
        "${",
        "t-out",
    ]
    assert rules.leftover_placeholders("", "<p>ok</p>") == ["empty"]
    assert rules.leftover_placeholders("Subject", None) == ["empty"]


def test_template_markers_name_each_marker_once():
    assert rules.template_markers("Dear ", None, "") == []
    assert rules.template_markers("Hi ${name}", "{{ x }} and {{ y }}") == [
        "${",
        "{{",
        "}}",
    ]


def test_markers_the_rendering_put_there_are_data_not_leftovers():
    # The customer calls themselves "Pat {{ renewals }}": rendered, then sent.
    rendered = ["Renewal for Pat {{ renewals }}", "Dear Pat {{ renewals }}"]
    assert rules.unexplained_markers(rendered, rendered) == []
    # The person editing the message typed a placeholder of their own.
    edited = ["Renewal for Pat {{ renewals }}", "Dear ${first_name}"]
    assert rules.unexplained_markers(edited, rendered) == ["${"]
    # Editing a data marker away leaves nothing to refuse.
    assert rules.unexplained_markers(["Renewal", "Dear Pat"], rendered) == []


def test_a_stage_handled_in_the_cycle_is_done_whatever_its_days_now():
    # The 30-day stage (id 2) was sent, then moved to 31 days.
    stages = [(1, 60), (2, 31), (3, 15)]
    assert rules.pending_stages(stages, [(1, 60), (2, 30)]) == [(3, 15)]


def test_a_stage_deleted_and_added_again_is_not_sent_twice():
    # Stage 2 (30 days) was sent and deleted; stage 4 is added on 30 days.
    stages = [(1, 60), (4, 30), (3, 15)]
    assert rules.pending_stages(stages, [(1, 60), (None, 30)]) == [(3, 15)]


def test_a_new_policy_mid_cycle_starts_after_the_last_reminder():
    stages = [(7, 45), (8, 20), (9, 5)]
    assert rules.pending_stages(stages, [(2, 30)]) == [(8, 20), (9, 5)]
    assert rules.pending_stages(stages, []) == stages


def test_the_cycle_plan_sends_the_latest_due_stage_and_replaces_a_held_one():
    stages = [(1, 60), (2, 30), (3, 15), (4, 7)]
    today, end = date(2027, 3, 16), date(2027, 3, 31)
    # 30 days held for review; 15 falls due: it replaces the held reminder.
    plan = rules.cycle_plan(today, end, stages, [(1, 60), (2, 30)], held=[41])
    assert plan == rules.CyclePlan(3, [], [], [41])
    # Nothing due: the held one stays.
    plan = rules.cycle_plan(date(2027, 3, 10), end, stages, [(1, 60), (2, 30)], [41])
    assert plan == rules.CyclePlan(None, [], [], [])
    # Late entrant: only the latest stage goes, the earlier are superseded.
    plan = rules.cycle_plan(today, end, stages, [])
    assert plan == rules.CyclePlan(3, [1, 2], [], [])
    # The cycle is over: what was never sent expired.
    plan = rules.cycle_plan(date(2027, 4, 2), end, stages, [(1, 60)])
    assert plan == rules.CyclePlan(None, [], [2, 3, 4], [])


def test_a_cycle_that_ended_before_the_first_day_is_history():
    assert rules.ended_before(date(2026, 12, 15), date(2027, 1, 1))
    assert not rules.ended_before(date(2027, 1, 20), date(2027, 1, 1))
    assert not rules.ended_before(date(2026, 12, 15), None)
    assert not rules.ended_before(None, date(2027, 1, 1))


def test_the_renewal_state_says_where_a_renewal_stands():
    end = date(2027, 3, 31)
    assert rules.renewal_state(None, None, None, []) == "no_end_date"
    assert rules.renewal_state(end, end, end, ["sent"]) == "lost"
    assert rules.renewal_state(end, None, date(2026, 3, 31), []) == "renewed"
    assert rules.renewal_state(end, None, end, ["sent", "review"]) == "review"
    assert rules.renewal_state(end, None, end, ["bounced"]) == "reminding"
    assert rules.renewal_state(end, None, end, ["skipped"]) == "upcoming"
    assert rules.renewal_state(end, None, None, []) == "upcoming"
    # A lost cycle that was renewed after all counts as the new cycle.
    assert rules.renewal_state(end, date(2026, 3, 31), end, []) == "upcoming"


def test_a_mail_server_out_of_reach_is_tried_again_up_to_the_limit():
    assert rules.delivery_retry(True, 0, 3) == (True, 1)
    assert rules.delivery_retry(True, 1, 3) == (True, 2)
    assert rules.delivery_retry(True, 2, 3) == (False, 3)
    # A refused address is final at once.
    assert rules.delivery_retry(False, 0, 3) == (False, 1)


def test_a_due_reminder_is_skipped_held_or_sent():
    assert rules.send_decision("opted_out", True, True) == "skipped"
    assert rules.send_decision(None, True, False) == "review"
    assert rules.send_decision(None, False, True) == "review"
    assert rules.send_decision(None, False, False) == "scheduled"


def test_an_end_passed_without_renewal_is_lapsed():
    end = date(2027, 3, 31)
    assert rules.renewal_state(end, None, end, ["sent"], date(2027, 4, 1)) == "lapsed"
    assert rules.renewal_state(end, None, end, ["sent"], end) == "reminding"
    assert rules.renewal_state(end, end, end, [], date(2027, 4, 1)) == "lost"
