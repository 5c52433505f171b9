from odoo.tests import freeze_time, tagged
from odoo.tools import file_path
from odoo.tools.convert import convert_file

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestSettings(RenewalCommon, CronMixinCase):
    def test_renewal_settings_are_saved(self):
        settings = self.env["res.config.settings"].create(
            {
                "renewal_default_policy_id": self.policy_gold.id,
                "renewal_sender_email": "Renewals <renewals@example.com>",
                "renewal_target_rate": 90.0,
                "renewal_review_tier_ids": [
                    (6, 0, (self.tier_gold | self.tier_strategic).ids)
                ],
            }
        )
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(
            params.get_param("renewal_reminder.default_policy_id"),
            str(self.policy_gold.id),
        )
        self.assertEqual(
            params.get_param("renewal_reminder.sender_email"),
            "Renewals <renewals@example.com>",
        )
        self.assertEqual(float(params.get_param("renewal_reminder.target_rate")), 90.0)
        self.assertTrue(self.tier_gold.review_required)
        self.assertTrue(self.tier_strategic.review_required)
        self.assertFalse(self.tier_standard.review_required)

        reopened = self.env["res.config.settings"].create({})
        self.assertEqual(reopened.renewal_default_policy_id, self.policy_gold)
        self.assertEqual(
            reopened.renewal_review_tier_ids, self.tier_gold | self.tier_strategic
        )
        self.assertEqual(reopened.renewal_target_rate, 90.0)

        # An untiered customer's contract falls back on the new default.
        customer = self.env["res.partner"].create(
            {"name": "No Tier Ltd", "is_company": True}
        )
        self.assertEqual(
            self._create_contract(customer).renewal_policy_id, self.policy_gold
        )

    def test_settings_page_shows_the_renewals_app(self):
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('name="renewal_reminder"', arch)
        self.assertIn('name="renewal_target_rate"', arch)

    def test_parallel_passes_keep_that_many_scheduled_actions(self):
        main = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        Scheduler = self.env["renewal.scheduler"]

        def active_passes():
            return self.env["renewal.scheduler"]._pass_crons().filtered("active")

        self.env["res.config.settings"].create({"renewal_parallel_passes": 3}).execute()
        passes = active_passes()
        self.assertEqual(len(passes), 3)
        self.assertEqual(set(passes.mapped("code")), {main.code})
        self.assertEqual(passes[0], main)
        self.assertIn("(3)", passes[2].name)

        # Work left over wakes every pass, not only the first.
        self.env["contract.contract"].search([]).write({"active": False})
        self._create_contract(self.customer_standard)
        self._create_contract(self.customer_standard)
        with self.capture_triggers() as triggers, freeze_time("2027-03-01"):
            remaining = Scheduler._cron_send_due_reminders(batch_size=1)
        self.assertEqual(remaining, 1)
        # The email queued is sent now: the mail queue is woken up too.
        mail_queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertEqual(
            set(triggers.records.cron_id.ids), set(passes.ids) | {mail_queue.id}
        )

        self.env["res.config.settings"].create({"renewal_parallel_passes": 1}).execute()
        self.assertEqual(active_passes(), main)
        self.assertEqual(
            len(self.env["renewal.scheduler"]._pass_crons()), 3
        )  # kept, archived

    def test_an_admins_schedule_of_the_pass_survives_an_update(self):
        cron = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        cron.write({"interval_type": "hours", "interval_number": 6})
        # What a module update does with the data file.
        convert_file(
            self.env,
            "renewal_reminder",
            "data/ir_cron_data.xml",
            {},
            mode="update",
            pathname=file_path("renewal_reminder/data/ir_cron_data.xml"),
        )
        cron.invalidate_recordset()
        self.assertEqual((cron.interval_type, cron.interval_number), ("hours", 6))
