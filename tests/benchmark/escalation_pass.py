"""Benchmark a day of escalation: silence, fallbacks and the stages they bring.

On a throwaway database with ``renewal_reminder_sms`` installed, filled by
SQL like ``daily_pass.py`` (N contracts, customers with mobile numbers),
``--share`` of the contracts (1% by default) have a 30-day email reminder
left unanswered for 73 hours (read, so they escalate without falling back)
and as many others one left unread for 25 hours (they fall back to SMS).
It measures, in one process:

- the escalation pass, batch after batch (``renewal.escalation``): wall
  time, SQL queries per batch, time per reminder, steps taken;
- the daily pass that follows: the 15-day stages the escalations brought
  forward go out at once;
- what the database holds afterwards: contracts at risk, fallback SMS,
  and duplicates (must be 0).

Run it with the Python that imports Odoo (the venv ``setup/test`` builds):

    python tests/benchmark/escalation_pass.py [--contracts 100000] [--share 0.01]

It prints one table; it is a measurement, not a test.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from daily_pass import (  # noqa: E402 - the sibling script's helpers
    BATCH_SIZE,
    copy,
    peak_mb,
    print_table,
    psql,
    write_config,
    xmlid,
)
from sms_pass import prepare  # noqa: E402 - the same filled database

# The chosen contracts end 27 days from today: their 30-day stage went three
# days ago, the 15-day one is 12 days ahead.
SILENCE_SQL = """
WITH picked AS (
    SELECT id, row_number() OVER (ORDER BY id) AS k FROM contract_contract
     WHERE code LIKE 'BN-%%' ORDER BY id LIMIT {picked}
)
UPDATE contract_contract c SET date_end = date '{today}' + 27,
       renewal_cycle_end = date '{today}' + 27,
       renewal_next_date = date '{today}' + 12,
       renewal_state = 'reminding',
       renewal_policy_id = {policy}
  FROM picked WHERE picked.id = c.id;
UPDATE contract_line l SET date_end = c.date_end
  FROM contract_contract c WHERE c.id = l.contract_id AND c.renewal_state = 'reminding';
INSERT INTO renewal_reminder (contract_id, company_id, partner_id, user_id, recipient_id,
       stage_id, policy_id, cycle_end, days_before, channel, tone, state, trigger,
       scheduled_date, queued_date, sent_date, opened_date, followed_up_date,
       escalation_due, email_to, create_date, write_date, create_uid, write_uid)
SELECT c.id, c.company_id, c.partner_id, c.user_id, c.partner_id,
       {stage}, {policy}, c.renewal_cycle_end, 30, 'email', 'gentle',
       CASE WHEN k % 2 = 0 THEN 'opened' ELSE 'sent' END, 'scheduler',
       date '{today}' - 3, sent, sent,
       CASE WHEN k % 2 = 0 THEN sent + interval '1 hour' END,
       CASE WHEN k % 2 = 0 THEN now() at time zone 'UTC' END,
       CASE WHEN k % 2 = 0 THEN sent + interval '72 hours'
            ELSE sent + interval '24 hours' END,
       p.email, now(), now(), 1, 1
  FROM (SELECT c.*, row_number() OVER (ORDER BY c.id) AS k,
               (now() at time zone 'UTC')
               - CASE WHEN row_number() OVER (ORDER BY c.id) % 2 = 0
                      THEN interval '73 hours' ELSE interval '25 hours' END AS sent
          FROM contract_contract c WHERE c.renewal_state = 'reminding') c
  JOIN res_partner p ON p.id = c.partner_id;
