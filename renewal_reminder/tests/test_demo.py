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

    def test_chinese_is_whole_in_the_demo(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "renewal_reminder")]
        )
        if not module.demo:
            self.skipTest("installed without demo data")

        def chinese(text):
            return any("\u4e00" <= char <= "\u9fff" for char in text or "")

        reminders = self.env["renewal.reminder"].search(
            [("partner_id.lang", "=", "zh_CN"), ("subject", "!=", False)]
        )
        self.assertTrue(reminders)
        for reminder in reminders:
            with self.subTest(reminder=reminder.display_name):
                self.assertTrue(chinese(reminder.subject), reminder.subject)
                self.assertNotIn("Your contract", reminder.subject)
        # A zh_CN user reads the contract's own labels (OCA contract's terms)
        # and the board's columns in Chinese.
        Contract = self.env["contract.contract"].with_context(lang="zh_CN")
        described = Contract.fields_get(["date_end", "renewal_state"])
        self.assertTrue(chinese(described["date_end"]["string"]))
        self.assertTrue(
            all(
                chinese(label)
                for _key, label in described["renewal_state"]["selection"]
            )
        )
        menu = self.env.ref(
            "renewal_reminder.renewal_menu_root", raise_if_not_found=False
        )
        if menu:
            self.assertTrue(chinese(menu.with_context(lang="zh_CN").name))
