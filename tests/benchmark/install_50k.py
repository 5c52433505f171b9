"""Measure installing renewal_reminder on a database that already has contracts.

Creates a throwaway database with OCA ``contract`` installed, fills it with
SQL (companies, customers spread over the out-of-the-box tiers' future
customers, and N customer contracts with one recurring line each, ending at
every distance from today), then times ``odoo -i renewal_reminder`` and
checks every contract got its renewal fields.

Run it with the Python that imports Odoo (the venv ``setup/test`` builds):

    python tests/benchmark/install_50k.py [--contracts 50000] [--keep]

It prints one table; it is a measurement, not a test.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def odoo_addons_paths():
    import odoo

    source = Path(odoo.__file__).resolve().parent
    return [str(REPO), str(source / "addons")]


def run_odoo(config, database, *args, profile=None):
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    command = [
        sys.executable,
        *profiler,
        "-m",
        "odoo",
        "-c",
        config,
        "-d",
        database,
        "--stop-after-init",
        "--log-level=warn",
        *args,
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    errors = [
        line
        for line in result.stderr.splitlines()
        if " ERROR " in line or " CRITICAL " in line
    ]
    if result.returncode or errors:
        sys.exit(f"odoo {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return elapsed


def psql(database, sql):
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", database, "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"psql failed: {result.stderr}")
    return result.stdout.strip()


FILL_SQL = """
INSERT INTO res_partner (name, complete_name, email, lang, tz, is_company, active, type,
                         commercial_partner_id, company_id, autopost_bills, create_date, write_date)
SELECT 'Customer ' || n, 'Customer ' || n, 'billing' || n || '@example.com',
       CASE WHEN n %% 3 = 0 THEN 'zh_CN' ELSE 'en_US' END,
       CASE WHEN n %% 3 = 0 THEN 'Asia/Shanghai' WHEN n %% 3 = 1 THEN 'Europe/London' ELSE 'America/New_York' END,
       true, true, 'contact', NULL, NULL, 'ask', now(), now()
  FROM generate_series(1, %(partners)d) AS n;
UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL;

INSERT INTO contract_contract (name, code, partner_id, commercial_partner_id, company_id, date, contract_type,
                               line_recurrence, recurring_rule_type, recurring_interval, recurring_invoicing_type,
                               date_start, date_end, active, user_id, create_date, write_date)
SELECT 'Contract ' || n, 'BN-' || n, p.id, p.id, 1, current_date, 'sale', true,
       (ARRAY['monthly', 'quarterly', 'yearly'])[1 + n %% 3], 1, 'pre-paid',
       current_date - 365, current_date + ((n * 7919) %% 400) - 30, true, 2, now(), now()
  FROM generate_series(1, %(contracts)d) AS n
  JOIN LATERAL (SELECT id FROM res_partner WHERE name = 'Customer ' || (1 + n %% %(partners)d) LIMIT 1) p ON true;

INSERT INTO contract_line (contract_id, name, quantity, specific_price, discount,
                           recurring_rule_type, recurring_interval, recurring_invoicing_type,
                           date_start, date_end, recurring_next_date, partner_id, company_id, active, is_canceled,
                           automatic_price, create_date, write_date)
SELECT c.id, 'Service ' || c.id, 1, 100 + (c.id %% 50) * 40, 0,
       c.recurring_rule_type, 1, 'pre-paid', c.date_start, c.date_end, current_date + 10, c.partner_id, 1, true,
       false, false, now(), now()
  FROM contract_contract c;
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=50000)
    parser.add_argument(
        "--profile", metavar="FILE", help="write a cProfile of the install to FILE"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards"
    )
    options = parser.parse_args()

    database = f"renewal_bench_install_{os.getpid()}"
    with tempfile.TemporaryDirectory() as data_dir:
        config = Path(data_dir) / "odoo.conf"
        config.write_text(
            "[options]\n"
            f"addons_path = {','.join(odoo_addons_paths())}\n"
            f"data_dir = {data_dir}\n"
        )
        try:
            base_time = run_odoo(
                str(config), database, "-i", "contract", "--without-demo=all"
            )
            started = time.perf_counter()
            psql(
                database,
                "BEGIN; "
                + FILL_SQL
                % {
                    "contracts": options.contracts,
                    "partners": max(options.contracts // 10, 1),
                }
                + " COMMIT;",
            )
            fill_time = time.perf_counter() - started
            install_time = run_odoo(
                str(config),
                database,
                "-i",
                "renewal_reminder",
                "--without-demo=all",
                profile=options.profile,
            )
            counts = psql(
                database,
                "SELECT count(*), count(renewal_policy_id), count(renewal_next_date), "
                "count(*) FILTER (WHERE renewal_state = 'upcoming'), sum(renewal_recurring_value)::bigint "
                "FROM contract_contract",
            ).split("|")
        finally:
            if not options.keep:
                subprocess.run(["dropdb", "--if-exists", database], check=False)

    rows = [
        ("contracts", counts[0]),
        ("with a renewal policy", counts[1]),
        ("with a next reminder date", counts[2]),
        ("upcoming", counts[3]),
        ("total annual value", counts[4]),
        ("install contract (s)", f"{base_time:.1f}"),
        ("fill by SQL (s)", f"{fill_time:.1f}"),
        ("install renewal_reminder (s)", f"{install_time:.1f}"),
    ]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
