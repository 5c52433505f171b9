from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon


class RenewalCommon(BaseCommon):
    """Tiers, policies, people and a contract factory shared by the tests.

    Dates are pinned: contracts end in 2027 and tests freeze "today" where it
    matters. The out-of-the-box tiers and policies are module data, not demo.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.tier_strategic = cls.env.ref("renewal_reminder.renewal_tier_strategic")
        cls.tier_gold = cls.env.ref("renewal_reminder.renewal_tier_gold")
        cls.tier_standard = cls.env.ref("renewal_reminder.renewal_tier_standard")
        cls.policy_standard = cls.env.ref("renewal_reminder.renewal_policy_standard")
        cls.policy_standard_yearly = cls.env.ref(
            "renewal_reminder.renewal_policy_standard_yearly"
        )
        cls.policy_gold = cls.env.ref("renewal_reminder.renewal_policy_gold")
        cls.policy_strategic = cls.env.ref("renewal_reminder.renewal_policy_strategic")
        cls.policy_strategic_yearly = cls.env.ref(
            "renewal_reminder.renewal_policy_strategic_yearly"
        )
        # Reminders leave at any hour here: the sending hours and blackout
        # periods have tests of their own (test_renewal_timing.py).
        cls.sending_hours = cls.env.ref(
            "renewal_reminder.resource_calendar_renewal_sending_hours"
        )
        cls.env["renewal.policy"].with_context(active_test=False).search([]).write(
            {"calendar_id": False}
        )

        cls.salesperson = new_test_user(
            cls.env,
            login="rr_salesperson",
            name="Sally Sales",
            email="sally@example.com",
            groups="base.group_user,base.group_partner_manager,"
            "renewal_reminder.renewal_reminder_group_user",
        )
        cls.other_salesperson = new_test_user(
            cls.env,
            login="rr_other_salesperson",
            name="Omar Other",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="rr_manager",
            name="Mona Manager",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_manager",
        )

        cls.product = cls.env["product.product"].create(
            {"name": "Support plan", "type": "service"}
        )
        cls.customer_gold = cls.env["res.partner"].create(
            {
                "name": "Bluepeak Analytics",
                "is_company": True,
                "email": "accounts@bluepeak.example.com",
                "renewal_tier_id": cls.tier_gold.id,
            }
        )
        cls.customer_standard = cls.env["res.partner"].create(
            {
                "name": "Harbor Dental",
                "is_company": True,
                "email": "office@harbor.example.com",
                "renewal_tier_id": cls.tier_standard.id,
            }
        )

    @classmethod
    def _create_contract(
        cls,
        partner,
        date_end=date(2027, 3, 31),
        price=1000.0,
        rule="monthly",
        interval=1,
        user=None,
        **values,
    ):
        """A customer contract with one recurring line ending on ``date_end``."""
        line = {
            "product_id": cls.product.id,
            "name": "Support plan",
            "quantity": 1,
            "price_unit": price,
            "recurring_rule_type": rule,
            "recurring_interval": interval,
            "date_start": date(2026, 1, 1),
            "date_end": date_end,
        }
        return cls.env["contract.contract"].create(
            {
                "name": f"{partner.name} support",
                "partner_id": partner.id,
                "contract_type": "sale",
                "line_recurrence": True,
                "user_id": (user or cls.salesperson).id,
                "contract_line_ids": [Command.create(line)],
                **values,
            }
        )

    @classmethod
    def _create_reminder(cls, contract, days_before, state, **values):
        """A logged reminder of ``contract``'s current cycle at one stage."""
        stage = contract.renewal_policy_id.stage_ids.filtered(
            lambda stage: stage.days_before == days_before
        )
        return cls.env["renewal.reminder"].create(
            {
                "contract_id": contract.id,
                "stage_id": stage.id,
                "policy_id": contract.renewal_policy_id.id,
                "cycle_end": contract.renewal_cycle_end,
                "days_before": days_before,
                "tone": stage.tone,
                "state": state,
                **values,
            }
        )

    def _mark_lost(self, contracts, reason="Moved to a competitor", user=None):
        """Mark ``contracts`` lost as their salesperson does: through the wizard."""
        user = user or contracts[:1].user_id
        action = contracts.with_user(user).action_renewal_mark_lost()
        wizard = (
            contracts.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
            .create({"reason": reason})
        )
        wizard.action_mark_lost()
        return wizard
