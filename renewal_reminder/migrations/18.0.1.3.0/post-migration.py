"""Reminders go out in the renewal layout.

The reminder templates are loaded once (noupdate): those an administrator
left without a layout get the renewal one; a layout chosen by hand stays.
"""

from odoo import SUPERUSER_ID, api

TEMPLATES = (
    "renewal_reminder.mail_template_renewal_gentle",
    "renewal_reminder.mail_template_renewal_warning",
    "renewal_reminder.mail_template_renewal_final",
)
LAYOUT = "renewal_reminder.mail_notification_renewal"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid in TEMPLATES:
        template = env.ref(xmlid, raise_if_not_found=False)
        if template and not template.email_layout_xmlid:
            template.email_layout_xmlid = LAYOUT
