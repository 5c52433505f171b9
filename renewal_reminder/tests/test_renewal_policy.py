from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalPolicy(RenewalCommon):
    def _offsets(self, policy):
        return policy.stage_ids.sorted("sequence").mapped("days_before")

    def test_out_of_the_box_stages(self):
        self.assertEqual(self._offsets(self.policy_standard), [30, 15, 3])
        self.assertEqual(self._offsets(self.policy_gold), [45, 30, 15, 7])
        self.assertEqual(self._offsets(self.policy_standard_yearly)[0], 60)
        self.assertEqual(self._offsets(self.policy_strategic_yearly)[0], 90)
        self.assertEqual(
            self.policy_standard.stage_ids.sorted("sequence").mapped("tone"),
            ["gentle", "warning", "final"],
        )
        self.assertTrue(
            all(self.policy_strategic_yearly.stage_ids.mapped("review_required"))
        )
        self.assertTrue(self.tier_strategic.review_required)
        self.assertEqual(self.tier_gold.policy_id, self.policy_gold)

    def test_a_policy_without_stages_is_refused(self):
        with self.assertRaisesRegex(
            ValidationError, "needs at least one reminder stage"
        ):
            self.env["renewal.policy"].create({"name": "Empty"})

    def test_two_stages_on_the_same_day_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "two stages 15 days before"):
            self.env["renewal.policy"].create(
                {
                    "name": "Twice",
                    "stage_ids": [
                        Command.create({"days_before": 15}),
                        Command.create({"days_before": 15, "tone": "warning"}),
                    ],
                }
            )
        with self.assertRaisesRegex(ValidationError, "two stages 30 days before"):
            self.policy_standard.stage_ids.filtered(
                lambda s: s.days_before == 15
            ).days_before = 30

    def test_a_negative_offset_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot fall -5 days before"):
            self.policy_standard.write(
                {"stage_ids": [Command.create({"days_before": -5})]}
            )

    def test_the_last_stage_cannot_be_deleted(self):
        policy = self.env["renewal.policy"].create(
            {"name": "One stage", "stage_ids": [Command.create({"days_before": 10})]}
        )
        with self.assertRaisesRegex(
            ValidationError, "needs at least one reminder stage"
        ):
            policy.stage_ids.unlink()
        with self.assertRaisesRegex(
            ValidationError, "needs at least one reminder stage"
        ):
            policy.write({"stage_ids": [Command.clear()]})

    def test_stages_are_edited_and_reordered_in_the_policy_form(self):
        with Form(self.env["renewal.policy"]) as form:
            form.name = "Quarterly accounts"
            form.billing_rhythm = "quarterly"
            for days, tone in ((20, "gentle"), (10, "warning"), (2, "final")):
                with form.stage_ids.new() as stage:
                    stage.days_before = days
                    stage.tone = tone
        policy = form.record
        self.assertEqual(policy.stage_count, 3)
        # Drag-and-drop ordering writes the sequence.
        last = policy.stage_ids.filtered(lambda s: s.days_before == 2)
        last.sequence = 0
        self.assertEqual(policy.stage_ids.sorted("sequence")[0], last)
        self.assertEqual(last.name, "2 days before (Final, with an offer)")
        last.days_before = 1
        self.assertEqual(last.name, "1 day before (Final, with an offer)")
        last.days_before = 0
        self.assertEqual(last.name, "On the end date (Final, with an offer)")
        last.days_before = 2
        self.assertEqual(
            last._template(),
            self.env.ref("renewal_reminder.mail_template_renewal_final"),
        )

    def test_the_most_specific_policy_is_chosen_and_explained(self):
        key_accounts = self.env["renewal.policy"].create(
            {
                "name": "Gold key accounts",
                "tier_id": self.tier_gold.id,
                "billing_rhythm": "yearly",
                "min_recurring_value": 10000.0,
                "stage_ids": [Command.create({"days_before": 90})],
            }
        )
        big_yearly = self._create_contract(
            self.customer_gold, price=12000.0, rule="yearly"
        )
        small_yearly = self._create_contract(
            self.customer_gold, price=5000.0, rule="yearly"
        )
        monthly = self._create_contract(
            self.customer_gold, price=2000.0, rule="monthly"
        )
        standard_yearly = self._create_contract(
            self.customer_standard, price=900.0, rule="yearly"
        )
        standard_quarterly = self._create_contract(
            self.customer_standard, price=300.0, rule="quarterly"
        )

        self.assertEqual(big_yearly.renewal_policy_id, key_accounts)

        def money(amount):
            return self.currency.format(amount).replace("\N{NO-BREAK SPACE}", " ")

        # The contract's own profile against the policy's criteria, and the
        # policies it beat.
        reason = big_yearly.renewal_policy_reason
        self.assertTrue(
            reason.startswith(
                "Gold tier, yearly billing, annual value %s >= %s; "
                % (money(12000.0), money(10000.0))
            ),
            reason,
        )
        self.assertRegex(reason, r"other polic(y|ies) matched less closely \(.*Gold")
        # Below the minimum value, the Gold tier's policy applies.
        self.assertEqual(small_yearly.renewal_policy_id, self.policy_gold)
        self.assertEqual(small_yearly.renewal_policy_reason, "Gold tier")
        self.assertEqual(monthly.renewal_policy_id, self.policy_gold)
        self.assertEqual(standard_yearly.renewal_policy_id, self.policy_standard_yearly)
        self.assertEqual(
            standard_yearly.renewal_policy_reason,
            "Standard tier, yearly billing; one other policy matched less closely "
            "(Standard)",
        )
        self.assertEqual(standard_quarterly.renewal_policy_id, self.policy_standard)

        # The contract's value changes: the choice follows.
        big_yearly.contract_line_ids.price_unit = 8000.0
        self.assertEqual(big_yearly.renewal_policy_id, self.policy_gold)

    def test_a_policy_picked_by_hand_is_kept_and_said_so(self):
        contract = self._create_contract(self.customer_standard)
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        contract.renewal_policy_id = self.policy_gold
        self.assertEqual(contract.renewal_policy_id, self.policy_gold)
        self.assertEqual(
            contract.renewal_policy_reason,
            "Chosen by hand (the rules would choose Standard)",
        )

    def test_tier_default_then_settings_default(self):
        platinum = self.env["renewal.tier"].create(
            {"name": "Platinum", "policy_id": self.policy_strategic.id}
        )
        customer = self.env["res.partner"].create(
            {
                "name": "Platinum Corp",
                "is_company": True,
                "renewal_tier_id": platinum.id,
            }
        )
        contract = self._create_contract(customer)
        self.assertEqual(contract.renewal_policy_id, self.policy_strategic)
        self.assertRegex(
            contract.renewal_policy_reason,
            r"^No policy's criteria match \(Platinum tier, monthly billing, annual "
            r"value .+\): default policy of tier Platinum$",
        )

        untiered = self.env["res.partner"].create(
            {"name": "No Tier Ltd", "is_company": True}
        )
        fallback = self._create_contract(untiered)
        self.assertEqual(fallback.renewal_policy_id, self.policy_standard)
        self.assertRegex(
            fallback.renewal_policy_reason,
            r"^No policy's criteria match \(no tier, .+\): default policy of the "
            r"Renewals settings$",
        )

        self.env["ir.config_parameter"].set_param(
            "renewal_reminder.default_policy_id", False
        )
        nothing = self._create_contract(untiered)
        self.assertFalse(nothing.renewal_policy_id)
        self.assertRegex(
            nothing.renewal_policy_reason, r"^No policy applies \(no tier, "
        )
        # Due once, 30 days ahead, so the daily pass notes it in the log.
        self.assertEqual(nothing.renewal_next_date, date(2027, 3, 1))

    def test_a_company_specific_policy_wins_in_its_company(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        gold_b = self.env["renewal.policy"].create(
            {
                "name": "Gold (B)",
                "tier_id": self.tier_gold.id,
                "company_id": company_b.id,
                "stage_ids": [Command.create({"days_before": 20})],
            }
        )
        self.env.user.company_ids |= company_b
        in_a = self._create_contract(self.customer_gold)
        in_b = self._create_contract(
            self.customer_gold, company_id=company_b.id, user=self.env.user
        )
        self.assertEqual(in_a.renewal_policy_id, self.policy_gold)
        self.assertEqual(in_b.renewal_policy_id, gold_b)

    def test_supplier_contracts_get_no_policy(self):
        contract = self._create_contract(self.customer_gold, contract_type="purchase")
        self.assertFalse(contract.renewal_policy_id)
        self.assertFalse(contract.renewal_next_date)

    def test_policy_choice_costs_the_same_queries_for_5_or_25_contracts(self):
        few = self.env["contract.contract"]
        many = self.env["contract.contract"]
        for index in range(25):
            partner = (self.customer_gold, self.customer_standard)[index % 2]
            rule = ("monthly", "quarterly", "yearly")[index % 3]
            contract = self._create_contract(
                partner,
                date_end=date(2027, 1, 1 + index),
                price=100.0 * (index + 1),
                rule=rule,
            )
            many |= contract
            if index < 5:
                few |= contract

        def recompute_queries(contracts):
            names = [
                "renewal_tier_id",
                "renewal_billing_rhythm",
                "renewal_recurring_value",
                "renewal_policy_id",
                "renewal_cycle_end",
                "renewal_state",
                "renewal_next_date",
            ]
            self.env.flush_all()
            self.env.invalidate_all()
            for name in names:
                self.env.add_to_compute(contracts._fields[name], contracts)
            before = self.env.cr.sql_log_count
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        expected = {c: (c.renewal_policy_id, c.renewal_next_date) for c in many}
        queries_few = recompute_queries(few)
        queries_many = recompute_queries(many)
        self.assertEqual(queries_few, queries_many)
        self.assertLess(queries_many, 40)
        self.assertEqual(
            {c: (c.renewal_policy_id, c.renewal_next_date) for c in many}, expected
        )
