"""Benchmark the daily pass when its reminders go out by SMS.

On a throwaway database with ``renewal_reminder_sms`` installed, filled by
SQL like ``daily_pass.py`` (customers with mobile numbers, a third of them
in Chinese), N contracts of which ``--due`` have their stage due today, it
measures one daily pass:

- ours, email: the stage sends an email (the core's channel), as a yardstick;
- ours, SMS: the same stage sends an SMS (rendered in the customer's
  language, two short links each, posted in the contract's chatter, queued
  for Odoo's SMS queue);
- Odoo's path: ``_message_sms`` on each due contract, one by one, with the
  same text (what our batch writes: message, SMS, notification, tracker);

with the wall time, the SQL queries (and per batch of 100 contracts), the
time per reminder, and the SMS the pass queued. Nothing leaves the machine:
the SMS wait in Odoo's queue.

Run it with the Python that imports Odoo (the venv ``setup/test`` builds):

    python tests/benchmark/sms_pass.py [--contracts 100000] [--due 10000]

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
    copy,
    fill_in_place,
    odoo_cli,
    peak_mb,
    print_table,
    psql,
    write_config,
    xmlid,
)
from daily_pass import (
    measure as measure_pass,
)

MODULES = "renewal_reminder_sms"

# Every customer gets an Australian mobile number, unique per customer; the
# reminders leave at any hour (the sending hours would hold some of them
# depending on when the benchmark runs).
MOBILE_SQL = """
UPDATE res_partner p SET mobile = '+614' || lpad(b.pn::text, 8, '0'),
       country_id = (SELECT id FROM res_country WHERE code = 'AU')
  FROM bench_partner b WHERE b.id = p.id;
UPDATE renewal_policy SET calendar_id = NULL;
"""


def prepare(config, template, contracts, due):
    odoo_cli(
        config,
        template,
        "-i",
        MODULES,
        "--without-demo=all",
        "--load-language=en_US,zh_CN",
    )
    odoo_cli(config, template, "-u", "renewal_reminder,renewal_reminder_sms")
    return fill_in_place(template, contracts, due, MOBILE_SQL)


def set_channel(database, channel):
    policy = xmlid(database, "renewal_reminder.renewal_policy_standard")
    psql(
        database,
        f"UPDATE renewal_policy_stage SET channel = '{channel}' "
        f"WHERE policy_id = {policy}",
    )


def measure(config, database, mode):
    """One measure: the daily pass itself (``daily_pass.py``'s), or Odoo's
    ``_message_sms`` one contract at a time (here); with the SMS queued."""
    if mode == "odoo_sms":
        command = [sys.executable, __file__, "measure", "--config", config]
        command += ["--db", database]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(f"measure {mode} failed:\n{result.stderr[-4000:]}")
        measured = json.loads(result.stdout.strip().splitlines()[-1])
    else:
        [measured], _wall = measure_pass(config, database, "ours")
        measured["ms_per_reminder"] = measured.get("ms_per_good", 0.0)
    measured["sms"] = int(
        psql(database, "SELECT count(*) FROM sms_sms WHERE state = 'outgoing'")
    )
    return measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100000)
    parser.add_argument("--due", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    template = f"renewal_bench_sms_{os.getpid()}"
    database = f"{template}_run"
    results = {}
    with tempfile.TemporaryDirectory() as data_dir:
        config = write_config(data_dir)
        try:
            fill_time = prepare(config, template, options.contracts, options.due)
            print(f"filled in {fill_time:.0f} s", file=sys.stderr)
            for mode, channel in (
                ("email", "email"),
                ("sms", "sms"),
                ("odoo_sms", "sms"),
            ):
                runs = []
                for _run in range(options.repeat):
                    copy(template, database)
                    set_channel(database, channel)
                    result = measure(config, database, mode)
                    print(f"{mode}: {result}", file=sys.stderr)
                    runs.append(result)
                results[mode] = min(runs, key=lambda item: item["wall"])
        finally:
            if not options.keep:
                for name in (database, template):
                    subprocess.run(["dropdb", "--if-exists", name], check=False)
    print_table(table(results, options))


def table(results, options):
    modes = (
        ("email", "ours, email"),
        ("sms", "ours, SMS"),
        ("odoo_sms", "_message_sms one by one"),
    )
    rows = [
        (
            f"{options.due:,} due of {options.contracts:,} contracts "
            f"(best of {options.repeat})",
            *(label for _mode, label in modes),
        )
    ]

    def line(label, key, fmt):
        rows.append(
            (
                label,
                *(
                    fmt(results[mode][key])
                    if mode in results and key in results[mode]
                    else "-"
                    for mode, _label in modes
                ),
            )
        )

    line("wall", "wall", "{:.2f} s".format)
    line("SQL queries", "queries", "{:,}".format)
    line("SQL queries per batch of 100", "queries_per_batch", "{:.1f}".format)
    line("ms per reminder", "ms_per_reminder", "{:.2f}".format)
    line("reminders queued", "reminders", "{:,}".format)
    line("SMS in Odoo's queue", "sms", "{:,}".format)
    line("peak memory", "peak_mb", "{:.0f} MB".format)
    email, sms = results.get("email"), results.get("sms")
    if email and sms:
        rows.append(
            (
                "SMS / email, time per reminder",
                "",
                f"{sms['ms_per_reminder'] / email['ms_per_reminder']:.2f}x",
                "",
            )
        )
    return rows


def measure_main(argv):
    """Odoo's own path: ``_message_sms`` on each due contract, one by one,
    with the text the pass would render (rendering not counted)."""
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
    today = date.today()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        note = env.ref("mail.mt_note").id
        contracts = env["contract.contract"].search(
            [("renewal_next_date", "<=", today)]
        )
        template = env.ref("renewal_reminder_sms.sms_template_renewal_gentle")
        texts = template._render_field("body", contracts.ids, compute_lang=True)
        started = time.perf_counter()
        before = cr.sql_log_count
        for contract in contracts:
            partner = contract.partner_id
            contract._message_sms(
                texts[contract.id],
                subtype_id=note,
                partner_ids=partner.ids,
                sms_pid_to_number={partner.id: partner.mobile},
                put_in_queue=True,
            )
        env.flush_all()
        result = {
            "queries": cr.sql_log_count - before,
            "reminders": len(contracts),
            "wall": time.perf_counter() - started,
        }
        cr.commit()
    result["peak_mb"] = peak_mb()
    if result["reminders"]:
        result["ms_per_reminder"] = 1000.0 * result["wall"] / result["reminders"]
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure_main(sys.argv[2:])
    else:
        main()
