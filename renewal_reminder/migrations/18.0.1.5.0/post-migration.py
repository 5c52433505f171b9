"""Who reads a contract's reminders follows the contract.

The reminder log keeps whom each reminder went to, for whom and from which
company; the record rules on reminders now follow the contract's current
salesperson and company, so that a contract handed over brings its history
along. The rules are ``noupdate``: their new domains are written here. The
reminders keep the values they have.

The daily pass's scheduled actions (the main one and its parallel copies)
now run on ``renewal.scheduler``, which does the pass.
"""

from odoo import SUPERUSER_ID, api

RULES = {
    "renewal_reminder.renewal_reminder_rule_own": (
        "[('contract_id.user_id', '=', user.id)]"
    ),
    "renewal_reminder.renewal_reminder_rule_company": (
        "[('contract_id.company_id', 'in', company_ids)]"
    ),
}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, domain in RULES.items():
        rule = env.ref(xmlid, raise_if_not_found=False)
        if rule:
            rule.domain_force = domain
    scheduler = env["ir.model"]._get("renewal.scheduler")
    env["ir.cron"].with_context(active_test=False).search(
        [
            ("model_id.model", "=", "renewal.reminder"),
            ("code", "=", "model._cron_send_due_reminders()"),
        ]
    ).write({"model_id": scheduler.id})
