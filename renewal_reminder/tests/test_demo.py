from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo a new admin looks at: loaded whole, and its pass went through."""

    def test_the_demo_pass_went_through(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "renewal_reminder")]
        )
        if not module.demo:
            self.skipTest("installed without demo data")
        northwind = self.env.ref("renewal_reminder.partner_northwind")
        self.assertTrue(northwind.renewal_backup_partner_id)
        contracts = self.env["contract.contract"].search(
            [("partner_id.commercial_partner_id", "=", northwind.id)]
        )
        self.assertTrue(contracts)
        reminders = self.env["renewal.reminder"].search([])
        self.assertTrue(reminders, "the demo's daily pass made no reminder")
        self.assertFalse(
            reminders.filtered(
                lambda r: r.reason_code in ("render_error", "unrendered")
            ).mapped("reason")
        )
        self.assertFalse(
            self.env["contract.contract"]
            .search([("renewal_pass_error_date", "!=", False)])
            .mapped("renewal_pass_error")
        )
