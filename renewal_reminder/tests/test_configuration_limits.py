from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..tools import renewal_limits
from .common import RenewalCommon

SETTINGS_LOGGER = "odoo.addons.renewal_reminder.models.res_config_settings"
BATCH_SIZE_PARAM = "renewal_reminder.batch_size"


@tagged("post_install", "-at_install")
class TestStageLimits(RenewalCommon):
    def test_a_stage_falls_at_most_ten_years_before_the_end(self):
        stage = self.policy_standard.stage_ids.filtered(lambda s: s.days_before == 30)
        with self.assertRaisesRegex(
            ValidationError,
            "Policy “Standard”, stage “1000000 days before \\(Gentle\\)”: a stage "
            "falls at most 3660 days",
        ):
            stage.days_before = 1_000_000
        with self.assertRaisesRegex(ValidationError, "at most 3660 days"):
            self.env["renewal.policy"].create(
                {
                    "name": "Year 110",
                    "stage_ids": [Command.create({"days_before": 700_000})],
                }
            )
        # Negative days keep their own message.
        with self.assertRaisesRegex(ValidationError, "cannot fall -1 days before"):
            stage.days_before = -1

        # Ten years ahead is accepted, and contracts on it are dated.
        stage.days_before = renewal_limits.MAX_DAYS_BEFORE
        contract = self._create_contract(
            self.customer_standard, date_end=date(2037, 3, 31)
        )
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 24))


@tagged("post_install", "-at_install")
class TestBatchSize(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reminder = cls.env["renewal.reminder"]
        cls.params = cls.env["ir.config_parameter"].sudo()
        # Only this test's contracts are due: park every other one.
        cls.env["contract.contract"].search([]).write({"active": False})
        cls.contracts = cls._due_contracts()

    @classmethod
    def _due_contracts(cls):
        """Three contracts with their first reminder due on 2027-03-01."""
        return cls.env["contract.contract"].union(
            *(cls._create_contract(cls.customer_standard) for _i in range(3))
        )

    def _pass(self, **context):
        """One call of the daily pass, with the batch sizes it claimed."""
        Scheduler = self.registry["renewal.scheduler"]
        claim = Scheduler._claim_due
        limits = []

        def spy(scheduler, today, limit):
            limits.append(limit)
            return claim(scheduler, today, limit)

        with (
            freeze_time("2027-03-01"),
            self.mock_mail_gateway(),
            patch.object(Scheduler, "_claim_due", spy),
        ):
            remaining = (
                self.env["renewal.scheduler"]
                .with_context(**context)
                ._cron_send_due_reminders()
            )
        return remaining, limits

    def _sent(self):
        return self.Reminder.search([("contract_id", "in", self.contracts.ids)])

    def test_a_bad_stored_batch_size_runs_the_pass_with_the_default(self):
        for raw in ("-1", "abc", "0", "2.5"):
            with self.subTest(raw=raw):
                self.contracts.active = False
                self.contracts = self._due_contracts()
                self.params.set_param(BATCH_SIZE_PARAM, raw)
                with self.assertLogs(SETTINGS_LOGGER, "WARNING") as logs:
                    remaining, limits = self._pass()
                self.assertEqual(limits, [100])
                self.assertEqual(remaining, 0)
                self.assertEqual(len(self._sent()), 3)
                self.assertEqual(len(logs.records), 1)
                self.assertIn(f"renewal_reminder.batch_size is '{raw}'", logs.output[0])
                self.assertIn("handles 100 contracts per batch", logs.output[0])

    def test_the_scheduled_action_runs_with_a_bad_batch_size(self):
        self.params.set_param(BATCH_SIZE_PARAM, "abc")
        cron = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        with (
            freeze_time("2027-03-01"),
            self.mock_mail_gateway(),
            self.assertLogs(SETTINGS_LOGGER, "WARNING"),
        ):
            cron.method_direct_trigger()
        self.assertEqual(set(self._sent().mapped("state")), {"queued"})
        self.assertEqual(len(self._sent()), 3)

    def test_a_batch_size_too_large_is_capped(self):
        self.params.set_param(BATCH_SIZE_PARAM, "5000")
        with self.assertLogs(SETTINGS_LOGGER, "WARNING") as logs:
            __, limits = self._pass()
        self.assertEqual(limits, [1000])
        self.assertIn("'5000'", logs.output[0])

    def test_a_good_or_missing_batch_size_says_nothing(self):
        self.params.set_param(BATCH_SIZE_PARAM, "2")
        with self.assertNoLogs(SETTINGS_LOGGER, "WARNING"):
            remaining, limits = self._pass()
        self.assertEqual((remaining, limits), (1, [2]))
        self.params.set_param(BATCH_SIZE_PARAM, False)
        with self.assertNoLogs(SETTINGS_LOGGER, "WARNING"):
            __, limits = self._pass()
        self.assertEqual(limits, [100])

    def test_a_bad_batch_size_is_reported_once_per_run(self):
        cron = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        self.params.set_param(BATCH_SIZE_PARAM, "-5")
        with self.assertLogs(SETTINGS_LOGGER, "WARNING") as logs:
            # One run of the scheduled action calls the pass once per batch.
            run = {"cron_id": cron.id, "lastcall": "2027-02-28 03:00:00"}
            self._pass(**run)
            self._pass(**run)
            # The next day's run reports it again.
            self._pass(cron_id=cron.id, lastcall="2027-03-01 03:00:00")
        self.assertEqual(len(logs.records), 2)

    def test_the_batch_size_is_set_in_the_settings(self):
        view = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('name="renewal_batch_size"', view)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.renewal_batch_size, 100)

        self.env["res.config.settings"].create({"renewal_batch_size": 250}).execute()
        self.assertEqual(self.params.get_param(BATCH_SIZE_PARAM), "250")
        for bad in (0, -1, 1001):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(
                    ValidationError,
                    f"The Batch Size must be from 1 to 1000 contracts, not {bad}.",
                ),
            ):
                self.env["res.config.settings"].create({"renewal_batch_size": bad})
        self.assertEqual(self.params.get_param(BATCH_SIZE_PARAM), "250")

        # A value written by hand shows as what the pass uses, and the page
        # still saves.
        self.params.set_param(BATCH_SIZE_PARAM, "abc")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.renewal_batch_size, 100)
        settings.execute()
        self.assertEqual(self.params.get_param(BATCH_SIZE_PARAM), "100")


