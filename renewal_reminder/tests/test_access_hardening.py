"""Holes found by trying the suite as a customer, a salesperson and an
integrator would, each shown closed."""

from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestAccessHardening(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls._create_contract(cls.customer_gold, user=cls.salesperson)
        cls.others = cls._create_contract(
            cls.customer_standard, user=cls.other_salesperson
        )
        cls.portal = new_test_user(
            cls.env,
            login="rr_hardening_portal",
            groups="base.group_portal",
            partner_id=cls.customer_gold.id,
        )
        cls.own.message_subscribe(partner_ids=cls.portal.partner_id.ids)
        cls.employee = new_test_user(
            cls.env,
            login="rr_hardening_employee",
            groups="base.group_user,base.group_partner_manager",
        )

    def test_a_customer_cannot_reopen_or_lose_their_renewal(self):
        self._mark_lost(self.own, user=self.salesperson)
        contract = self.own.with_user(self.portal)
        self.assertEqual(contract.read(["name"])[0]["name"], self.own.name)
        with self.assertRaises(AccessError):
            contract.action_renewal_reopen()
        with self.assertRaises(AccessError):
            contract._renewal_mark_lost("Not me")
        self.assertEqual(self.own.renewal_state, "lost")
        # Nor can an employee outside the Renewals team.
        accountant = new_test_user(
            self.env,
            login="rr_hardening_accountant",
            groups="base.group_user,account.group_account_invoice",
        )
        with self.assertRaises(AccessError):
            self.own.with_user(accountant).action_renewal_reopen()
        self.assertEqual(self.own.renewal_state, "lost")

    def test_a_customer_reading_their_contract_gets_nothing_beyond_their_rights(self):
        contract = self.own.with_user(self.portal)
        self.assertTrue(self.own.journal_id)
        # OCA computes these from the invoicing journal, which a customer
        # may not read: they get OCA's own answer, not one worked out as
        # superuser on their behalf.
        for fname in ("currency_id", "pricelist_id_domain"):
            contract.invalidate_recordset([fname])
            with (
                self.subTest(field=fname),
                self.assertRaises(AccessError),
                mute_logger("odoo.models"),
            ):
                contract.read([fname])
        # The invoices they count are the ones they may see.
        self.assertEqual(contract.invoice_count, 0)
        # The salesperson without invoicing rights still gets the values.
        mine = self.own.with_user(self.salesperson)
        self.assertEqual(mine.currency_id, self.own.currency_id)
        self.assertEqual(mine.pricelist_id_domain, self.own.pricelist_id_domain)

    def test_a_salesperson_reads_the_lines_of_their_contracts_only(self):
        Line = self.env["contract.line"]
        lines = (self.own | self.others).contract_line_ids
        self.assertEqual(
            Line.with_user(self.salesperson).search([("id", "in", lines.ids)]),
            self.own.contract_line_ids,
        )
        self.assertEqual(
            Line.with_user(self.manager).search([("id", "in", lines.ids)]), lines
        )
        accountant = new_test_user(
            self.env,
            login="rr_hardening_accountant_sales",
            groups="base.group_user,account.group_account_invoice,"
            "renewal_reminder.renewal_reminder_group_user",
        )
        self.assertEqual(
            Line.with_user(accountant).search([("id", "in", lines.ids)]), lines
        )

    def test_a_customers_tier_and_reminders_are_the_renewal_teams(self):
        with self.assertRaises(AccessError):
            self.customer_standard.with_user(
                self.salesperson
            ).renewal_tier_id = self.tier_strategic
        self.assertEqual(self.others.renewal_tier_id, self.tier_standard)
        for fname, value in {
            "renewal_opt_out": True,
            "renewal_backup_partner_id": self.customer_gold.id,
        }.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                self.customer_standard.with_user(self.employee).write({fname: value})
        # The Renewals team records an opt-out; a contact takes its
        # company's tier when anyone creates it.
        self.customer_standard.with_user(self.salesperson).renewal_opt_out = True
        self.assertTrue(self.customer_standard.renewal_opt_out)
        contact = (
            self.env["res.partner"]
            .with_user(self.employee)
            .create({"name": "Dana Harbor", "parent_id": self.customer_standard.id})
        )
        self.assertEqual(contact.renewal_tier_id, self.tier_standard)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.employee).create(
                {"name": "Self-made Key Account", "renewal_tier_id": self.tier_gold.id}
            )

    def test_a_tier_set_for_one_contract_stays_until_it_is_cleared(self):
        self.own.with_user(self.manager).renewal_tier_id = self.tier_strategic
        self.assertTrue(self.own.renewal_tier_manual)
        self.customer_gold.renewal_tier_id = self.tier_standard
        self.assertEqual(self.own.renewal_tier_id, self.tier_strategic)
        self.own.with_user(self.manager).renewal_tier_id = False
        self.assertFalse(self.own.renewal_tier_manual)
        self.assertEqual(self.own.renewal_tier_id, self.tier_standard)

    def test_a_form_sending_back_what_the_rules_computed_is_no_choice(self):
        accountant = new_test_user(
            self.env,
            login="rr_hardening_invoicing_manager",
            groups="base.group_user,account.group_account_manager,"
            "renewal_reminder.renewal_reminder_group_manager",
        )
        form = Form(
            self.env["contract.contract"]
            .with_user(accountant)
            .with_context(default_contract_type="sale")
        )
        form.name = "Made in the form"
        form.partner_id = self.customer_gold
        contract = form.save()
        self.assertEqual(contract.renewal_tier_id, self.tier_gold)
        self.assertFalse(contract.renewal_tier_manual)
        self.assertFalse(contract.renewal_policy_manual)

    def test_context_defaults_never_reach_the_renewal_fields(self):
        accountant = new_test_user(
            self.env,
            login="rr_hardening_contract_writer",
            groups="base.group_user,account.group_account_manager",
        )
        contract = (
            self.env["contract.contract"]
            .with_user(accountant)
            .with_context(
                default_renewal_pass_error_date="2999-12-31",
                default_renewal_lost_end="2027-03-31",
                default_renewal_policy_manual=True,
            )
            .create(
                {
                    "name": "Defaults",
                    "partner_id": self.customer_gold.id,
                    "contract_type": "sale",
                    "date_end": date(2027, 3, 31),
                }
            )
        )
        self.assertFalse(contract.renewal_pass_error_date)
        self.assertFalse(contract.renewal_lost_end)
        self.assertFalse(contract.renewal_policy_manual)
        self.assertEqual(contract.renewal_next_date, date(2027, 2, 14))

    def test_an_urgent_reminder_is_logged_as_it_was_and_sent_once(self):
        stage = self.policy_gold.stage_ids[:1]
        wizard = (
            self.env["renewal.urgent.reminder"]
            .with_user(self.salesperson)
            .create({"contract_id": self.own.id})
        )
        with self.mock_mail_gateway():
            wizard.with_context(
                default_stage_id=stage.id,
                default_reviewer_id=self.env.ref("base.user_admin").id,
                default_state="sent",
            ).action_send()
        reminder = self.own.renewal_reminder_ids
        self.assertFalse(reminder.stage_id)
        self.assertFalse(reminder.reviewer_id)
        self.assertEqual(reminder.state, "queued")
        with self.assertRaisesRegex(UserError, "already sent"):
            wizard.action_send()
        self.assertEqual(len(self.own.renewal_reminder_ids), 1)

    def test_onchange_does_not_read_another_salespersons_contract(self):
        Reminder = self.env["renewal.reminder"].with_user(self.salesperson)
        try:
            with mute_logger("odoo.addons.base.models.ir_rule"):
                result = Reminder.onchange(
                    {"contract_id": self.others.id}, [], {"tier_id": {}}
                )
        except AccessError:
            return
        self.assertFalse(result.get("value", {}).get("tier_id"))


