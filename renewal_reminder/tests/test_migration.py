import importlib.util
from datetime import datetime
from pathlib import Path

from odoo.tests import tagged

from .common import RenewalCommon

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _migration(version, name):
    path = MIGRATIONS / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(RenewalCommon):
    def test_18_0_1_1_0_keeps_the_text_of_what_waits(self):
        contract = self._create_contract(self.customer_standard)
        waiting = self._create_reminder(contract, 30, "review")
        sent = self._create_reminder(contract, 15, "sent")
        message = self.env["mail.message"].create(
            {
                "model": "contract.contract",
                "res_id": contract.id,
                "body": "<p>The email that went out</p>",
            }
        )
        sent.message_id = message
        self.env.flush_all()
        cr = self.env.cr
        # The database as 18.0.1.0.0 left it: the text in a ``body`` column.
        cr.execute("ALTER TABLE renewal_reminder ADD COLUMN body text")
        cr.execute(
            "UPDATE renewal_reminder SET draft_body = NULL, "
            "body = '<p>Waiting text ' || id || '</p>' WHERE id IN %s",
            [(waiting.id, sent.id)],
        )
        _migration("18.0.1.1.0", "pre-migration").migrate(cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(str(waiting.body), f"<p>Waiting text {waiting.id}</p>")
        self.assertFalse(sent.draft_body)
        self.assertEqual(str(sent.body), "<p>The email that went out</p>")

    def test_18_0_1_2_0_flags_policies_chosen_by_hand_and_drops_the_old_text(self):
        automatic = self._create_contract(self.customer_standard)
        picked = self._create_contract(self.customer_standard)
        self.env.flush_all()
        cr = self.env.cr
        # The database as 18.0.1.1.0 left it: a policy picked by hand without
        # a flag, and the old text column.
        cr.execute(
            "UPDATE contract_contract SET renewal_policy_id = %s, "
            "renewal_policy_manual = false WHERE id = %s",
            [self.policy_gold.id, picked.id],
        )
        cr.execute("ALTER TABLE renewal_reminder ADD COLUMN IF NOT EXISTS body text")
        self.env.invalidate_all()
        _migration("18.0.1.2.0", "post-migration").migrate(cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertTrue(picked.renewal_policy_manual)
        self.assertFalse(automatic.renewal_policy_manual)
        cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'renewal_reminder' AND column_name = 'body'"
        )
        self.assertFalse(cr.fetchone())
        # The rules changing later do not undo the choice.
        self.env["contract.contract"]._renewal_reassign_policies()
        self.assertEqual(picked.renewal_policy_id, self.policy_gold)

    def test_18_0_1_3_0_puts_the_reminder_templates_in_the_renewal_layout(self):
        gentle = self.env.ref("renewal_reminder.mail_template_renewal_gentle")
        warning = self.env.ref("renewal_reminder.mail_template_renewal_warning")
        gentle.email_layout_xmlid = False
        warning.email_layout_xmlid = "mail.mail_notification_light"
        _migration("18.0.1.3.0", "post-migration").migrate(self.env.cr, "18.0.1.2.0")
        self.assertEqual(
            gentle.email_layout_xmlid, "renewal_reminder.mail_notification_renewal"
        )
        # A layout an administrator chose stays.
        self.assertEqual(warning.email_layout_xmlid, "mail.mail_notification_light")

    def test_18_0_1_4_0_gives_sending_hours_and_lets_old_reminders_rest(self):
        policy = self.policy_standard
        policy.calendar_id = False
        contract = self._create_contract(self.customer_standard)
        old = self._create_reminder(
            contract,
            30,
            "sent",
            sent_date=datetime(2026, 12, 1, 9, 0),
            channel="email",
        )
        self.assertTrue(old.escalation_due)
        _migration("18.0.1.4.0", "post-migration").migrate(self.env.cr, "18.0.1.3.0")
        self.assertEqual(policy.calendar_id, self.sending_hours)
        self.assertFalse(old.escalation_due)
        self.assertTrue(old.escalated_date and old.fallback_date)
        # The escalation pass leaves it alone.
        self.env["renewal.escalation"]._cron_escalate()
        self.assertFalse(contract.renewal_at_risk)

    def test_18_0_1_5_0_lets_the_contracts_salesperson_read_its_reminders(self):
        rule = self.env.ref("renewal_reminder.renewal_reminder_rule_own")
        rule.domain_force = "[('user_id', '=', user.id)]"
        contract = self._create_contract(self.customer_standard)
        sent = self._create_reminder(contract, 30, "sent")
        contract.user_id = self.other_salesperson
        sent.sudo().write({"user_id": self.salesperson.id})
        _migration("18.0.1.5.0", "post-migration").migrate(self.env.cr, "18.0.1.4.0")
        Reminder = self.env["renewal.reminder"].with_user(self.other_salesperson)
        self.assertEqual(Reminder.search([("contract_id", "=", contract.id)]), sent)
        self.assertEqual(sent.user_id, self.salesperson)

    def test_18_0_1_5_0_runs_the_daily_pass_on_the_scheduler(self):
        main = self.env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        self.env["renewal.scheduler"]._set_parallel_passes(2)
        crons = self.env["renewal.scheduler"]._pass_crons()
        self.assertEqual(len(crons), 2)
        # As an earlier version left them: on the reminder log.
        reminder_model = self.env["ir.model"]._get("renewal.reminder")
        crons.write({"model_id": reminder_model.id})
        _migration("18.0.1.5.0", "post-migration").migrate(self.env.cr, "18.0.1.4.0")
        self.assertEqual(
            set(crons.mapped("model_id.model")), {"renewal.scheduler"}, main.name
        )
        self.assertEqual(main.code, "model._cron_send_due_reminders()")
