from odoo import fields
from odoo.tools import SQL, split_every

from .models.contract_contract import FIRST_DAY_PARAM

# Contracts computed per batch when the addon is installed on a database
# that already has contracts: bounded memory, one set-based pass per batch.
INSTALL_BATCH_SIZE = 5000

# The stored renewal fields of contracts and their column types. Creating the
# columns before the module's models are set up keeps the ORM from computing
# (and tracking in the chatter) every contract while its tiers and policies do
# not exist yet; post_init_hook computes them once everything is loaded.
CONTRACT_COLUMNS = {
    "renewal_tier_id": "int4",
    "renewal_billing_rhythm": "varchar",
    "renewal_recurring_value": "numeric",
    "renewal_policy_id": "int4",
    "renewal_cycle_end": "date",
    "renewal_state": "varchar",
    "renewal_next_date": "date",
}


def pre_init_hook(env):
    for column, column_type in CONTRACT_COLUMNS.items():
        env.cr.execute(
            SQL(
                "ALTER TABLE contract_contract ADD COLUMN IF NOT EXISTS %s %s",
                SQL.identifier(column),
                SQL(column_type),
            )
        )


def post_init_hook(env):
    """Compute the renewal fields of the contracts that existed before.

    Batch by batch, set-based, without a chatter message for each contract
    getting its first tier, policy and status.
    """
    env = env(context=dict(env.context, tracking_disable=True, active_test=False))
    # Cycles that ended before today are history: no reminder, no row.
    parameters = env["ir.config_parameter"].sudo()
    if not parameters.get_param(FIRST_DAY_PARAM):
        parameters.set_param(
            FIRST_DAY_PARAM, fields.Date.to_string(fields.Date.context_today(env.user))
        )
    Contract = env["contract.contract"]
    columns = [Contract._fields[name] for name in CONTRACT_COLUMNS]
    ids = Contract.search([], order="id").ids
    for batch_ids in split_every(INSTALL_BATCH_SIZE, ids):
        contracts = Contract.browse(batch_ids)
        for field in columns:
            env.add_to_compute(field, contracts)
        env.flush_all()
        env.invalidate_all()
