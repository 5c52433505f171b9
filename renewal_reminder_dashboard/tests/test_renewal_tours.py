from datetime import timedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRenewalTours(HttpCase):
    """The main flows as a person clicks them, in a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read the add-ons' manifests once, here: the browser's first requests
        # would otherwise parse them in several server threads at once, which
        # Python 3.11 before 3.11.8 can fail on ("AST constructor recursion
        # depth mismatch").
        cls.addon_statics = http.root.statics

    def test_the_salesperson_works_a_renewal_from_the_board(self):
        salesperson = new_test_user(
            self.env,
            login="rr_tour_sales",
            password="rr_tour_sales",
            name="Tess Tour",
            email="tess@example.com",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_user",
        )
        customer = self.env["res.partner"].create(
            {
                "name": "Tour Customer",
                "is_company": True,
                "email": "tour@customer.example.com",
                "renewal_tier_id": self.env.ref(
                    "renewal_reminder.renewal_tier_standard"
                ).id,
            }
        )
        product = self.env["product.product"].create(
            {"name": "Tour plan", "type": "service"}
        )
        today = fields.Date.today()
        contract = self.env["contract.contract"].create(
            {
                "name": "Tour hosting",
                "partner_id": customer.id,
                "contract_type": "sale",
                "line_recurrence": True,
                "user_id": salesperson.id,
                "contract_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "name": "Tour plan",
                            "quantity": 1,
                            "price_unit": 100.0,
                            "recurring_rule_type": "monthly",
                            "recurring_interval": 1,
                            "date_start": today - timedelta(days=300),
                            "date_end": today + timedelta(days=20),
                        }
                    )
                ],
            }
        )
        # Reminders leave at once, whatever the hour the tour runs at.
        self.env["renewal.policy"].search([]).write({"calendar_id": False})
        held = self.env["renewal.reminder"].create(
            {
                "contract_id": contract.id,
                "policy_id": contract.renewal_policy_id.id,
                "stage_id": contract.renewal_policy_id.stage_ids[:1].id,
                "cycle_end": contract.renewal_cycle_end,
                "days_before": 30,
                "state": "review",
                "recipient_id": customer.id,
                "subject": "Your Tour hosting renewal",
                "draft_body": "<p>Dear Tour Customer, shall we renew?</p>",
            }
        )
        self.start_tour(
            "/odoo/renewals", "renewal_salesperson_tour", login="rr_tour_sales"
        )
        self.assertEqual(held.state, "queued")
        self.assertEqual(held.reviewer_id, salesperson)
        self.assertEqual(held.mail_id.recipient_ids, customer)
        urgent = contract.renewal_reminder_ids.filtered(lambda r: r.trigger == "urgent")
        self.assertEqual(urgent.state, "queued")
        self.assertEqual(urgent.recipient_id, customer)
        self.assertEqual(urgent.reviewer_id, self.env["res.users"])
        # Marked lost with its reason, then reopened: the chatter kept both.
        self.assertNotEqual(contract.renewal_state, "lost")
        tracked = contract.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "renewal_lost_reason"
        )
        self.assertIn("Moved to a competitor", tracked.mapped("new_value_char"))

    def test_the_admin_sets_up_a_tier_and_its_policy(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Admin Tour Customer",
                "is_company": True,
                "email": "admin-tour@customer.example.com",
            }
        )
        today = fields.Date.today()
        contract = self.env["contract.contract"].create(
            {
                "name": "Admin tour hosting",
                "partner_id": customer.id,
                "contract_type": "sale",
                "date_start": today - timedelta(days=300),
                "date_end": today + timedelta(days=90),
            }
        )
        admin = self.env.ref("base.user_admin")
        admin.email = "admin@example.com"
        self.start_tour(
            "/odoo/action-renewal_reminder.renewal_tier_action",
            "renewal_admin_tour",
            login="admin",
        )
        tier = self.env["renewal.tier"].search([("name", "=", "Platinum")])
        policy = self.env["renewal.policy"].search([("name", "=", "Platinum accounts")])
        self.assertEqual(policy.tier_id, tier)
        self.assertEqual(sorted(policy.stage_ids.mapped("days_before")), [7, 30, 60])
        tests = self.env["mail.mail"].search(
            [("subject", "like", "[Test %"), ("email_to", "ilike", "admin@example.com")]
        )
        self.assertEqual(len(tests), 3)
        self.assertFalse(contract.renewal_reminder_ids)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("renewal_reminder.target_rate"),
            "90.0",
        )

    def test_the_salesperson_finds_the_renewals_at_risk(self):
        new_test_user(
            self.env,
            login="rr_risk_sales",
            password="rr_risk_sales",
            name="Rita Risk",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_user",
        )
        salesperson = self.env["res.users"].search([("login", "=", "rr_risk_sales")])
        customer = self.env["res.partner"].create(
            {"name": "Silent Customer", "is_company": True, "email": "s@example.com"}
        )
        today = fields.Date.today()
        contract = self.env["contract.contract"].create(
            {
                "name": "Silent hosting",
                "partner_id": customer.id,
                "contract_type": "sale",
                "user_id": salesperson.id,
                "date_start": today - timedelta(days=300),
                "date_end": today + timedelta(days=20),
            }
        )
        contract.sudo().write(
            {
                "renewal_risk_end": contract.renewal_cycle_end,
                "renewal_risk_reason": "No answer 72 hours after the 30-day reminder.",
            }
        )
        self.assertTrue(contract.renewal_at_risk)
        self.start_tour("/odoo/renewals", "renewal_at_risk_tour", login="rr_risk_sales")
