"""18.0.1.2.0: a policy chosen by hand is flagged; the old text column goes.

- Before, a contract kept a policy someone picked until its tier, rhythm or
  value changed, and nothing said it was picked. Now a policy chosen by hand
  is flagged and kept, and every other contract follows the rules when they
  change. A contract whose policy is not the one the rules choose was chosen
  by hand: flag it, so that no one's choice is undone.
- A tier set on a contract (not its customer's) is flagged the same way.
- ``body`` held each reminder's text until 18.0.1.1.0 moved it to
  ``draft_body`` (and to the emails): drop the column.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    Contract = env["contract.contract"]
    contracts = Contract.search(
        [("contract_type", "=", "sale"), ("renewal_policy_id", "!=", False)]
    )
    automatic = env["renewal.policy"]._for_contracts(contracts)
    chosen = [
        contract.id
        for contract in contracts
        if contract.renewal_policy_id != automatic[contract][0]
    ]
    if chosen:
        cr.execute(
            SQL(
                "UPDATE contract_contract SET renewal_policy_manual = true "
                "WHERE id = ANY(%s)",
                chosen,
            )
        )
        Contract.invalidate_model(["renewal_policy_manual"])
    # The same for a tier set on the contract rather than its customer.
    cr.execute(
        """UPDATE contract_contract c SET renewal_tier_manual = true
             FROM res_partner p, res_partner cp
            WHERE p.id = c.partner_id AND cp.id = p.commercial_partner_id
              AND c.renewal_tier_id IS NOT NULL
              AND c.renewal_tier_id IS DISTINCT FROM cp.renewal_tier_id"""
    )
    Contract.invalidate_model(["renewal_tier_manual"])
    cr.execute("ALTER TABLE renewal_reminder DROP COLUMN IF EXISTS body")
