from datetime import date

from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, get_db_name, tagged

# Far before any demo contract's dates, so only this test's contracts are due.
TODAY = date(2020, 1, 1)


@tagged("post_install", "-at_install")
class TestRenewalWorkers(BaseCase):
    """Two workers on two database connections share one pass.

    The data is committed (a second connection sees nothing else) and removed
    at the end.
    """

    def setUp(self):
        super().setUp()
        self.connections = [db_connect(get_db_name()).cursor() for _i in range(3)]
        self.addCleanup(self._close)
        cr = self.connections[0]
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        tier = env.ref("renewal_reminder.renewal_tier_standard")
        product = env["product.product"].create(
            {"name": "Worker plan", "type": "service"}
        )
        self.partners = env["res.partner"].create(
            [
                {
                    "name": f"Worker customer {index}",
                    "email": f"worker{index}@example.com",
                    "is_company": True,
                    "renewal_tier_id": tier.id,
                }
                for index in range(12)
            ]
        )
        self.contracts = env["contract.contract"].create(
            [
                {
                    "name": f"Worker contract {partner.id}",
                    "partner_id": partner.id,
                    "contract_type": "sale",
                    "line_recurrence": True,
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": "Worker plan",
                                "quantity": 1,
                                "price_unit": 10.0,
                                "recurring_rule_type": "monthly",
                                "recurring_interval": 1,
                                "date_start": date(2019, 1, 1),
                                "date_end": date(2020, 1, 20),
                            }
                        )
                    ],
                }
                for partner in self.partners
            ]
        )
        self.product = product
        # A second connection only sees committed rows.
        cr.commit()  # pylint: disable=invalid-commit

    def _close(self):
        cr = self.connections[0]
        cr.rollback()
        contract_ids = tuple(self.contracts.ids)
        cr.execute(
            "DELETE FROM mail_mail WHERE mail_message_id IN "
            "(SELECT id FROM mail_message "
            "WHERE model = 'contract.contract' AND res_id IN %s)",
            [contract_ids],
        )
        cr.execute(
            "DELETE FROM mail_message "
            "WHERE model = 'contract.contract' AND res_id IN %s",
            [contract_ids],
        )
        cr.execute(
            "DELETE FROM mail_activity "
            "WHERE res_model = 'contract.contract' AND res_id IN %s",
            [contract_ids],
        )
        cr.execute("DELETE FROM contract_contract WHERE id IN %s", [contract_ids])
        partner_ids = tuple(self.partners.ids)
        cr.execute("DELETE FROM res_partner WHERE id IN %s", [partner_ids])
        cr.execute(
            "DELETE FROM product_template WHERE id = %s",
            [self.product.product_tmpl_id.id],
        )
        cr.commit()  # pylint: disable=invalid-commit
        for connection in self.connections:
            connection.close()

    def test_two_workers_split_the_due_contracts_and_never_send_twice(self):
        worker_a, worker_b = (
            api.Environment(cr, SUPERUSER_ID, {}) for cr in self.connections[1:]
        )
        sent = {"a": set(), "b": set()}
        # Emails are only queued here: nothing leaves the machine.
        while True:
            # Both claim a batch before either commits: the second one
            # skips the rows the first one holds.
            claimed_a = worker_a["contract.contract"]._renewal_claim_due(TODAY, 4)
            claimed_b = worker_b["contract.contract"]._renewal_claim_due(TODAY, 4)
            self.assertFalse(set(claimed_a.ids) & set(claimed_b.ids))
            if not (claimed_a or claimed_b):
                break
            for name, env, claimed in (
                ("a", worker_a, claimed_a),
                ("b", worker_b, claimed_b),
            ):
                reminders = env["renewal.reminder"]._process_due_contracts(
                    claimed, TODAY
                )
                sent[name] |= set(
                    reminders.filtered(lambda r: r.state == "queued").contract_id.ids
                )
                env.cr.commit()  # pylint: disable=invalid-commit
        self.assertTrue(sent["a"] and sent["b"], "both workers took a share")
        self.assertFalse(sent["a"] & sent["b"])
        self.assertEqual(sent["a"] | sent["b"], set(self.contracts.ids))
        cr = self.connections[0]
        cr.execute(
            "SELECT contract_id, count(*) FROM renewal_reminder "
            "WHERE contract_id IN %s AND state = 'queued' GROUP BY contract_id",
            [tuple(self.contracts.ids)],
        )
        counts = dict(cr.fetchall())
        self.assertEqual(counts, dict.fromkeys(self.contracts.ids, 1))