@tagged("post_install", "-at_install")
class TestSettingsLimits(RenewalCommon):
    def test_parallel_passes_are_from_1_to_16(self):
        Settings = self.env["res.config.settings"]
        params = self.env["ir.config_parameter"].sudo()
        for bad in (0, 17, 100, -3):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(
                    ValidationError, f"Parallel Passes must be from 1 to 16, not {bad}."
                ),
            ):
                Settings.create({"renewal_parallel_passes": bad})
        self.assertFalse(params.get_param("renewal_reminder.parallel_passes"))

        Settings.create({"renewal_parallel_passes": 16}).execute()
        Scheduler = self.env["renewal.scheduler"]
        self.assertEqual(len(Scheduler._pass_crons().filtered("active")), 16)

        # A value written by hand runs, and shows, the bound.
        params.set_param("renewal_reminder.parallel_passes", "100")
        self.assertEqual(Settings.create({}).renewal_parallel_passes, 16)
        self.assertEqual(
            len(Scheduler._set_parallel_passes(100)), renewal_limits.MAX_PARALLEL_PASSES
        )
        Settings.create({"renewal_parallel_passes": 1}).execute()
        self.assertEqual(len(Scheduler._pass_crons().filtered("active")), 1)

    def test_the_renewal_target_is_a_percentage(self):
        Settings = self.env["res.config.settings"]
        for bad in (-5.0, 100.5, 250.0):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(
                    ValidationError, "The Renewal Target is a share of contracts, from"
                ),
            ):
                Settings.create({"renewal_target_rate": bad})
        params = self.env["ir.config_parameter"].sudo()
        for good in (0.0, 100.0, 72.5):
            Settings.create({"renewal_target_rate": good}).execute()
        self.assertEqual(float(params.get_param("renewal_reminder.target_rate")), 72.5)


