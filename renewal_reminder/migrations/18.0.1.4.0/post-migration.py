"""Reminders leave within sending hours; silence escalates from now on.

- Policies created before 18.0.1.4.0 get the standard sending hours
  (weekdays 09:00-18:00 in each customer's time zone), as new ones do.
- The reminders sent before it never escalate: nothing tracked their
  readings (every one would look unread and unanswered), and a first run
  of the escalation pass would flag every renewal at risk, send every
  fallback and bring every next stage forward at once.
"""

from odoo import SUPERUSER_ID, api

CALENDAR = "renewal_reminder.resource_calendar_renewal_sending_hours"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    calendar = env.ref(CALENDAR, raise_if_not_found=False)
    if calendar:
        policies = (
            env["renewal.policy"]
            .with_context(active_test=False)
            .search([("calendar_id", "=", False)])
        )
        policies.write({"calendar_id": calendar.id})
    env.flush_all()
    cr.execute(
        """
        UPDATE renewal_reminder
           SET escalated_date = COALESCE(escalated_date, now() AT TIME ZONE 'UTC'),
               followed_up_date = COALESCE(followed_up_date, now() AT TIME ZONE 'UTC'),
               fallback_date = COALESCE(fallback_date, now() AT TIME ZONE 'UTC'),
               escalation_due = NULL
        """
    )
    env["renewal.reminder"].invalidate_model(
        ["escalated_date", "followed_up_date", "fallback_date", "escalation_due"]
    )
