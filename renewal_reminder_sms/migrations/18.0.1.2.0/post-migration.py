"""A delivered SMS reads Delivered.

Until 18.0.1.2.0 a delivered SMS stayed Sent with a flag of its own; the
reminder now has the state and date every channel uses. The old columns
are moved over, then dropped.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'renewal_reminder' AND column_name = 'sms_delivered'"
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE renewal_reminder
           SET state = 'delivered',
               delivered_date = COALESCE(sms_delivered_date, write_date)
         WHERE sms_delivered AND state = 'sent'
        """
    )
    cr.execute(
        "ALTER TABLE renewal_reminder DROP COLUMN sms_delivered, "
        "DROP COLUMN IF EXISTS sms_delivered_date"
    )
