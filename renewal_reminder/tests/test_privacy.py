from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestPrivacy(RenewalCommon):
    """What the reminder log keeps of a person, and for how long."""

    def _reminder(self, contract, days, state, created):
        reminder = self._create_reminder(
            contract,
            days,
            state,
            subject="Your contract ends",
            draft_body="<p>Dear Ann Buyer, 12 Harbour Road</p>",
            email_to='"Ann Buyer" <ann@example.com>',
        )
        self.env.cr.execute(
            "UPDATE renewal_reminder SET create_date = %s WHERE id = %s",
            (created, reminder.id),
        )
        reminder.invalidate_recordset(["create_date"])
        return reminder

    def test_erasing_a_person_leaves_no_copy_in_the_log(self):
        ann = self.env["res.partner"].create(
            {
                "name": "Ann Buyer",
                "email": "ann@example.com",
                "parent_id": self.customer_gold.id,
            }
        )
        contract = self._create_contract(self.customer_gold)
        reminder = self._create_reminder(
            contract,
            contract.renewal_policy_id.stage_ids[:1].days_before,
            "skipped",
            recipient_id=ann.id,
            subject="For Ann Buyer",
            draft_body="<p>Dear Ann Buyer</p>",
            email_to="ann@example.com",
            answer_note="Ann Buyer will call",
            answer_contact_name="Ann Buyer",
        )
        message = self.env["mail.message"].create(
            {
                "model": "contract.contract",
                "res_id": contract.id,
                "body": "<p>Dear Ann Buyer</p>",
            }
        )
        reminder.message_id = message
        self.assertIn("Ann Buyer", str(reminder.body))
        ann.unlink()
        self.assertTrue(reminder.exists())
        self.assertFalse(reminder.body)
        for fname in (
            "subject",
            "draft_body",
            "email_to",
            "answer_note",
            "answer_contact_name",
        ):
            self.assertFalse(reminder[fname], fname)

    def test_odoo_privacy_tools_find_and_erase_the_reminder_log(self):
        if "privacy.lookup.wizard" not in self.env:
            self.skipTest(
                "Odoo's privacy_lookup is not installed (setup/test installs it)"
            )
        ann = self.env["res.partner"].create(
            {
                "name": "Ann Lookup",
                "email": "ann.lookup@example.com",
                "parent_id": self.customer_gold.id,
            }
        )
        contract = self._create_contract(self.customer_gold)
        reminder = self._create_reminder(
            contract,
            contract.renewal_policy_id.stage_ids[:1].days_before,
            "skipped",
            recipient_id=ann.id,
            draft_body="<p>Dear Ann Lookup</p>",
            email_to="ann.lookup@example.com",
        )
        wizard = self.env["privacy.lookup.wizard"].create(
            {"name": "Ann Lookup", "email": "ann.lookup@example.com"}
        )
        wizard.action_lookup()
        found = {(line.res_model, line.res_id) for line in wizard.line_ids}
        self.assertIn(("renewal.reminder", reminder.id), found)
        partner_line = wizard.line_ids.filtered(
            lambda line: line.res_model == "res.partner" and line.res_id == ann.id
        )
        partner_line.action_unlink()
        self.assertFalse(ann.exists())
        self.assertFalse(reminder.draft_body)
        self.assertFalse(reminder.email_to)
        self.assertFalse(reminder.recipient_id)

    def test_old_texts_are_erased_after_the_retention_period(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        days = contract.renewal_policy_id.stage_ids.mapped("days_before")
        old_skipped = self._reminder(contract, days[0], "skipped", datetime(2025, 1, 1))
        old_held = self._reminder(contract, days[1], "review", datetime(2025, 1, 1))
        recent = self._reminder(contract, days[2], "refused", datetime(2026, 11, 1))
        self.env["ir.config_parameter"].set_param(
            "renewal_reminder.body_retention_days", "365"
        )
        with freeze_time("2026-12-01"):
            self.env["renewal.reminder"]._gc_rendered_texts()
        self.assertFalse(old_skipped.draft_body)
        # A reminder still waiting for its salesperson keeps its text.
        self.assertTrue(old_held.draft_body)
        self.assertTrue(recent.draft_body)
        # A stored value around the Settings falls back within the bounds.
        self.env["ir.config_parameter"].set_param(
            "renewal_reminder.body_retention_days", "-5"
        )
        with freeze_time("2026-12-15"):
            self.env["renewal.reminder"]._gc_rendered_texts()
        self.assertFalse(recent.draft_body)

    def test_the_retention_setting_is_bounded(self):
        for value in (0, 29, 3651, -1):
            with self.assertRaises(ValidationError):
                self.env["res.config.settings"].create(
                    {"renewal_body_retention_days": value}
                )
        settings = self.env["res.config.settings"].create(
            {"renewal_body_retention_days": 90}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(
                "renewal_reminder.body_retention_days"
            ),
            "90",
        )
