from odoo.tools import split_every

# Contracts recomputed per batch when the addon is installed on a database
# that already has contracts: bounded memory, one set-based pass per batch.
INSTALL_BATCH_SIZE = 5000


def post_init_hook(env):
    """Give the contracts that existed before the install their policy.

    The stored renewal fields are computed when their columns are created,
    before this addon's tiers and policies are loaded, so the policy and
    what follows from it (the next reminder date) are computed again now,
    batch by batch.
    """
    # No chatter message for each contract getting its first policy.
    env = env(context=dict(env.context, tracking_disable=True, active_test=False))
    Contract = env["contract.contract"]
    policy_field = Contract._fields["renewal_policy_id"]
    ids = Contract.search([("contract_type", "=", "sale")], order="id").ids
    for batch_ids in split_every(INSTALL_BATCH_SIZE, ids):
        contracts = Contract.browse(batch_ids)
        env.add_to_compute(policy_field, contracts)
        contracts.modified(["renewal_policy_id"])
        env.flush_all()
        env.invalidate_all()