@tagged("post_install", "-at_install")
class TestApprovalHardening(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_account = cls.env["res.partner"].create(
            {
                "name": "Key Account",
                "is_company": True,
                "email": "key@account.example.com",
                "renewal_tier_id": cls.tier_strategic.id,
            }
        )
        cls.contract = cls._create_contract(cls.key_account, user=cls.salesperson)
        cls.held = cls._create_reminder(
            cls.contract,
            30,
            "review",
            recipient_id=cls.key_account.id,
            subject="Your renewal",
            draft_body="<p>Dear Key Account</p>",
        )

    def test_an_emptied_or_placeholder_text_is_not_approved(self):
        held = self.held.with_user(self.salesperson)
        held.subject = ""
        with self.assertRaisesRegex(UserError, "empty"):
            held.action_approve()
        held.write({"subject": "Your renewal", "body": "<p>Dear ${partner_name}</p>"})
        with self.assertRaisesRegex(UserError, r"\$\{"):
            held.action_approve()
        self.assertEqual(self.held.state, "review")
        held.body = "<p>Dear Key Account, shall we renew?</p>"
        with self.mock_mail_gateway():
            held.action_approve()
        self.assertEqual(self.held.state, "queued")

    def test_approval_writes_to_whoever_receives_it_now(self):
        backup = self.env["res.partner"].create(
            {"name": "New Decision Maker", "email": "decider@account.example.com"}
        )
        self.key_account.write({"email": False, "renewal_backup_partner_id": backup.id})
        with self.mock_mail_gateway():
            self.held.with_user(self.salesperson).action_approve()
        self.assertEqual(self.held.state, "queued")
        self.assertEqual(self.held.recipient_id, backup)
        self.assertEqual(self.held.mail_id.recipient_ids, backup)


@tagged("post_install", "-at_install")
class TestBounceOfACopy(RenewalCommon, MockEmail):
    def test_a_copy_coming_back_does_not_bounce_the_reminder(self):
        self.env["contract.contract"].search([]).write({"active": False})
        contract = self._create_contract(self.customer_standard)
        follower = self.env["res.partner"].create(
            {"name": "Copy", "email": "copy@example.com"}
        )
        contract.message_subscribe(partner_ids=follower.ids)
        with freeze_time("2027-03-01"), self.mock_mail_gateway():
            self.env["renewal.scheduler"]._cron_send_due_reminders()
        reminder = contract.renewal_reminder_ids.filtered(lambda r: r.mail_id)
        self.assertEqual(reminder.state, "queued")
        copies = reminder.message_id.notification_ids.filtered(
            lambda n: n.res_partner_id == follower
        )
        customer = reminder.message_id.notification_ids.filtered(
            lambda n: n.res_partner_id == self.customer_standard
        )
        copies.write({"notification_status": "bounce"})
        self.assertNotEqual(reminder.state, "bounced")
        customer.write({"notification_status": "bounce"})
        self.assertEqual(reminder.state, "bounced")


@tagged("post_install", "-at_install")
class TestSalespersonOpensTheirContract(RenewalCommon):
    def test_a_salesperson_without_invoicing_rights_opens_their_contract(self):
        contract = self._create_contract(self.customer_gold, user=self.salesperson)
        self.assertFalse(self.salesperson.has_group("account.group_account_invoice"))
        # What the web client does: load the form view and read its fields.
        form = Form(contract.with_user(self.salesperson))
        self.assertEqual(form.partner_id, self.customer_gold)
        self.assertEqual(form.renewal_tier_id, self.tier_gold)
        self.assertEqual(len(form.contract_line_ids), 1)
        self.assertTrue(form.renewal_policy_reason)
        arch = contract.with_user(self.salesperson).get_views([(False, "form")])[
            "views"
        ]["form"]["arch"]
        self.assertNotIn('name="modification_ids"', arch)
        self.assertNotIn('name="action_show_invoices"', arch)
