from odoo.tests import tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestSettings(RenewalCommon):
    def test_renewal_settings_are_saved(self):
        settings = self.env["res.config.settings"].create(
            {
                "renewal_default_policy_id": self.policy_gold.id,
                "renewal_sender_email": "Renewals <renewals@example.com>",
                "renewal_target_rate": 90.0,
                "renewal_review_tier_ids": [
                    (6, 0, (self.tier_gold | self.tier_strategic).ids)
                ],
            }
        )
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(
            params.get_param("renewal_reminder.default_policy_id"),
            str(self.policy_gold.id),
        )
        self.assertEqual(
            params.get_param("renewal_reminder.sender_email"),
            "Renewals <renewals@example.com>",
        )
        self.assertEqual(float(params.get_param("renewal_reminder.target_rate")), 90.0)
        self.assertTrue(self.tier_gold.review_required)
        self.assertTrue(self.tier_strategic.review_required)
        self.assertFalse(self.tier_standard.review_required)

        reopened = self.env["res.config.settings"].create({})
        self.assertEqual(reopened.renewal_default_policy_id, self.policy_gold)
        self.assertEqual(
            reopened.renewal_review_tier_ids, self.tier_gold | self.tier_strategic
        )
        self.assertEqual(reopened.renewal_target_rate, 90.0)

        # An untiered customer's contract falls back on the new default.
        customer = self.env["res.partner"].create(
            {"name": "No Tier Ltd", "is_company": True}
        )
        self.assertEqual(
            self._create_contract(customer).renewal_policy_id, self.policy_gold
        )

    def test_settings_page_shows_the_renewals_app(self):
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('name="renewal_reminder"', arch)
        self.assertIn('name="renewal_target_rate"', arch)
