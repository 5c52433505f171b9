"""End to end, as an integrator's script would drive it.

A real Odoo server (``python -m odoo``) on a fresh database and a free
loopback port, driven only through XML-RPC; a real SMTP server (aiosmtpd) on
loopback receives what the mail queue sends.
"""

import collections
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

pytestmark = pytest.mark.odoo

REPO = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Server = collections.namedtuple("Server", ["url", "database", "config"])


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_inbox():
    controller_module = pytest.importorskip("aiosmtpd.controller")
    inbox = Inbox()
    controller = controller_module.Controller(
        inbox, hostname="127.0.0.1", port=_free_port()
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def odoo_server(smtp_inbox):
    odoo = pytest.importorskip("odoo")
    config = odoo.tools.config
    _inbox, smtp_port = smtp_inbox
    database = f"renewal_e2e_{os.getpid()}"
    http_port = _free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        conf = Path(data_dir) / "odoo.conf"
        lines = [
            "[options]",
            f"addons_path = {config['addons_path']}",
            f"data_dir = {data_dir}",
            "smtp_server = 127.0.0.1",
            f"smtp_port = {smtp_port}",
            "max_cron_threads = 0",
            "workers = 0",
        ]
        for key in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(key):
                lines.append(f"{key} = {config[key]}")
        conf.write_text("\n".join(lines) + "\n")
        base = [sys.executable, "-m", "odoo", "-c", str(conf), "-d", database]
        install = subprocess.run(
            [
                *base,
                "-i",
                "renewal_reminder",
                "--without-demo=all",
                "--stop-after-init",
                "--log-level=warn",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert install.returncode == 0, install.stderr[-3000:]
        server = subprocess.Popen(
            [
                *base,
                "--http-interface=127.0.0.1",
                f"--http-port={http_port}",
                "--log-level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{http_port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").version()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.5)
            yield Server(url, database, str(conf))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            subprocess.run(["dropdb", "--if-exists", database], check=False)


class Client:
    """What an integrator writes: XML-RPC with the admin's credentials."""

    def __init__(self, url, database):
        self.database = database
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
            database, "admin", "admin", {}
        )
        assert self.uid, "admin / admin must log in"
        self.models = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object", allow_none=True
        )

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.database, self.uid, "admin", model, method, list(args), kwargs
        )

    def xmlid(self, module, name):
        [row] = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return row["res_id"]

    def run_cron(self, module, name):
        self("ir.cron", "method_direct_trigger", [self.xmlid(module, name)])

    def any_hour(self):
        """Let reminders leave at any hour: these tests run whenever the
        suite does, at night and on weekends too."""
        policies = self("renewal.policy", "search", [], context={"active_test": False})
        self("renewal.policy", "write", policies, {"calendar_id": False})


