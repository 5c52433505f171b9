from datetime import date, datetime
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, freeze_time, get_db_name, tagged
from odoo.tools import SQL, mute_logger

# Far before any demo contract's dates, so only this test's contracts are due.
TODAY = date(2020, 1, 1)
FIRST_DAY = "renewal_reminder.first_day"
PARAMETERS = ("renewal_reminder.batch_size", FIRST_DAY)


@tagged("post_install", "-at_install")
class TestRenewalWorkers(BaseCase):
    """Two workers on two database connections share one pass.

    The data is committed (a second connection sees nothing else) and removed
    at the end.
    """

    def setUp(self):
        super().setUp()
        self.connections = [db_connect(get_db_name()).cursor() for _i in range(3)]
        self.addCleanup(self._close)
        cr = self.connections[0]
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        # The passes wake scheduled actions up: put them back as they were.
        self._keep_cron_state(
            cr, env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        )
        tier = env.ref("renewal_reminder.renewal_tier_standard")
        product = env["product.product"].create(
            {"name": "Worker plan", "type": "service"}
        )
        self.partners = env["res.partner"].create(
            [
                {
                    "name": f"Worker customer {index}",
                    "email": f"worker{index}@example.com",
                    "is_company": True,
                    "renewal_tier_id": tier.id,
                }
                for index in range(12)
            ]
        )
        self.contracts = env["contract.contract"].create(
            [
                {
                    "name": f"Worker contract {partner.id}",
                    "partner_id": partner.id,
                    "contract_type": "sale",
                    "line_recurrence": True,
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": "Worker plan",
                                "quantity": 1,
                                "price_unit": 10.0,
                                "recurring_rule_type": "monthly",
                                "recurring_interval": 1,
                                "date_start": date(2019, 1, 1),
                                "date_end": date(2020, 1, 20),
                            }
                        )
                    ],
                }
                for partner in self.partners
            ]
        )
        self.product = product
        # A second connection only sees committed rows.
        cr.commit()  # pylint: disable=invalid-commit

    def _close(self):
        cr = self.connections[0]
        cr.rollback()
        contract_ids = tuple(self.contracts.ids)
        cr.execute(
            "DELETE FROM mail_mail WHERE mail_message_id IN "
            "(SELECT id FROM mail_message "
            "WHERE model = 'contract.contract' AND res_id IN %s)",
            [contract_ids],
        )
        cr.execute(
            "DELETE FROM mail_message "
            "WHERE model = 'contract.contract' AND res_id IN %s",
            [contract_ids],
        )
        cr.execute(
            "DELETE FROM mail_activity "
            "WHERE res_model = 'contract.contract' AND res_id IN %s",
            [contract_ids],
        )
        cr.execute(
            "DELETE FROM mail_followers "
            "WHERE res_model = 'contract.contract' AND res_id IN %s",
            [contract_ids],
        )
        cr.execute("DELETE FROM contract_contract WHERE id IN %s", [contract_ids])
        partner_ids = tuple(self.partners.ids)
        cr.execute("DELETE FROM res_partner WHERE id IN %s", [partner_ids])
        cr.execute(
            "DELETE FROM product_template WHERE id = %s",
            [self.product.product_tmpl_id.id],
        )
        cr.commit()  # pylint: disable=invalid-commit
        for connection in self.connections:
            connection.close()

    def _run_cron(self, env, cron):
        """What a cron worker does with a job that is due: Odoo's cron
        runner, for real, on a connection of its own."""
        env.cr.execute(
            "UPDATE ir_cron SET nextcall = '2000-01-01' WHERE id = %s", [cron.id]
        )
        env.cr.commit()  # pylint: disable=invalid-commit
        db = db_connect(get_db_name())
        with db.cursor() as cron_cr:
            job = env.registry["ir.cron"]._acquire_one_job(cron_cr, cron.id)
            self.assertTrue(job)
            env.registry["ir.cron"]._process_job(db, cron_cr, job)

    def test_two_workers_split_the_due_contracts_and_never_send_twice(self):
        worker_a, worker_b = (
            api.Environment(cr, SUPERUSER_ID, {}) for cr in self.connections[1:]
        )
        sent = {"a": set(), "b": set()}
        # Within the sending hours of that day (whatever the hour the test
        # runs at): every reminder leaves at once.
        self.enterContext(freeze_time(datetime(2020, 1, 1, 11, 0)))
        # Emails are only queued here: nothing leaves the machine.
        while True:
            # Both claim a batch before either commits: the second one
            # skips the rows the first one holds.
            claimed_a = worker_a["renewal.scheduler"]._claim_due(TODAY, 4)
            claimed_b = worker_b["renewal.scheduler"]._claim_due(TODAY, 4)
            self.assertFalse(set(claimed_a.ids) & set(claimed_b.ids))
            if not (claimed_a or claimed_b):
                break
            for name, env, claimed in (
                ("a", worker_a, claimed_a),
                ("b", worker_b, claimed_b),
            ):
                reminders = env["renewal.scheduler"]._process_due_contracts(
                    claimed, TODAY
                )
                sent[name] |= set(
                    reminders.filtered(lambda r: r.state == "queued").contract_id.ids
                )
                env.cr.commit()  # pylint: disable=invalid-commit
        self.assertTrue(sent["a"] and sent["b"], "both workers took a share")
        self.assertFalse(sent["a"] & sent["b"])
        self.assertEqual(sent["a"] | sent["b"], set(self.contracts.ids))
        cr = self.connections[0]
        cr.execute(
            "SELECT contract_id, count(*) FROM renewal_reminder "
            "WHERE contract_id IN %s AND state = 'queued' GROUP BY contract_id",
            [tuple(self.contracts.ids)],
        )
        counts = dict(cr.fetchall())
        self.assertEqual(counts, dict.fromkeys(self.contracts.ids, 1))

    def test_a_pass_cut_short_by_a_time_limit_resumes_where_it_stopped(self):
        """Odoo's cron runner, for real: a worker over its CPU time limit gets
        an exception in the middle of a batch (a worker over its real time
        limit is killed: see tests/test_end_to_end.py)."""
        cr = self.connections[1]
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        env["ir.config_parameter"].set_param("renewal_reminder.batch_size", 2)
        cr.commit()  # pylint: disable=invalid-commit
        Scheduler = type(env["renewal.scheduler"])
        process = Scheduler._process_due_contracts
        batches = []

        def over_the_limit_at_the_third_batch(self, contracts, today):
            batches.append(contracts.ids)
            if len(batches) == 3:
                raise Exception("CPU time limit exceeded")  # noqa: TRY002
            return process(self, contracts, today)

        def run_the_cron():
            self._run_cron(env, cron)

        def queued_per_contract():
            cr.rollback()
            cr.execute(
                "SELECT r.contract_id, count(*), count(DISTINCT m.id) "
                "FROM renewal_reminder r JOIN mail_mail m ON m.id = r.mail_id "
                "WHERE r.contract_id IN %s AND r.state = 'queued' "
                "GROUP BY r.contract_id",
                [tuple(self.contracts.ids)],
            )
            return {row[0]: row[1:] for row in cr.fetchall()}

        with (
            freeze_time(TODAY),
            patch.object(
                Scheduler, "_process_due_contracts", over_the_limit_at_the_third_batch
            ),
            mute_logger("odoo.addons.base.models.ir_cron"),
        ):
            run_the_cron()
        self.assertEqual(len(batches), 3, "the run stopped at the third batch")
        # Two batches went out; the third left nothing behind.
        done = queued_per_contract()
        self.assertEqual(set(done), set(batches[0] + batches[1]))
        self.assertEqual(set(done.values()), {(1, 1)})

        with freeze_time(TODAY):
            run_the_cron()
        # The next run sends exactly the rest, the third batch included.
        self.assertEqual(
            queued_per_contract(), dict.fromkeys(self.contracts.ids, (1, 1))
        )

    def test_a_batch_meeting_a_concurrent_update_waits_a_minute_not_a_day(self):
        """Odoo's cron runner, for real: while the pass writes the customers
        of its batch (as an add-on's hook in it may), a colleague saves one
        of them on another connection. PostgreSQL refuses the pass's write;
        the pass leaves the batch to a run a minute later, in a transaction
        of its own, instead of failing until the next day."""
        cr, other = self.connections[1:]
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref("renewal_reminder.ir_cron_renewal_reminder_send")
        env["ir.config_parameter"].set_param("renewal_reminder.batch_size", 20)
        cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_trigger")
        (last_trigger,) = cr.fetchone()
        cr.commit()  # pylint: disable=invalid-commit
        Scheduler = type(env["renewal.scheduler"])
        process = Scheduler._process_due_contracts
        tries = []
        colleague_saves = [True]

        def writes_the_customers(self, contracts, today):
            tries.append(contracts.ids)
            partners = tuple(contracts.partner_id.ids)
            if colleague_saves[0]:
                # Saved after the pass's transaction began, before the pass
                # writes the customers (Odoo's layout does, for the portal
                # links of its emails).
                other.execute(
                    "UPDATE res_partner SET comment = 'Called today' WHERE id = %s",
                    [partners[0]],
                )
                other.commit()  # pylint: disable=invalid-commit
            reminders = process(self, contracts, today)
            self.env.cr.execute(
                "UPDATE res_partner SET write_date = write_date WHERE id IN %s",
                [partners],
            )
            return reminders

        def run_the_cron():
            self._run_cron(env, cron)

        def queued():
            cr.rollback()
            cr.execute(
                "SELECT contract_id, count(*) FROM renewal_reminder "
                "WHERE contract_id IN %s AND state = 'queued' GROUP BY contract_id",
                [tuple(self.contracts.ids)],
            )
            return dict(cr.fetchall())

        with (
            freeze_time(TODAY),
            patch.object(Scheduler, "_process_due_contracts", writes_the_customers),
            self.assertLogs(
                "odoo.addons.renewal_reminder.models.renewal_scheduler", "WARNING"
            ) as logs,
            mute_logger("odoo.sql_db"),
        ):
            run_the_cron()
        # Its snapshot would fail the same way: not tried again in it.
        self.assertEqual(len(tries), 1, "the batch was tried once in that run")
        self.assertIn("again in a minute", logs.output[-1])
        # Nothing went out, nothing failed: the pass runs again in a minute.
        self.assertFalse(queued())
        cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [cron.id])
        self.assertEqual(cr.fetchone()[0], 0)
        cr.execute(
            "SELECT call_at FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
            [cron.id, last_trigger],
        )
        self.assertIn((datetime(2020, 1, 1, 0, 1),), cr.fetchall())
        # A minute later, nobody else holds the customers.
        colleague_saves[0] = False
        with (
            freeze_time(datetime(2020, 1, 1, 0, 1)),
            patch.object(Scheduler, "_process_due_contracts", writes_the_customers),
        ):
            run_the_cron()
        self.assertEqual(queued(), dict.fromkeys(self.contracts.ids, 1))

    def test_two_workers_never_escalate_the_same_reminder_twice(self):
        cr = self.connections[0]
        env = api.Environment(cr, SUPERUSER_ID, {})
        self._keep_cron_state(
            cr, env.ref("renewal_reminder.ir_cron_renewal_reminder_escalate")
        )
        with freeze_time(TODAY):
            while env["renewal.scheduler"]._cron_send_due_reminders(batch_size=4):
                pass
        # Every reminder left four days ago, unread and unanswered; half of
        # them were read.
        cr.execute(
            "UPDATE renewal_reminder SET state = 'sent', sent_date = %s "
            "WHERE contract_id IN %s AND state IN ('queued', 'scheduled')",
            [datetime(2019, 12, 28, 9, 0), tuple(self.contracts.ids)],
        )
        cr.execute(
            "UPDATE renewal_reminder SET state = 'opened', opened_date = %s "
            "WHERE contract_id IN %s AND state = 'sent' AND contract_id %% 2 = 0",
            [datetime(2019, 12, 28, 10, 0), tuple(self.contracts.ids)],
        )
        env.invalidate_all()
        reminders = env["renewal.reminder"].search(
            [
                ("contract_id", "in", self.contracts.ids),
                ("state", "in", ("sent", "opened")),
            ]
        )
        env.add_to_compute(reminders._fields["escalation_due"], reminders)
        reminders._recompute_recordset(["escalation_due"])
        self.assertEqual(len(reminders), len(self.contracts))
        cr.commit()  # pylint: disable=invalid-commit
        worker_a, worker_b = (
            api.Environment(connection, SUPERUSER_ID, {})
            for connection in self.connections[1:]
        )
        now = datetime(2020, 1, 1, 12, 0)
        taken = {"a": set(), "b": set()}
        where = SQL("r.escalation_due IS NOT NULL AND r.escalation_due <= %s", now)
        with freeze_time(now):
            while True:
                # Both claim a batch before either commits.
                claimed = {
                    name: env_["renewal.escalation"]._claim(
                        where, SQL("r.escalation_due, r.id"), 3
                    )
                    for name, env_ in (("a", worker_a), ("b", worker_b))
                }
                self.assertFalse(set(claimed["a"].ids) & set(claimed["b"].ids))
                if not (claimed["a"] or claimed["b"]):
                    break
                for name, env_ in (("a", worker_a), ("b", worker_b)):
                    if claimed[name]:
                        taken[name] |= set(claimed[name].ids)
                        env_["renewal.escalation"]._escalate_batch(claimed[name], now)
                    env_.cr.commit()  # pylint: disable=invalid-commit
        self.assertTrue(taken["a"] and taken["b"], "both workers took a share")
        cr.rollback()
        ids = tuple(self.contracts.ids)
        # One at-risk note per contract, one escalation per reminder.
        cr.execute(
            "SELECT res_id, count(*) FROM mail_message WHERE model = "
            "'contract.contract' AND res_id IN %s AND body LIKE %s GROUP BY res_id",
            [ids, "%Renewal at risk%"],
        )
        self.assertEqual(dict(cr.fetchall()), dict.fromkeys(ids, 1))
        cr.execute(
            "SELECT count(*) FROM contract_contract WHERE id IN %s AND "
            "renewal_risk_end IS NOT NULL",
            [ids],
        )
        self.assertEqual(cr.fetchone()[0], len(ids))
        # One read follow-up per read contract.
        read_type = env.ref("renewal_reminder.mail_activity_type_renewal_read").id
        cr.execute(
            "SELECT res_id, count(*) FROM mail_activity WHERE res_model = "
            "'contract.contract' AND res_id IN %s AND activity_type_id = %s "
            "GROUP BY res_id",
            [ids, read_type],
        )
        self.assertEqual(dict(cr.fetchall()), {cid: 1 for cid in ids if cid % 2 == 0})
        # At most one fallback line per unread reminder.
        cr.execute(
            "SELECT contract_id, count(*) FROM renewal_reminder WHERE "
            "contract_id IN %s AND trigger = 'fallback' GROUP BY contract_id",
            [ids],
        )
        self.assertTrue(all(count == 1 for count in dict(cr.fetchall()).values()))

    def _keep_cron_state(self, cr, cron):
        """Put the scheduled actions and the settings back as they were."""
        cr.execute(
            "SELECT nextcall, lastcall, failure_count, first_failure_date "
            "FROM ir_cron WHERE id = %s",
            [cron.id],
        )
        state = cr.fetchone()
        cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_trigger")
        (last_trigger,) = cr.fetchone()
        cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_progress")
        (last_progress,) = cr.fetchone()
        saved = {}
        for key in PARAMETERS:
            cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
            saved[key] = cr.fetchone()
        # The pinned dates lie before the day the add-on started reminding
        # in this database: reminders start in 2019 here.
        api.Environment(cr, SUPERUSER_ID, {})["ir.config_parameter"].set_param(
            FIRST_DAY, "2019-01-01"
        )

        def restore():
            cr = self.connections[0]
            cr.rollback()
            cr.execute(
                "UPDATE ir_cron SET nextcall = %s, lastcall = %s, failure_count = %s, "
                "first_failure_date = %s WHERE id = %s",
                [*state, cron.id],
            )
            cr.execute("DELETE FROM ir_cron_trigger WHERE id > %s", [last_trigger])
            cr.execute("DELETE FROM ir_cron_progress WHERE id > %s", [last_progress])
            for key, value in saved.items():
                cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", [key])
                if value:
                    cr.execute(
                        "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)",
                        [key, value[0]],
                    )
            cr.commit()  # pylint: disable=invalid-commit
            api.Environment(cr, SUPERUSER_ID, {}).registry.clear_cache()

        # Runs before the data is removed (cleanups run last in, first out).
        self.addCleanup(restore)

    def _new_triggers(self, cr, since):
        cr.execute(
            "SELECT call_at FROM ir_cron_trigger WHERE id > %s "
            "AND cron_id IN (SELECT res_id FROM ir_model_data "
            "WHERE module = 'renewal_reminder' "
            "AND name = 'ir_cron_renewal_reminder_send')",
            [since],
        )
        return [row[0] for row in cr.fetchall()]

    def _last_trigger(self, cr):
        cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_trigger")
        return cr.fetchone()[0]

    def test_a_pass_whose_due_contracts_are_all_held_looks_again_in_a_minute(self):
        holder, worker = self.connections[1:]
        since = self._last_trigger(worker)
        worker.commit()  # pylint: disable=invalid-commit
        with freeze_time(datetime(2020, 1, 1, 11, 0)):
            held = api.Environment(holder, SUPERUSER_ID, {})[
                "renewal.scheduler"
            ]._claim_due(TODAY, 1000)
            self.assertEqual(set(held.ids), set(self.contracts.ids))
            env = api.Environment(worker, SUPERUSER_ID, {})
            remaining = env["renewal.scheduler"]._cron_send_due_reminders()
            env.flush_all()
            worker.commit()  # pylint: disable=invalid-commit
        holder.rollback()
        self.assertEqual(remaining, 0)
        self.assertIn(datetime(2020, 1, 1, 11, 1), self._new_triggers(worker, since))

    def test_a_due_contract_changed_since_the_pass_began_does_not_fail_it(self):
        worker, colleague = self.connections[1:]
        since = self._last_trigger(worker)
        worker.commit()  # pylint: disable=invalid-commit
        with freeze_time(datetime(2020, 1, 1, 11, 0)):
            env = api.Environment(worker, SUPERUSER_ID, {})
            # The pass's transaction has its snapshot...
            worker.execute("SELECT 1 FROM contract_contract LIMIT 1")
            # ... when a colleague saves a due contract.
            colleague.execute(
                "UPDATE contract_contract SET note = 'Called' WHERE id = %s",
                [self.contracts[0].id],
            )
            colleague.commit()  # pylint: disable=invalid-commit
            with (
                self.assertLogs(
                    "odoo.addons.renewal_reminder.models.renewal_scheduler", "WARNING"
                ),
                mute_logger("odoo.sql_db"),
            ):
                remaining = env["renewal.scheduler"]._cron_send_due_reminders()
            worker.commit()  # pylint: disable=invalid-commit
        self.assertEqual(remaining, len(self.contracts))
        self.assertIn(datetime(2020, 1, 1, 11, 1), self._new_triggers(worker, since))