UPDATE renewal_policy SET calendar_id = NULL, fallback_channel = 'sms';
ANALYZE;
"""


def measure(config, database):
    command = [
        sys.executable,
        __file__,
        "measure",
        "--config",
        config,
        "--db",
        database,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"measure failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    per_kind = max(int(options.contracts * options.share), 1)
    template = f"renewal_bench_esc_{os.getpid()}"
    database = f"{template}_run"
    with tempfile.TemporaryDirectory() as data_dir:
        config = write_config(data_dir)
        try:
            prepare(config, template, options.contracts, 0)
            policy = xmlid(template, "renewal_reminder.renewal_policy_standard")
            stage = psql(
                template,
                f"SELECT id FROM renewal_policy_stage WHERE policy_id = {policy} "
                "AND days_before = 30",
            )
            psql(
                template,
                SILENCE_SQL.format(
                    today=date.today().isoformat(),
                    picked=2 * per_kind,
                    policy=policy,
                    stage=stage,
                ),
            )
            copy(template, database)
            result = measure(config, database)
            print(json.dumps(result), file=sys.stderr)
        finally:
            if not options.keep:
                for name in (database, template):
                    subprocess.run(["dropdb", "--if-exists", name], check=False)
    print_table(table(result, options, per_kind))


def table(result, options, per_kind):
    rows = [
        (
            f"{options.contracts:,} contracts: {per_kind:,} escalating, "
            f"{per_kind:,} falling back",
            "escalation pass",
            "daily pass after it",
        )
    ]

    def line(label, key, fmt):
        rows.append(
            (
                label,
                *(
                    fmt(result[part][key]) if key in result[part] else "-"
                    for part in ("escalation", "pass")
                ),
            )
        )

    line("wall", "wall", "{:.2f} s".format)
    line("SQL queries", "queries", "{:,}".format)
    line("batches", "batches", "{:,}".format)
    line("SQL queries per batch", "queries_per_batch", "{:.1f}".format)
    line("ms per reminder handled", "ms_per_item", "{:.2f}".format)
    rows.append(("contracts flagged at risk", f"{result['at_risk']:,}", ""))
    rows.append(("fallback SMS queued", f"{result['fallback_sms']:,}", ""))
    rows.append(("stages brought forward and sent", "", f"{result['forwarded']:,}"))
    rows.append(("duplicates", f"{result['duplicates']:,}", ""))
    rows.append(("peak memory", f"{result['peak_mb']:.0f} MB", ""))
    return rows


def measure_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--db")
    options = parser.parse_args(argv)

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        ["-c", options.config, "-d", options.db, "--log-level=error"]
    )
    registry = odoo.modules.registry.Registry(options.db)
    result = {}
    for part in ("escalation", "pass"):
        stats = {"queries": 0, "batches": 0, "items": 0}
        started = time.perf_counter()
        while True:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                before = cr.sql_log_count
                if part == "escalation":
                    now = odoo.fields.Datetime.now()
                    where = odoo.tools.SQL(
                        "r.escalation_due IS NOT NULL AND r.escalation_due <= %s", now
                    )
                    claimed = env["renewal.escalation"]._claim(
                        where, odoo.tools.SQL("r.escalation_due, r.id"), BATCH_SIZE
                    )
                    if claimed:
                        env["renewal.escalation"]._escalate_batch(claimed, now)
                    done = len(claimed)
                else:
                    today = date.today()
                    contracts = env["renewal.scheduler"]._claim_due(today, BATCH_SIZE)
                    if contracts:
                        env["renewal.scheduler"]._process_due_contracts(
                            contracts, today
                        )
                    done = len(contracts)
                if not done:
                    break
                env.flush_all()
                stats["queries"] += cr.sql_log_count - before
                stats["batches"] += 1
                stats["items"] += done
                cr.commit()
        stats["wall"] = time.perf_counter() - started
        if stats["batches"]:
            stats["queries_per_batch"] = stats["queries"] / stats["batches"]
        if stats["items"]:
            stats["ms_per_item"] = 1000.0 * stats["wall"] / stats["items"]
        result[part] = stats
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM contract_contract WHERE renewal_at_risk")
        result["at_risk"] = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM renewal_reminder WHERE trigger = 'fallback' "
            "AND channel = 'sms' AND state IN ('queued', 'scheduled')"
        )
        result["fallback_sms"] = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM renewal_reminder WHERE days_before = 15 "
            "AND state IN ('queued', 'scheduled')"
        )
        result["forwarded"] = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM (SELECT 1 FROM renewal_reminder WHERE stage_id IS "
            "NOT NULL GROUP BY contract_id, stage_id, cycle_end, channel "
            "HAVING count(*) > 1) d"
        )
        duplicates = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) - count(DISTINCT res_id) FROM mail_message "
            "WHERE model = 'contract.contract' AND body LIKE '%Renewal at risk%'"
        )
        result["duplicates"] = duplicates + cr.fetchone()[0]
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure_main(sys.argv[2:])
    else:
        main()