def test_reminders_reach_a_real_smtp_server_exactly_once(odoo_server, smtp_inbox):
    inbox, _port = smtp_inbox
    rpc = Client(odoo_server.url, odoo_server.database)
    rpc.any_hour()
    standard = rpc("renewal.tier", "search", [("name", "=", "Standard")])[0]
    strategic = rpc("renewal.tier", "search", [("name", "=", "Strategic")])[0]
    product = rpc(
        "product.product", "create", {"name": "Support plan", "type": "service"}
    )
    today = date.today()

    def customer(name, email, tier, **values):
        return rpc(
            "res.partner",
            "create",
            {
                "name": name,
                "email": email,
                "is_company": True,
                "renewal_tier_id": tier,
                **values,
            },
        )

    def contract(partner, days_left):
        line = {
            "product_id": product,
            "name": "Support plan",
            "quantity": 1,
            "price_unit": 250.0,
            "recurring_rule_type": "monthly",
            "recurring_interval": 1,
            "date_start": str(today - timedelta(days=300)),
            "date_end": str(today + timedelta(days=days_left)),
        }
        return rpc(
            "contract.contract",
            "create",
            {
                "name": f"Support {days_left}",
                "partner_id": partner,
                "contract_type": "sale",
                "line_recurrence": True,
                "contract_line_ids": [(0, 0, line)],
            },
        )

    on_time = contract(customer("On Time Ltd", "ontime@example.com", standard), 30)
    late = contract(customer("Late Ltd", "late@example.com", standard), 10)
    far = contract(customer("Far Ltd", "far@example.com", standard), 100)
    opted_out = contract(
        customer("Quiet Ltd", "quiet@example.com", standard, renewal_opt_out=True), 30
    )
    key_account = contract(
        customer("Key Account Ltd", "key@example.com", strategic), 30
    )

    for _run in range(2):  # a second run must add nothing
        rpc.run_cron("renewal_reminder", "ir_cron_renewal_reminder_send")
        rpc.run_cron("mail", "ir_cron_mail_scheduler_action")

    ours = {"ontime", "late", "far", "quiet", "key"}
    mine = [
        (tuple(rcpts), message)
        for rcpts, message in inbox.messages
        if rcpts[0].split("@")[0] in ours
    ]
    received = dict(mine)
    assert sorted(received) == [("late@example.com",), ("ontime@example.com",)]
    assert len(mine) == 2
    gentle = received[("ontime@example.com",)]
    warning = received[("late@example.com",)]
    end = (today + timedelta(days=30)).strftime("%m/%d/%Y")
    assert gentle["Subject"] == f"Your contract Support 30 ends on {end}"
    assert warning["Subject"].startswith("Your service ends on")
    for message in (gentle, warning):
        text = message.get_body(("html", "plain")).get_content()
        assert "Dear" in text
        assert "{{" not in text and "object." not in text and "t-out" not in text

    reminders = rpc(
        "renewal.reminder",
        "search_read",
        [("contract_id", "in", [on_time, late, far, opted_out, key_account])],
        fields=["contract_id", "days_before", "state", "reason_code"],
    )
    states = sorted(
        (r["contract_id"][0], r["days_before"], r["state"], r["reason_code"] or "")
        for r in reminders
    )
    assert states == sorted(
        [
            (on_time, 30, "sent", ""),
            (late, 15, "sent", ""),
            (late, 30, "skipped", "superseded"),
            (opted_out, 30, "skipped", "opted_out"),
            (key_account, 60, "skipped", "superseded"),
            (key_account, 30, "review", ""),
        ]
    )


KILLED_PASS = """
import sys
Reminder = env["renewal.scheduler"]
while Reminder._cron_send_due_reminders(batch_size=10):
    env.cr.commit()
    print("batch committed", flush=True)
env.cr.commit()
print("pass finished", flush=True)
"""


def test_a_worker_killed_mid_pass_loses_and_doubles_nothing(odoo_server, smtp_inbox):
    inbox, _port = smtp_inbox
    rpc = Client(odoo_server.url, odoo_server.database)
    rpc.any_hour()
    tier = rpc("renewal.tier", "search", [("name", "=", "Standard")])[0]
    product = rpc("product.product", "create", {"name": "Hosting", "type": "service"})
    today = date.today()
    customers = rpc(
        "res.partner",
        "create",
        [
            {
                "name": f"Killed pass customer {index}",
                "email": f"killed{index}@example.com",
                "is_company": True,
                "renewal_tier_id": tier,
            }
            for index in range(60)
        ],
    )
    line = {
        "product_id": product,
        "name": "Hosting",
        "quantity": 1,
        "price_unit": 90.0,
        "recurring_rule_type": "monthly",
        "recurring_interval": 1,
        "date_start": str(today - timedelta(days=200)),
        "date_end": str(today + timedelta(days=30)),
    }
    contracts = rpc(
        "contract.contract",
        "create",
        [
            {
                "name": f"Hosting {customer}",
                "partner_id": customer,
                "contract_type": "sale",
                "line_recurrence": True,
                "contract_line_ids": [(0, 0, line)],
            }
            for customer in customers
        ],
    )

    # A worker runs the pass in batches of 10 and is killed after two commits.
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "shell",
            "-c",
            odoo_server.config,
            "-d",
            odoo_server.database,
            "--log-level=warn",
            "--no-http",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    worker.stdin.write(KILLED_PASS)
    worker.stdin.close()
    committed = 0
    while committed < 2:
        line_out = worker.stdout.readline()
        assert line_out, "the worker stopped before it was killed"
        committed += line_out.startswith("batch committed")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)

    reminders = rpc(
        "renewal.reminder",
        "search_read",
        [("contract_id", "in", contracts)],
        fields=["contract_id", "state", "mail_id"],
    )
    assert 20 <= len(reminders) < 60
    # Whatever the killed batch had begun was rolled back with it.
    assert all(r["state"] == "queued" and r["mail_id"] for r in reminders)

    # The next pass sends exactly what was not sent.
    rpc.run_cron("renewal_reminder", "ir_cron_renewal_reminder_send")
    rpc.run_cron("mail", "ir_cron_mail_scheduler_action")
    rpc.run_cron("renewal_reminder", "ir_cron_renewal_reminder_send")
    rpc.run_cron("mail", "ir_cron_mail_scheduler_action")
    received = [
        rcpt
        for rcpts, _message in inbox.messages
        for rcpt in rcpts
        if rcpt.startswith("killed")
    ]
    assert sorted(received) == sorted(
        f"killed{index}@example.com" for index in range(60)
    )
    reminders = rpc(
        "renewal.reminder",
        "search_read",
        [("contract_id", "in", contracts)],
        fields=["state"],
    )
    assert [r["state"] for r in reminders] == ["sent"] * 60


