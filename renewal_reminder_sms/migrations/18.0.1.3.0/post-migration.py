"""The SMS's opt-out link has a token of its own.

Until 18.0.1.3.0 the opt-out link of an SMS carried the email's unsubscribe
token, which also opened the SMS's page. The short links of the SMS already
sent go on working: their target gets the SMS's own token for the same
reminder.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import hash_sign, verify_hash_signed

from odoo.addons.renewal_reminder.models.renewal_answer import UNSUBSCRIBE_SCOPE
from odoo.addons.renewal_reminder_sms.models.renewal_answer import SMS_STOP_SCOPE

STOP_PATH = "/renewal/sms/stop/"


def _key(env, token):
    """The reminder key an old opt-out token names, or None."""
    try:
        values = verify_hash_signed(env, UNSUBSCRIBE_SCOPE, token)
    except Exception:  # noqa: BLE001 - not an old token: left as it is
        return None
    key = values.get("k") if isinstance(values, dict) else None
    return key if isinstance(key, str) and key else None


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute("SELECT id, url FROM link_tracker WHERE url LIKE %s", [f"%{STOP_PATH}%"])
    updates = []
    for tracker_id, url in cr.fetchall():
        base, token = url.split(STOP_PATH, 1)
        key = _key(env, token)
        if key:
            new = hash_sign(env, SMS_STOP_SCOPE, {"k": key})
            updates.append((f"{base}{STOP_PATH}{new}", tracker_id))
    if updates:
        cr.executemany("UPDATE link_tracker SET url = %s WHERE id = %s", updates)
