from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestAccess(RenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls._create_contract(cls.customer_gold, user=cls.salesperson)
        cls.others = cls._create_contract(
            cls.customer_standard, user=cls.other_salesperson
        )
        cls.own_reminder = cls._create_reminder(cls.own, 45, "sent")
        cls.others_reminder = cls._create_reminder(cls.others, 30, "sent")
        cls.ours = cls.own | cls.others

        cls.company_b = cls.env["res.company"].create({"name": "Renewals B"})
        cls.user_b = new_test_user(
            cls.env,
            login="rr_manager_b",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.policy_a_only = cls.env["renewal.policy"].create(
            {
                "name": "Company A only",
                "company_id": cls.company.id,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        cls.portal_user = new_test_user(
            cls.env, login="rr_portal", groups="base.group_portal"
        )

    def test_salesperson_sees_only_their_renewals(self):
        Contract = self.env["contract.contract"].with_user(self.salesperson)
        self.assertEqual(Contract.search([("id", "in", self.ours.ids)]), self.own)
        Reminder = self.env["renewal.reminder"].with_user(self.salesperson)
        self.assertEqual(
            Reminder.search([("contract_id", "in", self.ours.ids)]), self.own_reminder
        )
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.others.with_user(self.salesperson).read(["renewal_state"])

        # They work their own renewal: the form loads and the tier can change.
        form = Contract.get_views([(False, "form")])["views"]["form"]
        self.assertIn("renewal_policy_reason", form["arch"])
        values = self.own.with_user(self.salesperson).web_read(
            {
                "renewal_state": {},
                "renewal_policy_id": {"fields": {"display_name": {}}},
                "renewal_policy_reason": {},
                "renewal_next_date": {},
                "renewal_reminder_count": {},
            }
        )[0]
        self.assertEqual(values["renewal_state"], "reminding")
        self.assertEqual(values["renewal_policy_id"]["display_name"], "Gold")
        self.assertEqual(values["renewal_reminder_count"], 1)
        # The tier decides the review step of key accounts: only a manager
        # changes it, and the form shows it read-only to the salesperson.
        with self.assertRaises(AccessError):
            self.own.with_user(self.salesperson).renewal_tier_id = self.tier_strategic
        self.assertEqual(self.own.renewal_tier_id, self.tier_gold)
        self.own.with_user(self.manager).renewal_tier_id = self.tier_strategic
        self.assertEqual(self.own.renewal_policy_id, self.policy_strategic)

    def test_a_contract_handed_over_takes_its_reminders_along(self):
        Reminder = self.env["renewal.reminder"].with_user(self.other_salesperson)
        self.assertFalse(Reminder.search([("id", "=", self.own_reminder.id)]))
        # The contract is handed over to a colleague (by someone who may
        # write contracts: OCA contract gives that to invoicing managers).
        accountant = new_test_user(
            self.env,
            login="rr_accountant_manager",
            groups="base.group_user,account.group_account_manager",
        )
        waiting = self._create_reminder(self.own, 15, "review")
        self.own.with_user(accountant).write(
            {
                "user_id": self.other_salesperson.id,
                "partner_id": self.customer_standard.id,
            }
        )
        # The new salesperson reads the contract's history...
        self.assertEqual(
            Reminder.search([("contract_id", "=", self.own.id)]),
            self.own_reminder | waiting,
        )
        self.assertEqual(
            Reminder.browse(self.own_reminder.id).read(["partner_id"])[0]["partner_id"][
                0
            ],
            self.customer_gold.id,
        )
        # ... which still says whom the reminder went to, and for whom.
        self.assertEqual(self.own_reminder.user_id, self.salesperson)
        self.assertEqual(self.own_reminder.partner_id, self.customer_gold)
        self.assertEqual(self.own_reminder.company_id, self.company)
        self.assertNotIn(
            self.own_reminder,
            self.env["renewal.reminder"]
            .with_user(self.salesperson)
            .search([("contract_id", "=", self.own.id)]),
        )
        # The one still to go out goes for the contract as it is now.
        self.assertEqual(waiting.user_id, self.other_salesperson)
        self.assertEqual(waiting.partner_id, self.customer_standard)

    def test_salesperson_reads_but_cannot_change_the_configuration(self):
        Policy = self.env["renewal.policy"].with_user(self.salesperson)
        self.assertIn(self.policy_gold, Policy.search([]))
        with self.assertRaises(AccessError):
            self.policy_gold.with_user(self.salesperson).name = "Changed"
        with self.assertRaises(AccessError):
            self.tier_gold.with_user(self.salesperson).review_required = True
        with self.assertRaises(AccessError):
            self.policy_gold.stage_ids[0].with_user(self.salesperson).days_before = 44
        with self.assertRaises(AccessError):
            self.env["renewal.reminder"].with_user(self.salesperson).create(
                {"contract_id": self.own.id, "cycle_end": "2027-03-31"}
            )

    def test_manager_sees_every_renewal_and_configures(self):
        Contract = self.env["contract.contract"].with_user(self.manager)
        self.assertEqual(Contract.search([("id", "in", self.ours.ids)]), self.ours)
        Reminder = self.env["renewal.reminder"].with_user(self.manager)
        self.assertEqual(
            Reminder.search([("contract_id", "in", self.ours.ids)]),
            self.own_reminder | self.others_reminder,
        )
        self.policy_gold.with_user(self.manager).offer_code = "LOYAL10"
        self.assertEqual(self.policy_gold.offer_code, "LOYAL10")

    def test_another_company_sees_nothing_of_ours(self):
        self.assertFalse(
            self.env["contract.contract"]
            .with_user(self.user_b)
            .search([("id", "in", self.ours.ids)])
        )
        self.assertFalse(
            self.env["renewal.reminder"]
            .with_user(self.user_b)
            .search([("contract_id", "in", self.ours.ids)])
        )
        policies_b = self.env["renewal.policy"].with_user(self.user_b).search([])
        self.assertNotIn(self.policy_a_only, policies_b)
        # Policies shared by every company stay visible.
        self.assertIn(self.policy_gold, policies_b)
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.policy_a_only.with_user(self.user_b).read(["name"])

    def test_portal_user_sees_nothing_of_it(self):
        for model in (
            "renewal.tier",
            "renewal.policy",
            "renewal.policy.stage",
            "renewal.reminder",
        ):
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                self.env[model].with_user(self.portal_user).search([])
        # Even on a contract they follow, the renewal fields stay hidden.
        self.own.message_subscribe(partner_ids=self.portal_user.partner_id.ids)
        contract = self.own.with_user(self.portal_user)
        self.assertEqual(contract.read(["name"])[0]["name"], self.own.name)
        with self.assertRaises(AccessError):
            contract.read(["renewal_state"])
        with self.assertRaises(AccessError):
            contract.read(["renewal_recurring_value"])
