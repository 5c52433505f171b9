"""Reminders leave within sending hours.

Policies created before 18.0.1.4.0 get the standard sending hours (weekdays
09:00-18:00 in each customer's time zone), as new ones do.
"""

from odoo import SUPERUSER_ID, api

CALENDAR = "renewal_reminder.resource_calendar_renewal_sending_hours"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    calendar = env.ref(CALENDAR, raise_if_not_found=False)
    if not calendar:
        return
    policies = (
        env["renewal.policy"]
        .with_context(active_test=False)
        .search([("calendar_id", "=", False)])
    )
    policies.write({"calendar_id": calendar.id})
