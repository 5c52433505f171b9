from odoo.tests import tagged

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestResPartner(RenewalCommon):
    def test_contacts_follow_their_company_tier(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann Buyer", "parent_id": self.customer_gold.id}
        )
        self.assertEqual(contact.renewal_tier_id, self.tier_gold)
        strategic_companies = self.tier_strategic.partner_count
        self.customer_gold.renewal_tier_id = self.tier_strategic
        self.assertEqual(contact.renewal_tier_id, self.tier_strategic)
        # The tier counts companies, not each of their contacts.
        self.tier_strategic.invalidate_recordset(["partner_count"])
        self.assertEqual(self.tier_strategic.partner_count, strategic_companies + 1)

    def test_opt_out_records_who_and_when(self):
        partner = self.customer_standard.with_user(self.salesperson)
        partner.renewal_opt_out = True
        self.assertEqual(partner.renewal_opt_out_user_id, self.salesperson)
        self.assertTrue(partner.renewal_opt_out_date)
        partner.renewal_opt_out = False
        self.assertFalse(partner.renewal_opt_out_user_id)
        self.assertFalse(partner.renewal_opt_out_date)

    def test_backup_contact_and_renewals_button(self):
        backup = self.env["res.partner"].create(
            {
                "name": "Bob Backup",
                "parent_id": self.customer_gold.id,
                "email": "bob@bluepeak.example.com",
            }
        )
        self.customer_gold.renewal_backup_partner_id = backup
        contract = self._create_contract(self.customer_gold)
        self.assertEqual(self.customer_gold.renewal_contract_count, 1)
        self.assertEqual(backup.renewal_contract_count, 1)
        action = self.customer_gold.action_view_renewals()
        self.assertEqual(
            self.env["contract.contract"].search(action["domain"]), contract
        )
