import importlib.util
from pathlib import Path

from odoo.tests import tagged

from odoo.addons.renewal_reminder.tests.common import RenewalCommon

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _migration(version, name):
    path = MIGRATIONS / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"sms_{name}_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestSmsMigration(RenewalCommon):
    def test_18_0_1_2_0_turns_the_delivered_flag_into_the_state(self):
        contract = self._create_contract(self.customer_standard)
        delivered = self._create_reminder(contract, 30, "sent", channel="sms")
        sent = self._create_reminder(contract, 15, "sent", channel="sms")
        self.env.flush_all()
        cr = self.env.cr
        # The database as 18.0.1.1.0 left it: a flag and its date.
        cr.execute(
            "ALTER TABLE renewal_reminder ADD COLUMN sms_delivered boolean, "
            "ADD COLUMN sms_delivered_date timestamp"
        )
        cr.execute(
            "UPDATE renewal_reminder SET sms_delivered = true, "
            "sms_delivered_date = '2027-03-02 08:00:00' WHERE id = %s",
            [delivered.id],
        )
        _migration("18.0.1.2.0", "post-migration").migrate(cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(str(delivered.delivered_date), "2027-03-02 08:00:00")
        self.assertEqual(sent.state, "sent")
        cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'renewal_reminder' AND column_name = 'sms_delivered'"
        )
        self.assertFalse(cr.fetchone())