@tagged("post_install", "-at_install")
class TestDeletingConfiguration(RenewalCommon):
    def _one_stage_policy(self, name="One stage", days=10):
        return self.env["renewal.policy"].create(
            {"name": name, "stage_ids": [Command.create({"days_before": days})]}
        )

    def test_a_policy_only_stage_cannot_move_to_another_policy(self):
        single = self._one_stage_policy()
        other = self._one_stage_policy("Other", days=20)
        with self.assertRaisesRegex(
            ValidationError, "Policy “One stage” needs at least one reminder stage."
        ):
            single.stage_ids.policy_id = other
        self.assertEqual(len(single.stage_ids), 1)
        self.assertEqual(len(other.stage_ids), 1)

        # A policy with stages to spare gives one away.
        single.write({"stage_ids": [Command.create({"days_before": 5})]})
        five = single.stage_ids.filtered(lambda s: s.days_before == 5)
        five.policy_id = other
        self.assertEqual(single.stage_ids.mapped("days_before"), [10])
        self.assertEqual(sorted(other.stage_ids.mapped("days_before")), [5, 20])

    def test_a_policy_in_use_is_archived_not_deleted(self):
        contract = self._create_contract(self.customer_standard)
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)
        with self.assertRaisesRegex(
            UserError,
            "Policy “Standard” is in use .* and cannot be deleted: archive it instead.",
        ):
            self.policy_standard.with_user(self.manager).unlink()
        # Archived contracts and reminders keep their policy too.
        contract.active = False
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.policy_standard.unlink()

        # A policy only the reminder log names is kept as well.
        logged = self._one_stage_policy("Logged")
        self.env["renewal.reminder"].create(
            {
                "contract_id": contract.id,
                "policy_id": logged.id,
                "stage_id": logged.stage_ids.id,
                "cycle_end": "2027-03-31",
                "state": "sent",
            }
        )
        with self.assertRaisesRegex(UserError, "Policy “Logged” is in use"):
            logged.unlink()

        self.policy_standard.with_user(self.manager).action_archive()
        self.assertFalse(self.policy_standard.active)
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)

        unused = self._one_stage_policy("Unused")
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_a_tier_in_use_is_archived_not_deleted(self):
        tier = self.env["renewal.tier"].create({"name": "Silver"})
        partner = self.env["res.partner"].create(
            {"name": "Silverline", "is_company": True, "renewal_tier_id": tier.id}
        )
        with self.assertRaisesRegex(
            UserError,
            "Tier “Silver” is in use \\(1 partners, 0 contracts, 0 policies\\) and "
            "cannot be deleted: archive it instead.",
        ):
            tier.with_user(self.manager).unlink()

        # A contract moved to the tier keeps it in use on its own.
        partner.renewal_tier_id = False
        contract = self._create_contract(self.customer_standard)
        contract.renewal_tier_id = tier
        with self.assertRaisesRegex(UserError, "0 partners, 1 contracts"):
            tier.unlink()
        contract.renewal_tier_id = self.tier_standard

        # As does a policy made for it: deleting the tier would open the
        # policy to every tier.
        self.env["renewal.policy"].create(
            {
                "name": "Silver",
                "tier_id": tier.id,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        with self.assertRaisesRegex(UserError, "0 contracts, 1 policies"):
            tier.unlink()

        tier.with_user(self.manager).action_archive()
        self.assertFalse(tier.active)
        unused = self.env["renewal.tier"].create({"name": "Bronze"})
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_a_stage_with_reminders_waiting_cannot_be_deleted(self):
        policy = self.env["renewal.policy"].create(
            {
                "name": "Three stages",
                "stage_ids": [
                    Command.create({"days_before": days}) for days in (30, 15, 3)
                ],
            }
        )
        contract = self._create_contract(
            self.customer_standard, renewal_policy_id=policy.id
        )
        held = self._create_reminder(contract, 15, "review")
        stage = held.stage_id
        with self.assertRaisesRegex(
            UserError,
            "Stage “15 days before \\(Gentle\\)” of policy “Three stages” has 1 "
            "reminders still waiting \\(scheduled or awaiting review\\): approve "
            "or refuse them before deleting the stage",
        ):
            stage.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "reminders still waiting"):
            policy.with_user(self.manager).write(
                {"stage_ids": [Command.delete(stage.id)]}
            )
        self.assertEqual(held.stage_id, stage)

        # Once reviewed, the stage can go; the log keeps what was sent.
        held.write({"state": "refused"})
        sent = self._create_reminder(contract, 30, "sent")
        (stage | sent.stage_id).with_user(self.manager).unlink()
        self.assertEqual(policy.stage_ids.mapped("days_before"), [3])
        self.assertFalse(sent.stage_id)
        self.assertEqual(
            (sent.days_before, sent.tone, sent.policy_id, sent.state),
            (30, "gentle", policy, "sent"),
        )


@tagged("post_install", "-at_install")
class TestCompanyConsistency(RenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Renewals B"})
        # A manager working in company A who may also open company B.
        cls.manager_ab = new_test_user(
            cls.env,
            login="rr_manager_ab",
            groups="base.group_user,base.group_partner_manager,"
            "renewal_reminder.renewal_reminder_group_manager",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_b).ids)],
        )
        cls.tier_a = cls.env["renewal.tier"].create(
            {"name": "Key A", "company_id": cls.company.id}
        )
        cls.tier_b = cls.env["renewal.tier"].create(
            {"name": "Key B", "company_id": cls.company_b.id}
        )
        cls.policy_a = cls.env["renewal.policy"].create(
            {
                "name": "Policy A",
                "company_id": cls.company.id,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        cls.policy_b = cls.env["renewal.policy"].create(
            {
                "name": "Policy B",
                "company_id": cls.company_b.id,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        cls.partner_a = cls.env["res.partner"].create(
            {"name": "Customer A", "is_company": True, "company_id": cls.company.id}
        )
        cls.partner_b = cls.env["res.partner"].create(
            {"name": "Customer B", "is_company": True, "company_id": cls.company_b.id}
        )

    def as_manager(self, records):
        return records.with_user(self.manager_ab).with_context(
            allowed_company_ids=[self.company.id, self.company_b.id]
        )

    def test_a_policy_takes_a_tier_of_its_company(self):
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.policy_a).tier_id = self.tier_b
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.env["renewal.policy"]).create(
                {
                    "name": "Mixed",
                    "company_id": self.company.id,
                    "tier_id": self.tier_b.id,
                    "stage_ids": [Command.create({"days_before": 10})],
                }
            )
        # Moving the policy to the other company checks its tier too.
        self.as_manager(self.policy_a).tier_id = self.tier_a
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.policy_a).company_id = self.company_b
        # Shared tiers go with any policy.
        self.as_manager(self.policy_b).tier_id = self.tier_gold
        self.assertEqual(self.policy_b.tier_id, self.tier_gold)

    def test_a_tier_defaults_to_a_policy_of_its_company(self):
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.tier_a).policy_id = self.policy_b
        self.as_manager(self.tier_a).policy_id = self.policy_a
        self.as_manager(self.tier_b).policy_id = self.policy_standard
        self.assertEqual(self.tier_b.policy_id, self.policy_standard)
        # A shared tier cannot default to one company's policy.
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.tier_gold).policy_id = self.policy_a

    def test_a_partner_takes_a_tier_and_backup_of_its_company(self):
        partner = self.as_manager(self.partner_a)
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            partner.renewal_tier_id = self.tier_b
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            partner.renewal_backup_partner_id = self.partner_b
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.env["res.partner"]).create(
                {
                    "name": "New A",
                    "company_id": self.company.id,
                    "renewal_tier_id": self.tier_b.id,
                }
            )
        partner.write(
            {
                "renewal_tier_id": self.tier_a.id,
                "renewal_backup_partner_id": self.customer_gold.id,  # shared
            }
        )
        # Moving the partner to the other company checks them again.
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            partner.company_id = self.company_b
        # A customer shared by every company takes shared tiers only.
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(self.customer_gold).renewal_tier_id = self.tier_a
        self.as_manager(self.partner_b).renewal_tier_id = self.tier_gold
        self.assertEqual(self.partner_b.renewal_tier_id, self.tier_gold)

    def test_a_contract_takes_a_tier_of_its_company(self):
        contract = self._create_contract(self.partner_a)
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.as_manager(contract).renewal_tier_id = self.tier_b
        self.as_manager(contract).renewal_tier_id = self.tier_a
        self.assertEqual(contract.renewal_tier_id, self.tier_a)

    def test_a_shared_tier_or_policy_in_use_stays_shared(self):
        tier = self.env["renewal.tier"].create({"name": "Shared"})
        self.partner_b.renewal_tier_id = tier
        with self.assertRaisesRegex(
            ValidationError, "Tier “Shared” cannot be limited to YourCompany"
        ):
            self.as_manager(tier).company_id = self.company
        self.as_manager(tier).company_id = self.company_b
        self.assertEqual(tier.company_id, self.company_b)

        self.env.user.company_ids |= self.company_b
        contract_b = self._create_contract(
            self.partner_b, company_id=self.company_b.id, user=self.env.user
        )
        contract_b.renewal_policy_id = self.policy_gold
        # (assertRaises, unlike assertRaisesRegex, rolls the refused write back)
        with self.assertRaises(ValidationError) as refused:
            self.as_manager(self.policy_gold).company_id = self.company
        self.assertEqual(
            str(refused.exception),
            "Policy “Gold” cannot be limited to YourCompany: 1 contracts of other "
            "companies use it.",
        )
        self.env.invalidate_all()
        self.assertFalse(self.policy_gold.company_id)
