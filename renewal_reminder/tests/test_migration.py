import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import RenewalCommon

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _migration(version, name):
    path = MIGRATIONS / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(RenewalCommon):
    def test_18_0_1_1_0_keeps_the_text_of_what_waits(self):
        contract = self._create_contract(self.customer_standard)
        waiting = self._create_reminder(contract, 30, "review")
        sent = self._create_reminder(contract, 15, "sent")
        message = self.env["mail.message"].create(
            {
                "model": "contract.contract",
                "res_id": contract.id,
                "body": "<p>The email that went out</p>",
            }
        )
        sent.message_id = message
        self.env.flush_all()
        cr = self.env.cr
        # The database as 18.0.1.0.0 left it: the text in a ``body`` column.
        cr.execute("ALTER TABLE renewal_reminder ADD COLUMN body text")
        cr.execute(
            "UPDATE renewal_reminder SET draft_body = NULL, "
            "body = '<p>Waiting text ' || id || '</p>' WHERE id IN %s",
            [(waiting.id, sent.id)],
        )
        _migration("18.0.1.1.0", "pre-migration").migrate(cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(str(waiting.body), f"<p>Waiting text {waiting.id}</p>")
        self.assertFalse(sent.draft_body)
        self.assertEqual(str(sent.body), "<p>The email that went out</p>")
