from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestRenewalBoardHttp(HttpCase):
    """The board as the web client loads it, over HTTP, as a salesperson."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="rr_board_sales",
            password="rr_board_sales_pw",
            groups="base.group_user,renewal_reminder.renewal_reminder_group_user",
        )
        customer = cls.env["res.partner"].create(
            {
                "name": "Board Customer",
                "is_company": True,
                "renewal_tier_id": cls.env.ref("renewal_reminder.renewal_tier_gold").id,
            }
        )
        product = cls.env["product.product"].create(
            {"name": "Hosting", "type": "service"}
        )
        cls.contract = cls.env["contract.contract"].create(
            {
                "name": "Board hosting",
                "partner_id": customer.id,
                "contract_type": "sale",
                "line_recurrence": True,
                "user_id": cls.salesperson.id,
                "contract_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "name": "Hosting",
                            "quantity": 1,
                            "price_unit": 250.0,
                            "recurring_rule_type": "monthly",
                            "recurring_interval": 1,
                            "date_start": date(2026, 1, 1),
                            "date_end": date(2027, 6, 30),
                        },
                    )
                ],
            }
        )

    def test_salesperson_opens_the_renewal_board(self):
        self.authenticate("rr_board_sales", "rr_board_sales_pw")
        # /odoo/renewals: the web client loads the action by its path.
        action = self.make_jsonrpc_request(
            "/web/action/load", {"action_id": "renewals"}
        )
        self.assertEqual(
            action["id"],
            self.env.ref("renewal_reminder.contract_contract_renewal_action").id,
        )
        self.assertEqual(action["res_model"], "contract.contract")
        self.assertEqual(action["views"][0][1], "kanban")
        # The board's own domain, as the salesperson's client sends it, holds
        # their customer contract and nobody else's.
        others = self.env["contract.contract"].create(
            {
                "name": "Someone else's hosting",
                "partner_id": self.contract.partner_id.id,
                "contract_type": "sale",
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        supplier = self.env["contract.contract"].create(
            {
                "name": "Our own supplier",
                "partner_id": self.contract.partner_id.id,
                "contract_type": "purchase",
                "user_id": self.salesperson.id,
            }
        )
        client = {"uid": self.salesperson.id}
        found = self.make_jsonrpc_request(
            "/web/dataset/call_kw/contract.contract/web_search_read",
            {
                "model": "contract.contract",
                "method": "web_search_read",
                "args": [],
                "kwargs": {
                    # What the web client evaluates the action's strings to.
                    "domain": safe_eval(action["domain"] or "[]", client),
                    "specification": {"name": {}},
                    "context": safe_eval(action["context"] or "{}", client),
                },
            },
        )
        names = {record["name"] for record in found["records"]}
        self.assertIn("Board hosting", names)
        self.assertNotIn(others.name, names)
        self.assertNotIn(supplier.name, names)
        page = self.url_open("/odoo/renewals")
        self.assertEqual(page.status_code, 200)
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/contract.contract/web_read_group",
            {
                "model": "contract.contract",
                "method": "web_read_group",
                "args": [],
                "kwargs": {
                    "domain": action["domain"] and [("id", "=", self.contract.id)],
                    "fields": ["renewal_recurring_value:sum"],
                    "groupby": ["renewal_state"],
                },
            },
        )
        upcoming = next(g for g in result["groups"] if g["renewal_state"] == "upcoming")
        self.assertEqual(upcoming["renewal_state_count"], 1)
        self.assertEqual(upcoming["renewal_recurring_value"], 3000.0)
