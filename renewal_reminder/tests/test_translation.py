from odoo.tests import tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestTranslation(RenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["renewal_reminder"], ["zh_CN"], overwrite=True
        )
        cls.salesperson.lang = "zh_CN"

    def test_a_chinese_salesperson_reads_chinese_labels(self):
        env = self.env(user=self.salesperson, context={"lang": "zh_CN"})
        Contract = env["contract.contract"]
        description = Contract.fields_get(["renewal_state"])["renewal_state"]
        self.assertEqual(description["string"], "续约状态")
        self.assertEqual(dict(description["selection"])["review"], "待审核")
        self.assertEqual(dict(description["selection"])["upcoming"], "即将到期")
        action = env["ir.actions.act_window"]._for_xml_id(
            "renewal_reminder.renewal_tier_action"
        )
        self.assertEqual(action["name"], "客户等级")
        menu = env.ref("renewal_reminder.renewal_menu_root").with_env(env)
        self.assertEqual(menu.name, "续约")

    def test_a_chinese_salesperson_reads_the_escalation_in_chinese(self):
        env = self.env(user=self.salesperson, context={"lang": "zh_CN"})
        fields = env["contract.contract"].fields_get(["renewal_at_risk"])
        self.assertEqual(fields["renewal_at_risk"]["string"], "有风险")
        states = dict(
            env["renewal.reminder"].fields_get(["state"])["state"]["selection"]
        )
        self.assertNotEqual(states["opened"], "Opened")
        self.assertNotEqual(states["clicked"], "Clicked")
