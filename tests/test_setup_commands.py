"""The set-up commands' discovery, exercised without starting Odoo.

``setup/run --check`` and ``setup/test --check`` only look for Odoo 18,
PostgreSQL and the venv, so these tests are fast and build nothing. The
"no Odoo" cases run the commands with a PATH that holds only a few tools and
a python3 that cannot import odoo.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "setup" / "run"
TEST = ROOT / "setup" / "test"
BASH = shutil.which("bash") or "/bin/bash"
TOOLS = (
    "bash",
    "env",
    "dirname",
    "basename",
    "cat",
    "mkdir",
    "rm",
    "mv",
    "readlink",
    "sha256sum",
    "git",
    "pg_isready",
    "date",
    "mktemp",
    "grep",
    "awk",
    "head",
    "tail",
)


def _imports_odoo(python):
    result = subprocess.run(
        [python, "-c", "import odoo"],
        cwd="/",
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _python_without_odoo():
    candidates = (
        getattr(sys, "_base_executable", None),
        "/usr/bin/python3",
        shutil.which("python3"),
        sys.executable,
    )
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and not _imports_odoo(candidate):
            return candidate
    return None


def _run(command, env, *args, timeout=120):
    result = subprocess.run(
        [BASH, str(command), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    lines = [
        line for line in (result.stdout + result.stderr).splitlines() if line.strip()
    ]
    return result.returncode, lines


@pytest.fixture
def env_without_odoo(tmp_path):
    python = _python_without_odoo()
    if python is None:
        pytest.skip("every python3 on this machine imports odoo")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    (bindir / "python3").symlink_to(python)
    return {
        "PATH": str(bindir),
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "RENEWAL_ODOO_SOURCE_URL": str(tmp_path / "no-such-repository"),
        "LANG": "C.UTF-8",
    }


def _venvs(env):
    cache = Path(env["XDG_CACHE_HOME"]) / "renewal-reminder"
    return sorted(cache.glob("venv-*")) if cache.is_dir() else []


def test_commands_are_executable():
    for path in (RUN, TEST, ROOT / ".ci" / "run"):
        assert os.access(path, os.X_OK), f"{path.relative_to(ROOT)} is not executable"


def test_ci_entry_calls_the_test_command_only():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands == ['exec "$(dirname -- "$0")/../setup/test" "$@"']


def test_run_check_without_odoo_stops_with_one_sentence(env_without_odoo):
    code, lines = _run(RUN, env_without_odoo, "--check")
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Odoo 18" in lines[0] and "ODOO_PATH" in lines[0], lines
    assert not _venvs(env_without_odoo), "--check must not build the venv"


def test_test_check_without_odoo_says_so_in_one_line(env_without_odoo):
    code, lines = _run(TEST, env_without_odoo, "--check")
    assert code == 0, lines
    not_found = [line for line in lines if "not found" in line and "Odoo 18" in line]
    assert len(not_found) == 1, lines
    assert not _venvs(env_without_odoo), "--check must not build the venv"


def test_check_only_variable_equals_the_flag(env_without_odoo):
    env = dict(env_without_odoo, RENEWAL_CHECK_ONLY="1")
    code, lines = _run(TEST, env)
    assert code == 0, lines
    assert any("Odoo 18 not found" in line for line in lines), lines
    assert not _venvs(env)


def test_run_check_names_an_invalid_odoo_path(env_without_odoo):
    env = dict(env_without_odoo, ODOO_PATH="/nonexistent")
    code, lines = _run(RUN, env, "--check")
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "/nonexistent" in lines[0], lines


def test_run_stops_when_the_download_fails(env_without_odoo):
    code, lines = _run(RUN, env_without_odoo, timeout=60)
    assert code == 2, lines
    assert "Odoo 18 was not found" in lines[-1], lines
    assert env_without_odoo["RENEWAL_ODOO_SOURCE_URL"] in lines[-1], lines
    cache = Path(env_without_odoo["XDG_CACHE_HOME"]) / "renewal-reminder"
    assert not (cache / "odoo-18.0").exists()
    assert not _venvs(env_without_odoo)


def _machine_env(**extra):
    env = dict(os.environ, **extra)
    env.pop("RENEWAL_CHECK_ONLY", None)
    return env


def test_check_reports_what_it_found():
    code, lines = _run(TEST, _machine_env(), "--check")
    assert code == 0, lines
    if any("Odoo 18 not found" in line for line in lines):
        pytest.skip("no Odoo 18 is discoverable on this machine")
    assert any(line.startswith("Odoo:") and "18.0 at " in line for line in lines), lines
    assert any(line.startswith("Venv:") for line in lines), lines


def test_run_check_says_when_postgres_is_not_answering():
    env = _machine_env(PGHOST="/nonexistent-socket-dir")
    code, lines = _run(RUN, env, "--check")
    if any("Odoo 18 was not found" in line for line in lines):
        pytest.skip("no Odoo 18 is discoverable on this machine")
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "PostgreSQL is not answering" in lines[0], lines
    assert "/nonexistent-socket-dir" in lines[0], lines
