"""What each person may change: every field a group may write is API.

A view's ``readonly`` protects nothing: these tests write over the ORM as the
person would over XML-RPC, and check what is refused and what stays true.
"""

import json
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import RenewalCommon


class RenewalAccessCommon(RenewalCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_strategic = cls.env["res.partner"].create(
            {
                "name": "Northwind Logistics",
                "is_company": True,
                "email": "renewals@northwind.example.com",
                "renewal_tier_id": cls.tier_strategic.id,
            }
        )
        cls.own = cls._create_contract(cls.customer_strategic, user=cls.salesperson)
        cls.others = cls._create_contract(
            cls.customer_standard, user=cls.other_salesperson
        )
        cls.held = cls._create_reminder(
            cls.own,
            30,
            "review",
            recipient_id=cls.customer_strategic.id,
            subject="Your renewal",
            draft_body="<p>Dear Northwind, your contract ends soon.</p>",
        )
        cls.sent = cls._create_reminder(
            cls.own, 60, "sent", recipient_id=cls.customer_strategic.id
        )
        cls.others_held = cls._create_reminder(
            cls.others,
            30,
            "review",
            recipient_id=cls.customer_standard.id,
            subject="Your renewal",
            draft_body="<p>Dear Harbor</p>",
        )
        cls.attacker = cls.env["res.partner"].create(
            {"name": "Mallory", "email": "mallory@evil.example.com"}
        )
        # A private note in a colleague's contract.
        cls.secret = cls.others.message_post(
            body="Internal: the customer's budget is 40,000.",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )


@tagged("post_install", "-at_install")
class TestReminderWrites(RenewalAccessCommon):
    def test_a_salesperson_cannot_rewrite_the_log(self):
        technical = {
            "state": "sent",
            "recipient_id": self.attacker.id,
            "email_to": "mallory@evil.example.com",
            "message_id": self.secret.id,
            "mail_id": False,
            "queued_date": datetime(2027, 1, 1),
            "sent_date": datetime(2027, 1, 1),
            "scheduled_date": date(2027, 1, 1),
            "outcome_date": datetime(2027, 1, 1),
            "reason_code": "refused",
            "reason": "Nothing happened here",
            "stage_id": self.policy_standard.stage_ids[:1].id,
            "policy_id": self.policy_standard.id,
            "contract_id": self.others.id,
            "cycle_end": date(2030, 1, 1),
            "days_before": 1,
            "user_id": self.other_salesperson.id,
            "partner_id": self.attacker.id,
            "company_id": False,
            "trigger": "manual",
            "reviewer_id": self.salesperson.id,
            "delivery_attempts": 0,
        }
        for reminder in (self.held, self.sent):
            for fname, value in technical.items():
                with self.subTest(state=reminder.state, field=fname):
                    before = reminder.read([fname])[0][fname]
                    with self.assertRaises(AccessError):
                        reminder.with_user(self.salesperson).write({fname: value})
                    reminder.invalidate_recordset()
                    self.assertEqual(reminder.read([fname])[0][fname], before)
        # A manager keeps the log truthful too.
        with self.assertRaises(AccessError):
            self.sent.with_user(self.manager).state = "review"

    def test_a_reminder_cannot_be_pointed_at_another_message(self):
        with self.assertRaises(AccessError):
            self.sent.with_user(self.salesperson).message_id = self.secret
        body = self.sent.with_user(self.salesperson).body or ""
        self.assertNotIn("40,000", body)

    def test_a_sent_reminder_cannot_go_back_to_review_and_out_again(self):
        with self.assertRaises(AccessError):
            self.sent.with_user(self.salesperson).write(
                {"state": "review", "recipient_id": self.attacker.id}
            )
        with self.mock_mail_gateway():
            self.sent.with_user(self.salesperson).action_approve()
        self.assertEqual(self.sent.state, "sent")
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", self.attacker.ids)])
        )

    def test_the_salesperson_edits_the_text_of_a_held_reminder_only(self):
        self.held.with_user(self.salesperson).write(
            {"subject": "Your renewal, with our thanks"}
        )
        self.assertEqual(self.held.subject, "Your renewal, with our thanks")
        self.held.with_user(self.salesperson).body = "<p>Dear Northwind, thanks</p>"
        self.assertIn("thanks", self.held.draft_body)
        with self.assertRaises(AccessError):
            self.sent.with_user(self.salesperson).subject = "Rewritten history"
        # Not a colleague's reminder: the record rules hold for writing.
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.others_held.with_user(self.salesperson).subject = "Mine now"

    def test_approving_goes_through_the_action_and_only_on_own_reminders(self):
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.others_held.with_user(self.salesperson).action_approve()
        self.assertEqual(self.others_held.state, "review")
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.others_held.with_user(self.salesperson)._refuse("No")
        self.assertEqual(self.others_held.state, "review")

        with self.mock_mail_gateway():
            self.held.with_user(self.salesperson).action_approve()
        self.assertEqual(self.held.state, "queued")
        self.assertEqual(self.held.reviewer_id, self.salesperson)
        self.assertEqual(self.held.mail_id.recipient_ids, self.customer_strategic)

    def test_approving_checks_the_recipient_again(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        changes = {
            "opted_out": lambda partner: partner.write({"renewal_opt_out": True}),
            "blacklisted": lambda partner: self.env["mail.blacklist"]._add(
                partner.email
            ),
            "archived_partner": lambda partner: partner.write({"active": False}),
            "no_email": lambda partner: partner.write({"email": False}),
            "other_company": lambda partner: partner.write(
                {"company_id": company_b.id}
            ),
        }
        for code, change in changes.items():
            with self.subTest(reason=code):
                customer = self.env["res.partner"].create(
                    {
                        "name": f"Customer {code}",
                        "is_company": True,
                        "email": f"{code}@customer.example.com",
                        "renewal_tier_id": self.tier_strategic.id,
                    }
                )
                contract = self._create_contract(customer, user=self.salesperson)
                held = self._create_reminder(
                    contract,
                    30,
                    "review",
                    recipient_id=customer.id,
                    subject="Renewal",
                    draft_body="<p>Renewal</p>",
                )
                change(customer)
                with self.mock_mail_gateway():
                    action = held.with_user(self.salesperson).action_approve()
                self.assertEqual(held.state, "skipped")
                self.assertEqual(held.reason_code, code)
                self.assertTrue(held.reason)
                self.assertFalse(held.mail_id)
                self.assertFalse(
                    self.env["mail.mail"].search(
                        [
                            ("model", "=", "contract.contract"),
                            ("res_id", "=", contract.id),
                        ]
                    )
                )
                # The salesperson is told, and the contract's chatter says why.
                self.assertEqual(action["params"]["type"], "warning")
                self.assertIn(held.reason, action["params"]["message"])
                self.assertIn(
                    held.reason,
                    contract.message_ids.filtered(
                        lambda m: m.message_type == "notification"
                    )[:1].body,
                )


@tagged("post_install", "-at_install")
class TestContractWrites(RenewalAccessCommon):
    def test_the_suite_gives_no_write_access_on_contracts(self):
        accesses = self.env["ir.model.access"].search(
            [
                ("model_id.model", "=", "contract.contract"),
                "|",
                "|",
                ("perm_write", "=", True),
                ("perm_create", "=", True),
                ("perm_unlink", "=", True),
            ]
        )
        self.assertEqual(
            accesses.group_id, self.env.ref("account.group_account_manager")
        )

    def test_a_salesperson_cannot_change_what_is_not_theirs_to_change(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        self.salesperson.company_ids |= company_b
        forbidden = {
            "company_id": company_b.id,
            "renewal_state": "renewed",
            "renewal_next_date": date(2030, 1, 1),
            "renewal_cycle_end": date(2030, 1, 1),
            "renewal_lost_end": date(2027, 3, 31),
            "renewal_lost_reason": "Gone",
            "renewal_recurring_value": 1.0,
            "renewal_tier_id": self.tier_standard.id,
            "renewal_policy_id": self.policy_standard.id,
            "user_id": self.other_salesperson.id,
        }
        for fname, value in forbidden.items():
            with self.subTest(field=fname):
                before = self.own.read([fname])[0][fname]
                with self.assertRaises(AccessError):
                    self.own.with_user(self.salesperson).write({fname: value})
                self.own.invalidate_recordset()
                self.assertEqual(self.own.read([fname])[0][fname], before)

    def test_computed_renewal_fields_are_not_written_even_with_contract_rights(self):
        accountant = new_test_user(
            self.env,
            login="rr_invoicing_admin",
            groups="base.group_user,account.group_account_manager",
        )
        for fname, value in {
            "renewal_state": "renewed",
            "renewal_next_date": date(2030, 1, 1),
            "renewal_tier_id": self.tier_standard.id,
            "renewal_policy_id": self.policy_standard.id,
        }.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                self.own.with_user(accountant).write({fname: value})
        # Their own business still works.
        self.own.with_user(accountant).name = "Northwind support, renamed"
        self.assertEqual(self.own.name, "Northwind support, renamed")

    def test_only_a_renewals_manager_changes_tier_and_policy(self):
        self.own.with_user(self.manager).renewal_tier_id = self.tier_gold
        self.assertEqual(self.own.renewal_tier_id, self.tier_gold)
        self.assertEqual(self.own.renewal_policy_id, self.policy_gold)
        self.own.with_user(self.manager).renewal_policy_id = self.policy_standard
        self.assertEqual(self.own.renewal_policy_id, self.policy_standard)
        # ... and nothing else of the contract.
        with self.assertRaises(AccessError):
            self.own.with_user(self.manager).write(
                {"renewal_tier_id": self.tier_strategic.id, "name": "Renamed"}
            )
        # Not on a contract of a company they do not work in.
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        contract_b = self._create_contract(
            self.customer_standard, company_id=company_b.id
        )
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            contract_b.with_user(self.manager).renewal_tier_id = self.tier_gold

    def test_the_own_renewals_rule_hides_nothing_accounting_shows(self):
        accountant = new_test_user(
            self.env,
            login="rr_accountant_salesperson",
            groups="base.group_user,account.group_account_invoice,"
            "renewal_reminder.renewal_reminder_group_user",
        )
        contracts = self.own | self.others
        self.assertEqual(
            self.env["contract.contract"]
            .with_user(accountant)
            .search([("id", "in", contracts.ids)]),
            contracts,
        )

    def test_mark_lost_and_reopen_only_on_own_contracts(self):
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self._mark_lost(self.others, user=self.salesperson)
        self.assertNotEqual(self.others.renewal_state, "lost")
        self._mark_lost(self.own, reason="Budget cut", user=self.salesperson)
        self.assertEqual(self.own.renewal_state, "lost")
        self.assertEqual(self.own.renewal_lost_reason, "Budget cut")
        # The open review is cancelled with the reason.
        self.assertEqual(self.held.state, "cancelled")
        self.own.with_user(self.salesperson).action_renewal_reopen()
        self.assertNotEqual(self.own.renewal_state, "lost")
        self.assertFalse(self.own.renewal_lost_reason)

    def test_a_customer_reads_none_of_the_renewal_fields(self):
        portal = new_test_user(
            self.env,
            login="rr_portal_customer",
            groups="base.group_portal",
            partner_id=self.customer_strategic.id,
        )
        self.own.message_subscribe(partner_ids=portal.partner_id.ids)
        contract = self.own.with_user(portal)
        self.assertEqual(contract.read(["name"])[0]["name"], self.own.name)
        renewal_fields = [
            fname for fname in self.own._fields if fname.startswith("renewal_")
        ]
        self.assertIn("renewal_lost_reason", renewal_fields)
        for fname in renewal_fields:
            with self.subTest(model="contract", field=fname):
                with self.assertRaises(AccessError):
                    contract.read([fname])
        partner = self.customer_strategic.with_user(portal)
        for fname in [f for f in partner._fields if f.startswith("renewal_")]:
            with self.subTest(model="partner", field=fname):
                with self.assertRaises(AccessError):
                    partner.read([fname])


@tagged("post_install", "-at_install")
class TestUrgentReminderAccess(RenewalAccessCommon):
    def _wizard(self, user, contract, **values):
        return (
            self.env["renewal.urgent.reminder"]
            .with_user(user)
            .create({"contract_id": contract.id, **values})
        )

    def test_no_urgent_reminder_on_a_contract_the_user_cannot_read(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        contract_b = self._create_contract(
            self.customer_standard, company_id=company_b.id, user=self.salesperson
        )
        for contract in (self.others, contract_b):
            with self.subTest(contract=contract.name):
                with (
                    self.assertRaises(AccessError),
                    mute_logger("odoo.addons.base.models.ir_rule"),
                ):
                    self._wizard(self.salesperson, contract)
        self.assertFalse(
            self.env["renewal.reminder"].search(
                [("contract_id", "in", (self.others | contract_b).ids)]
            )
            - self.others_held
        )

    def test_only_contract_templates_are_accepted(self):
        invite = self.env.ref("auth_signup.set_password_email")
        with self.assertRaises(ValidationError):
            self._wizard(self.salesperson, self.own, template_id=invite.id)
        wizard = self._wizard(self.salesperson, self.own)
        with self.assertRaises(ValidationError):
            wizard.template_id = invite
        # A stage cannot send it either, even set by a manager.
        with self.assertRaises(ValidationError):
            self.policy_standard.stage_ids[:1].with_user(
                self.manager
            ).mail_template_id = invite

    def test_the_message_is_rendered_as_the_user(self):
        template = self.env["mail.template"].create(
            {
                "name": "Who renders",
                "model_id": self.env["ir.model"]._get_id("contract.contract"),
                "subject": "Superuser: {{ 'yes' if object.env.su else 'no' }}",
                "body_html": "<p>Dear <t t-out='object.partner_id.name'/></p>",
            }
        )
        wizard = self._wizard(self.salesperson, self.own, template_id=template.id)
        self.assertEqual(wizard.subject, "Superuser: no")
        self.assertIn("Dear Northwind Logistics", wizard.body)

    def test_the_recipient_comes_from_the_contract_not_the_form(self):
        wizard = self.env["renewal.urgent.reminder"].with_user(self.salesperson)
        wizard = wizard.create(
            {"contract_id": self.own.id, "recipient_id": self.attacker.id}
        )
        with self.mock_mail_gateway():
            wizard.action_send()
        reminder = self.env["renewal.reminder"].search(
            [("contract_id", "=", self.own.id), ("trigger", "=", "urgent")]
        )
        self.assertEqual(reminder.recipient_id, self.customer_strategic)
        self.assertEqual(reminder.mail_id.recipient_ids, self.customer_strategic)

    def test_no_template_is_a_clear_error(self):
        with self.assertRaises(ValidationError):
            self._wizard(self.salesperson, self.own, template_id=False)

    def test_a_purchase_contract_gets_no_urgent_reminder(self):
        purchase = self._create_contract(
            self.customer_standard, contract_type="purchase"
        )
        wizard = self._wizard(self.env.user, purchase)
        with self.assertRaises(UserError):
            wizard.action_send()

    def test_policy_preview_checks_the_contract(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        contract_b = self._create_contract(
            self.customer_standard, company_id=company_b.id
        )
        preview = (
            self.env["renewal.policy.preview"]
            .with_user(self.manager)
            .create(
                {"policy_id": self.policy_standard.id, "contract_id": contract_b.id}
            )
        )
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.assertFalse(preview.timeline)


@tagged("post_install", "-at_install")
class TestInviteTemplateTakeover(RenewalAccessCommon):
    """The path that took an administrator's account over, closed.

    A salesperson asked the urgent-reminder wizard, over JSON-RPC, to render
    Odoo's "New User Invite" template (a ``res.users`` template) on record
    id 2, the administrator: the rendered body held the administrator's
    signup link, whose token reset the administrator's password.
    """

    def test_the_invite_template_never_renders_for_a_salesperson(self):
        admin = self.env.ref("base.user_admin")
        admin.partner_id.signup_prepare()
        invite = self.env.ref("auth_signup.set_password_email")
        # The contract whose id is the administrator's user id, as in the attack.
        contract = self.env["contract.contract"].browse(admin.id).exists() or self.own
        Wizard = self.env["renewal.urgent.reminder"].with_user(self.salesperson)
        leaked = []
        for attempt in (
            lambda: Wizard.create(
                {"contract_id": contract.id, "template_id": invite.id}
            ),
            lambda: Wizard.onchange(
                {"contract_id": self.own.id, "template_id": invite.id},
                ["template_id"],
                {"contract_id": {}, "template_id": {}, "subject": {}, "body": {}},
            ),
            lambda: Wizard.web_save(
                {"contract_id": self.own.id, "template_id": invite.id},
                {"subject": {}, "body": {}},
            ),
        ):
            with self.subTest(attempt=attempt):
                try:
                    with self.env.cr.savepoint():
                        result = attempt()
                except (AccessError, ValidationError, UserError):
                    continue
                leaked.append(str(result))
        self.assertFalse(leaked)
        self.assertFalse(
            self.env["renewal.urgent.reminder"].search(
                [("template_id", "=", invite.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestInviteTemplateTakeoverOverRpc(HttpCase):
    """The same attack as a browser session sends it, over JSON-RPC."""

    def test_json_rpc_gets_an_error_and_no_signup_link(self):
        admin = self.env.ref("base.user_admin")
        admin.partner_id.signup_prepare()
        signup_url = admin.partner_id._get_signup_url()
        salesperson = new_test_user(
            self.env,
            login="rr_rpc_salesperson",
            password="rr_rpc_salesperson",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_user",
        )
        partner = self.env["res.partner"].create(
            {"name": "Rpc Customer", "email": "rpc@customer.example.com"}
        )
        contract = self.env["contract.contract"].create(
            {
                "name": "Rpc contract",
                "partner_id": partner.id,
                "contract_type": "sale",
                "user_id": salesperson.id,
                "date_end": "2027-03-31",
            }
        )
        invite = self.env.ref("auth_signup.set_password_email")
        self.authenticate("rr_rpc_salesperson", "rr_rpc_salesperson")
        for contract_id in (admin.id, contract.id):
            response = self.url_open(
                "/web/dataset/call_kw/renewal.urgent.reminder/web_save",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": "renewal.urgent.reminder",
                            "method": "web_save",
                            "args": [
                                [],
                                {"contract_id": contract_id, "template_id": invite.id},
                            ],
                            "kwargs": {"specification": {"subject": {}, "body": {}}},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
            with self.subTest(contract_id=contract_id):
                self.assertIn("error", response.json())
                self.assertNotIn("reset_password", response.text)
                self.assertNotIn("signup", response.text.lower().replace("signup_", ""))
                self.assertNotIn(signup_url.split("token=")[-1], response.text)
        # The legitimate use still works for the same person.
        response = self.url_open(
            "/web/dataset/call_kw/renewal.urgent.reminder/web_save",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "renewal.urgent.reminder",
                        "method": "web_save",
                        "args": [[], {"contract_id": contract.id}],
                        "kwargs": {"specification": {"subject": {}}},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("Rpc contract", response.json()["result"][0]["subject"])


@tagged("post_install", "-at_install")
class TestReminderCompany(RenewalCommon):
    def test_a_reminder_keeps_to_its_contracts_company(self):
        company_b = self.env["res.company"].create({"name": "Renewals B"})
        policy_b = self.env["renewal.policy"].create(
            {
                "name": "Company B only",
                "company_id": company_b.id,
                "stage_ids": [Command.create({"days_before": 10})],
            }
        )
        contract = self._create_contract(self.customer_standard)
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.env["renewal.reminder"].create(
                {
                    "contract_id": contract.id,
                    "policy_id": policy_b.id,
                    "stage_id": policy_b.stage_ids.id,
                    "cycle_end": contract.renewal_cycle_end,
                }
            )
