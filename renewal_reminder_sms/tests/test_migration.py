import importlib.util
from pathlib import Path

from odoo.tests import tagged

from odoo.addons.renewal_reminder.models.renewal_answer import UNSUBSCRIBE_SCOPE
from odoo.addons.renewal_reminder.tests.common import RenewalCommon

from ..models.renewal_answer import SMS_STOP_SCOPE

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

    def test_18_0_1_3_0_gives_the_sent_stop_links_their_own_token(self):
        contract = self._create_contract(self.customer_standard)
        reminder = self._create_reminder(contract, 30, "sent", channel="sms")
        Answer = self.env["renewal.answer"]
        reminder.answer_key = Answer._new_key()
        old_token = Answer._unsubscribe_token(reminder.answer_key)
        base = contract.get_base_url()
        # The short link of an SMS as 18.0.1.2.0 sent it, and another link.
        stop, other = (
            self.env["link.tracker"]
            .sudo()
            .create(
                [
                    {"url": f"{base}/renewal/sms/stop/{old_token}"},
                    {"url": f"{base}/renewal/unsubscribe/{old_token}"},
                ]
            )
        )
        code = stop.code
        self.env.flush_all()
        _migration("18.0.1.3.0", "post-migration").migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual(stop.code, code)
        token = stop.url.rsplit("/", 1)[1]
        self.assertTrue(stop.url.startswith(f"{base}/renewal/sms/stop/"))
        self.assertEqual(
            Answer._reminder_from_token(token, SMS_STOP_SCOPE), reminder.sudo()
        )
        self.assertFalse(Answer._reminder_from_token(token, UNSUBSCRIBE_SCOPE))
        self.assertEqual(other.url, f"{base}/renewal/unsubscribe/{old_token}")