def test_a_customer_answers_through_the_links_of_the_real_email(
    odoo_server, smtp_inbox
):
    requests = pytest.importorskip("requests")
    inbox, _port = smtp_inbox
    rpc = Client(odoo_server.url, odoo_server.database)
    rpc.any_hour()
    # The links of the emails point at this server.
    rpc("ir.config_parameter", "set_param", "web.base.url", odoo_server.url)
    standard = rpc("renewal.tier", "search", [("name", "=", "Standard")])[0]
    product = rpc("product.product", "create", {"name": "Hosting", "type": "service"})
    today = date.today()
    partner = rpc(
        "res.partner",
        "create",
        {
            "name": "Answering Ltd",
            "email": "answering@example.com",
            "is_company": True,
            "renewal_tier_id": standard,
        },
    )
    contract = rpc(
        "contract.contract",
        "create",
        {
            "name": "Answering hosting",
            "partner_id": partner,
            "contract_type": "sale",
            "line_recurrence": True,
            "contract_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product,
                        "name": "Hosting",
                        "quantity": 1,
                        "price_unit": 100.0,
                        "recurring_rule_type": "monthly",
                        "recurring_interval": 1,
                        "date_start": str(today - timedelta(days=300)),
                        "date_end": str(today + timedelta(days=30)),
                    },
                )
            ],
        },
    )
    rpc.run_cron("renewal_reminder", "ir_cron_renewal_reminder_send")
    rpc.run_cron("mail", "ir_cron_mail_scheduler_action")
    [message] = [m for rcpts, m in inbox.messages if rcpts == ["answering@example.com"]]
    html = message.get_body(("html",)).get_content()
    links = dict(
        (choice, url.replace("&amp;", "&"))
        for url, choice in re.findall(
            r'href="([^"]+/renewal/answer/[^"?]+\?choice=(\w+))"', html
        )
    )
    assert set(links) == {"renew", "more_time", "not_renew"}
    assert all(url.startswith(odoo_server.url) for url in links.values())
    # RFC 8058 headers, as the mail provider reads them.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert "/renewal/unsubscribe/" in unsubscribe

    # Opening the link changes nothing; the posted form answers.
    session = requests.Session()
    page = session.get(links["more_time"], timeout=60)
    assert page.status_code == 200
    assert "Answering hosting" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    [reminder] = rpc(
        "renewal.reminder",
        "search_read",
        [("contract_id", "=", contract), ("state", "=", "sent")],
        fields=["answer"],
    )
    assert reminder["answer"] is False
    answered = session.post(
        links["more_time"].split("?")[0],
        data={"csrf_token": csrf, "answer": "more_time", "reason": "budget_pending"},
        timeout=60,
    )
    assert answered.status_code == 200
    assert "Thank you, your answer is recorded" in answered.text
    [reminder] = rpc(
        "renewal.reminder",
        "read",
        [reminder["id"]],
        fields=["answer", "answer_reason"],
    )
    assert (reminder["answer"], reminder["answer_reason"]) == (
        "more_time",
        "budget_pending",
    )
    [state] = rpc("contract.contract", "read", [contract], fields=["renewal_state"])
    assert state["renewal_state"] == "more_time"

    # The mail provider's one-click unsubscribe: no cookie, no token.
    response = requests.post(
        unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=60
    )
    assert response.status_code == 200
    [customer] = rpc("res.partner", "read", [partner], fields=["renewal_opt_out"])
    assert customer["renewal_opt_out"] is True
