"""Load on the customers' answer pages, against OCA contract's portal page.

Odoo runs with ``--workers 2`` on a throwaway database holding the core
add-on and N reminded contracts. 16 simulated customers, each with reminders
of their own, answer for 30 seconds: open the reminder's "more time" link
(GET), then post the answer with the page's CSRF token (POST, changing the
answer each time, so that every POST records). The same 16 clients then
open the answer page alone (GET) for 30 seconds, then read OCA contract's
own portal page of a contract, ``/my/contracts/<id>`` with its access
token, for 30 seconds: the two GETs compare under the same load. It prints requests, errors and the
p50 and p99 latency of each.

Run it with the Python that imports Odoo (the venv ``setup/test`` builds):

    python tests/benchmark/answer_load.py [--clients 16] [--seconds 30]

It is a measurement, not a test.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

FILL = r"""
import json, sys
from datetime import date
import odoo
from odoo import Command
from odoo.tests.common import freeze_time
odoo.tools.config.parse_config(["-c", sys.argv[1]])
registry = odoo.registry(sys.argv[2])
count = int(sys.argv[3])
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    env["ir.config_parameter"].set_param("web.base.url", sys.argv[4])
    product = env["product.product"].create({"name": "Plan", "type": "service"})
    partners = env["res.partner"].create([
        {"name": f"Customer {i}", "email": f"c{i}@example.com", "is_company": True}
        for i in range(count)
    ])
    contracts = env["contract.contract"].create([
        {
            "name": f"Contract {i}", "partner_id": partner.id, "contract_type": "sale",
            "line_recurrence": True,
            "contract_line_ids": [Command.create({
                "product_id": product.id, "name": "Plan", "quantity": 1,
                "price_unit": 100, "recurring_rule_type": "monthly",
                "date_start": date(2026, 1, 1), "date_end": date(2027, 12, 31),
            })],
        }
        for i, partner in enumerate(partners)
    ])
    with freeze_time("2027-12-01"):
        env["renewal.scheduler"]._cron_send_due_reminders()
    Answer = env["renewal.answer"]
    out = []
    for contract in contracts:
        reminder = contract.renewal_reminder_ids[:1]
        token = Answer._token(reminder.answer_key, reminder.cycle_end)
        contract._portal_ensure_token()
        out.append({"token": token, "contract": contract.id, "access": contract.access_token})
    print(json.dumps(out))
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command, **kwargs):
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode:
        sys.exit(f"{' '.join(command[:5])}... failed:\n{result.stderr[-3000:]}")
    return result.stdout


def load(clients, seconds, work):
    """Run ``work(session, index)`` in ``clients`` threads for ``seconds``;
    ``work`` yields ``(kind, started, status)`` per request. Returns one row
    of figures per kind."""
    samples = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index):
        session = requests.Session()
        while time.monotonic() < stop:
            for kind, started, status in work(session, index):
                elapsed = (time.monotonic() - started) * 1000
                with lock:
                    samples.setdefault(kind, []).append((elapsed, status))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = []
    for kind, values in samples.items():
        latencies = sorted(elapsed for elapsed, _status in values)
        statuses = {}
        for _elapsed, status in values:
            statuses[status] = statuses.get(status, 0) + 1
        rows.append(
            {
                "name": kind,
                "requests": len(values),
                "errors": sum(
                    count
                    for status, count in statuses.items()
                    if status >= 500 or status < 0
                ),
                "p50": statistics.median(latencies),
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                "rate": len(values) / seconds,
                "statuses": dict(sorted(statuses.items())),
            }
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    import odoo

    source = Path(odoo.__file__).resolve().parent
    database = f"renewal_bench_answers_{os.getpid()}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        config = Path(data_dir) / "odoo.conf"
        config.write_text(
            "[options]\n"
            f"addons_path = {REPO},{source / 'addons'}\n"
            f"data_dir = {data_dir}\n"
            "max_cron_threads = 0\n"
            f"db_name = {database}\n"
            f"dbfilter = ^{database}$\n"
        )
        print(f"Installing renewal_reminder into {database}...", flush=True)
        run(
            [
                sys.executable,
                "-m",
                "odoo",
                "-c",
                str(config),
                "-d",
                database,
                "-i",
                "renewal_reminder",
                "--without-demo=all",
                "--stop-after-init",
                "--log-level=warn",
            ]
        )
        clients = args.clients
        rows = json.loads(
            run(
                [
                    sys.executable,
                    "-c",
                    FILL,
                    str(config),
                    database,
                    str(clients * 4),
                    base,
                ]
            )
            .strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "odoo",
                "-c",
                str(config),
                "-d",
                database,
                f"--workers={args.workers}",
                f"--http-port={port}",
                "--log-level=warn",
                "--max-cron-threads=0",
                "--limit-time-real=120",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data_dir) / "server.log", "w"),
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/web/login", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.5)
            mine = {i: rows[i * 4 : (i + 1) * 4] for i in range(clients)}
            turn = {i: 0 for i in range(clients)}
            reasons = ["budget_pending", "invoice_not_received"]

            def answer(session, index):
                row = mine[index][turn[index] % 4]
                turn[index] += 1
                url = f"{base}/renewal/answer/{row['token']}"
                started = time.monotonic()
                try:
                    page = session.get(f"{url}?choice=more_time&change=1", timeout=60)
                    yield "answer page (GET)", started, page.status_code
                    match = CSRF.search(page.text)
                    started = time.monotonic()
                    posted = session.post(
                        url,
                        data={
                            "csrf_token": match[1] if match else "",
                            "answer": "more_time",
                            "reason": reasons[turn[index] % 2],
                            "change": "1",
                            "note": "Load test",
                        },
                        timeout=60,
                    )
                    yield "answer (POST, recorded)", started, posted.status_code
                except requests.RequestException:
                    yield "answer errors", started, -1

            def page_only(session, index):
                row = mine[index][turn[index] % 4]
                turn[index] += 1
                started = time.monotonic()
                try:
                    page = session.get(
                        f"{base}/renewal/answer/{row['token']}?choice=more_time&change=1",
                        timeout=60,
                    )
                    yield "answer page alone (GET)", started, page.status_code
                except requests.RequestException:
                    yield "answer errors", started, -1

            def portal(session, index):
                row = mine[index][turn[index] % 4]
                turn[index] += 1
                started = time.monotonic()
                try:
                    page = session.get(
                        f"{base}/my/contracts/{row['contract']}?access_token={row['access']}",
                        timeout=60,
                        allow_redirects=False,
                    )
                    yield "OCA /my/contracts/<id> (GET)", started, page.status_code
                except requests.RequestException:
                    yield "OCA errors", started, -1

            results = (
                load(clients, args.seconds, answer)
                + load(clients, args.seconds, page_only)
                + load(clients, args.seconds, portal)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not args.keep:
                subprocess.run(
                    ["dropdb", "--if-exists", "--force", database], check=False
                )
    print(
        f"\n{args.clients} clients, {args.seconds} s each, Odoo --workers {args.workers}"
    )
    print(
        f"{'scenario':42} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses"
    )
    for row in results:
        print(
            f"{row['name']:42} {row['requests']:>9} {row['errors']:>7} {row['rate']:>7.1f} {row['p50']:>8.1f} {row['p99']:>8.1f}  {row['statuses']}"
        )


if __name__ == "__main__":
    main()
