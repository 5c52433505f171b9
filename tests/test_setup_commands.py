# ruff: noqa: E501  (the pip and requirements samples are quoted verbatim)
"""The set-up commands, exercised without starting Odoo.

``setup/run --check`` and ``setup/test --check`` only look for Odoo 18,
PostgreSQL and the venv, so these tests are fast and build nothing. The
"no Odoo" cases run the commands with a PATH that holds only a few tools and
a python3 that cannot import odoo.

The tool venv's build (Odoo's requirements filtered for wheels, a half-built
venv rebuilt, the causes of failures, the lock, each run's own configuration)
runs the real setup/run against stand-ins for python3, the venv's python and
pg_isready, which record what they are asked. The browser the tours need is
installed by setup/test through a stand-in apt-get on a PATH without any
browser, with a stand-in `id` saying who runs it.
"""

import json
import os
import shutil
import subprocess
import sys
import time
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
    "ln",
    "ls",
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


# ------------------------------------------------------------------ the venv
#
# The tests below run the real setup/run with stand-ins: a python3 (and the
# venv python it "creates") that records every call instead of building
# anything, a pg_isready that always answers, and a fake Odoo 18 source tree
# whose requirements.txt holds lines of Odoo 18.0's own file. They build
# nothing and need neither Odoo nor PostgreSQL nor the network.

# Lines of Odoo 18.0's requirements.txt, as they are there.
ODOO_REQUIREMENTS = """\
# The officially supported versions of the following packages are their
# python3-* equivalent distributed in Ubuntu 24.04 and Debian 12
gevent==22.10.2; sys_platform != 'win32' and python_version > '3.10' and python_version < '3.12'
lxml==4.9.3 ; python_version > '3.10' and python_version < '3.12' # min 4.9.2, pinning 4.9.3 because of missing wheels for darwin in 4.9.3
psycopg2==2.9.2 ; python_version == '3.10' # (Jammy)
psycopg2==2.9.5 ; python_version == '3.11'
psycopg2==2.9.9 ; python_version >= '3.12' # (Noble) Mostly to have a wheel package
pypiwin32 ; sys_platform == 'win32'
python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12' # min version = 3.2.0 (Focal with security backports)
python-ldap==3.4.4 ; sys_platform != 'win32' and python_version >= '3.12'  # (Noble) Mostly to have a wheel package
pytz  # no version pinning to avoid OS perturbations
"""

# What pip 23 prints when psycopg2 has to be built without pg_config (cut).
PIP_PG_CONFIG_FAILURE = """\
Collecting gevent==22.10.2
  Using cached gevent-22.10.2-cp311-cp311-manylinux_2_17_x86_64.whl (6.5 MB)
Collecting psycopg2==2.9.5
  Downloading psycopg2-2.9.5.tar.gz (384 kB)
  Preparing metadata (setup.py): started
  Preparing metadata (setup.py): finished with status 'error'
  error: subprocess-exited-with-error

  \u00d7 python setup.py egg_info did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [23 lines of output]
      running egg_info
      writing /tmp/pip-pip-egg-info-ytwhn713/psycopg2.egg-info/PKG-INFO

      Error: pg_config executable not found.

      pg_config is required to build psycopg2 from source.  Please add the directory
      containing pg_config to the $PATH or specify the full executable path with the
      option:

          python setup.py build_ext --pg-config /path/to/pg_config build ...

      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed

\u00d7 Encountered error while generating package metadata.
\u2570\u2500> See above for output.

note: This is an issue with the package mentioned above, not pip.
hint: See above for details.
"""

# What pip 23 prints when python-ldap is built without libldap2-dev (cut).
PIP_LDAP_FAILURE = """\
Building wheels for collected packages: python-ldap
  Building wheel for python-ldap (pyproject.toml): started
  Building wheel for python-ldap (pyproject.toml): finished with status 'error'
  error: subprocess-exited-with-error

  \u00d7 Building wheel for python-ldap (pyproject.toml) did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [97 lines of output]
      x86_64-linux-gnu-gcc -Wsign-compare -DNDEBUG -g -fwrapv -O2 -Wall -Werror=format-security -c Modules/LDAPObject.c
      In file included from Modules/LDAPObject.c:3:
      Modules/common.h:15:10: fatal error: lber.h: No such file or directory
         15 | #include <lber.h>
            |          ^~~~~~~~
      compilation terminated.
      error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for python-ldap
Failed to build python-ldap
ERROR: Could not build wheels for python-ldap, which is required to install pyproject.toml-based projects
"""

PIP_NO_MATCH = """\
ERROR: Could not find a version that satisfies the requirement pytest==9.2.0 (from versions: 8.0.0, 8.1.0)
ERROR: No matching distribution found for pytest==9.2.0
"""

# What pip 23 prints when the package index cannot be reached.
PIP_OFFLINE = """\
Looking in indexes: https://pypi.org/simple
WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f127f71ed10>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/asn1crypto/
ERROR: Could not find a version that satisfies the requirement asn1crypto==1.5.1 (from versions: none)
ERROR: No matching distribution found for asn1crypto==1.5.1
"""

STUB_PYTHON = '''#!{python} -S
"""Stands in for python3 and the venv's python: records what it is asked."""
import json
import os
import shutil
import sys
import time
from pathlib import Path

me = Path(sys.argv[0])
venv = me.parent.parent
args = sys.argv[1:]


def record(kind, **data):
    with open(os.environ["STUB_RECORD"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(kind=kind, exe=str(me), args=args, **data)) + "\\n")


if args[:1] == ["-c"]:
    code = args[1]
    if "version_info" in code:  # the discovery probe: no Odoo here
        sys.exit(1)
    if "purelib" in code:
        site = venv / "lib" / "site-packages"
        site.mkdir(parents=True, exist_ok=True)
        print(site)
    elif "psycopg2" in code:
        print(os.environ.get("STUB_DB_STATE", "absent"))
    sys.exit(0)
if args[:1] == ["-"]:
    sys.stdin.read()
    sys.exit(0)
if args[:2] == ["-m", "venv"]:
    target = Path(args[2])
    (target / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(me, target / "bin" / "python")
    (target / "pyvenv.cfg").write_text("home = stub\\n", encoding="utf-8")
    if os.environ.get("STUB_VENV_WITHOUT_PIP"):
        (target / "no-pip").touch()
    record("venv", target=str(target))
    sys.exit(0)
if args[:2] == ["-m", "ensurepip"]:
    record("ensurepip")
    if os.environ.get("STUB_ENSUREPIP_FAILS"):
        sys.stderr.write("%s: No module named ensurepip\\n" % me)
        sys.exit(1)
    (venv / "no-pip").unlink(missing_ok=True)
    sys.exit(0)
if args[:2] == ["-m", "pip"]:
    if (venv / "no-pip").exists():
        sys.stderr.write("%s: No module named pip\\n" % me)
        sys.exit(1)
    if args[2:3] == ["--version"]:
        print("pip 23.0.1")
        sys.exit(0)
    reqs = Path(args[args.index("-r") + 1]) if "-r" in args else None
    record(
        "pip",
        requirements=reqs.read_text(encoding="utf-8") if reqs else "",
        name=reqs.name if reqs else "",
        constraint=os.environ.get("PIP_CONSTRAINT", ""),
    )
    wait_for = os.environ.get("STUB_PIP_WAIT_FOR")
    deadline = time.time() + 60
    while wait_for and not os.path.exists(wait_for) and time.time() < deadline:
        time.sleep(0.05)
    if reqs and reqs.name == os.environ.get("STUB_PIP_FAILS_ON"):
        sys.stdout.write(os.environ.get("STUB_PIP_OUTPUT", ""))
        sys.exit(1)
    sys.exit(0)
if args[:2] == ["-m", "odoo"]:
    conf = args[args.index("-c") + 1]
    record("odoo", conf=conf, conf_text=Path(conf).read_text(encoding="utf-8"))
    if "-i" in args:  # an install: its log says which database it filled
        db = args[args.index("-d") + 1]
        for _line in range(20):
            print("INFO %s installing the addons" % db, flush=True)
            time.sleep(0.02)
    sys.exit(0)
if args[:2] == ["-m", "pytest"]:
    record("pytest")
    sys.exit(0)
record("unexpected")
sys.exit(3)
'''


@pytest.fixture
def stub_env(tmp_path):
    """An environment for setup/run with stand-ins: call it for a fresh one."""
    odoo = tmp_path / "odoo-18.0"
    (odoo / "odoo" / "addons").mkdir(parents=True)
    (odoo / "addons").mkdir()
    (odoo / "odoo" / "release.py").write_text(
        "version_info = (18, 0, 0, 'final', 0, '')\n", encoding="utf-8"
    )
    (odoo / "requirements.txt").write_text(ODOO_REQUIREMENTS, encoding="utf-8")

    def make(flock=False):
        bindir = tmp_path / ("bin-flock" if flock else "bin")
        if not bindir.exists():
            bindir.mkdir()
            for tool in (*TOOLS, "sleep", *(("flock",) if flock else ())):
                found = shutil.which(tool)
                if found:
                    (bindir / tool).symlink_to(found)
            stub = bindir / "python3"
            stub.write_text(STUB_PYTHON.replace("{python}", sys.executable))
            stub.chmod(0o755)
            pg_isready = bindir / "pg_isready"
            if pg_isready.is_symlink():
                pg_isready.unlink()
            pg_isready.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
            pg_isready.chmod(0o755)
        return {
            "PATH": str(bindir),
            "HOME": str(tmp_path / "home"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "ODOO_PATH": str(odoo),
            "STUB_RECORD": str(tmp_path / "record.jsonl"),
            "LANG": "C.UTF-8",
        }

    return make


def _records(env, kind=None):
    path = Path(env["STUB_RECORD"])
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return [row for row in rows if kind is None or row["kind"] == kind]


def _wait_for(condition, message, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)


def _venv_of(env):
    code, lines = _run(RUN, env, "--check")
    assert code == 0, lines
    [venv] = [line.split()[1] for line in lines if line.startswith("Venv:")]
    return Path(venv)


def _common_function(function, *args, env=None):
    """Run one function of setup/_common.sh; return its stdout."""
    result = subprocess.run(
        [BASH, "-c", 'source "$0" && "$@"', str(ROOT / "setup" / "_common.sh")]
        + [function, *args],
        cwd=ROOT,
        env=env or {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _requirement_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_odoo_requirements_are_filtered_for_wheels(tmp_path):
    sample = tmp_path / "requirements.txt"
    sample.write_text(
        ODOO_REQUIREMENTS + "Psycopg2>=2.8\npython_ldap\n", encoding="utf-8"
    )
    out = _common_function("renewal_filter_odoo_requirements", str(sample))
    lines = _requirement_lines(out)
    assert "psycopg2-binary==2.9.5 ; python_version == '3.11'" in lines, out
    assert "psycopg2-binary==2.9.2 ; python_version == '3.10' # (Jammy)" in lines
    assert (
        "psycopg2-binary==2.9.9 ; python_version >= '3.12' # (Noble) Mostly to have "
        "a wheel package" in lines
    )
    assert "psycopg2-binary>=2.8" in lines
    assert not [line for line in lines if "ldap" in line.lower()], out
    assert not [
        line
        for line in lines
        if line.lower().startswith("psycopg2") and "binary" not in line
    ], out
    # Everything else is kept as it is, markers and comments included.
    kept = [
        line
        for line in ODOO_REQUIREMENTS.splitlines()
        if not line.startswith(("psycopg2", "python-ldap"))
    ]
    assert [line for line in out.splitlines() if line in kept] == kept


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            PIP_PG_CONFIG_FAILURE,
            "psycopg2==2.9.5: Error: pg_config executable not found.",
        ),
        (
            PIP_LDAP_FAILURE,
            "python-ldap: Modules/common.h:15:10: fatal error: lber.h: No such file or directory; error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1",
        ),
        (
            PIP_NO_MATCH,
            "ERROR: Could not find a version that satisfies the requirement pytest==9.2.0; ERROR: No matching distribution found for pytest==9.2.0",
        ),
        (
            PIP_OFFLINE,
            "ERROR: No matching distribution found for asn1crypto==1.5.1; the package index did not answer: Failed to establish a new connection: [Errno 111] Connection refused",
        ),
        (
            "Creating the venv\nsomething went wrong here\n",
            "Creating the venv; something went wrong here",
        ),
    ],
)
def test_failure_cause_is_read_from_the_log(tmp_path, log, expected):
    path = tmp_path / "pip.log"
    path.write_text(log, encoding="utf-8")
    assert _common_function("_renewal_log_cause", str(path)).strip() == expected


def test_run_installs_odoo_requirements_that_need_no_compiler(stub_env):
    env = stub_env()
    code, lines = _run(RUN, env)
    assert code == 0, lines
    pips = _records(env, "pip")
    [odoo_reqs] = [
        row for row in pips if row["name"] == "renewal-odoo-requirements.txt"
    ]
    handed = _requirement_lines(odoo_reqs["requirements"])
    assert "psycopg2-binary==2.9.5 ; python_version == '3.11'" in handed, handed
    assert not [line for line in handed if "ldap" in line], handed
    assert not [
        line for line in handed if line.startswith("psycopg2") and "binary" not in line
    ]
    assert "pytz  # no version pinning to avoid OS perturbations" in handed
    assert odoo_reqs["constraint"], (
        "Odoo's requirements are installed with build constraints"
    )
    assert [row["name"] for row in pips] == [
        "renewal-odoo-requirements.txt",
        "requirements.txt",
    ]
    assert (_venv_of(env) / ".renewal-reminder-ready").is_file()
    assert any("psycopg2-binary" in line for line in lines), lines


def test_half_built_venv_without_pip_is_rebuilt(stub_env):
    env = stub_env()
    venv = _venv_of(env)
    (venv / "bin").mkdir(parents=True)
    shutil.copy(Path(env["PATH"]) / "python3", venv / "bin" / "python")
    (venv / "no-pip").touch()  # the stand-in's "pip is missing"
    code, lines = _run(RUN, env, "--check")
    assert any("not ready, it was left half-built" in line for line in lines), lines
    code, lines = _run(RUN, env)
    assert code == 0, lines
    assert any(
        "Rebuilding it from scratch: it was left half-built" in line for line in lines
    )
    assert len(_records(env, "venv")) == 1
    assert not (venv / "no-pip").exists()
    assert (venv / ".renewal-reminder-ready").is_file()


def test_venv_whose_python_is_broken_is_rebuilt(stub_env):
    env = stub_env()
    code, lines = _run(RUN, env)
    assert code == 0, lines
    venv = _venv_of(env)
    broken = venv / "bin" / "python"
    broken.unlink()
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    code, lines = _run(RUN, env)
    assert code == 0, lines
    assert any("its python does not run" in line for line in lines), lines
    assert len(_records(env, "venv")) == 2


def test_venv_without_pip_names_that_cause(stub_env):
    env = dict(stub_env(), STUB_VENV_WITHOUT_PIP="1", STUB_ENSUREPIP_FAILS="1")
    code, lines = _run(RUN, env)
    assert code == 2, lines
    assert "the venv's python has no pip module" in lines[-1], lines
    assert "PyPI" not in lines[-1]
    assert len(_records(env, "ensurepip")) == 1


def test_venv_without_pip_gets_it_from_ensurepip(stub_env):
    env = dict(stub_env(), STUB_VENV_WITHOUT_PIP="1")
    code, lines = _run(RUN, env)
    assert code == 0, lines
    assert len(_records(env, "ensurepip")) == 1


@pytest.mark.parametrize(
    ("failing", "output", "cause"),
    [
        (
            "renewal-odoo-requirements.txt",
            PIP_PG_CONFIG_FAILURE,
            "psycopg2==2.9.5: Error: pg_config executable not found.",
        ),
        (
            "requirements.txt",
            PIP_NO_MATCH,
            "ERROR: No matching distribution found for pytest==9.2.0",
        ),
    ],
)
def test_pip_failure_names_the_cause_and_the_next_run_rebuilds(
    stub_env, failing, output, cause
):
    env = stub_env()
    failing_env = dict(env, STUB_PIP_FAILS_ON=failing, STUB_PIP_OUTPUT=output)
    code, lines = _run(RUN, failing_env)
    assert code == 2, lines
    assert cause in lines[-1], lines
    assert "PyPI" not in lines[-1] and "libpq-dev" not in lines[-1], lines
    venv = _venv_of(env)
    assert not (venv / ".renewal-reminder-ready").exists()
    code, lines = _run(RUN, env)
    assert code == 0, lines
    assert any("it was left half-built" in line for line in lines), lines
    assert (venv / ".renewal-reminder-ready").is_file()


def test_each_run_has_a_configuration_of_its_own(stub_env):
    env = stub_env()
    confs = {}
    for db in ("renewal_a", "renewal_b", "renewal_a"):
        code, lines = _run(RUN, dict(env, RENEWAL_DB=db), "--check")
        assert code == 0, lines
        [conf] = [
            line.split(None, 1)[1] for line in lines if line.startswith("Config:")
        ]
        assert not Path(conf).exists(), "--check writes nothing"
        confs.setdefault(db, set()).add(conf)
    assert len(confs["renewal_a"]) == 1
    assert confs["renewal_a"] != confs["renewal_b"]


def _served(env, db):
    """The configuration files and texts the odoo stand-in got for DB."""
    rows = [row for row in _records(env, "odoo") if row["args"][4:6] == ["-d", db]]
    assert rows, f"odoo was never run for {db}"
    return {row["conf"] for row in rows}, {row["conf_text"] for row in rows}


@pytest.mark.parametrize("lock_tool", ["flock", "mkdir"])
def test_two_first_runs_at_once_build_once_and_serve_their_own(
    stub_env, tmp_path, lock_tool
):
    if lock_tool == "flock" and not shutil.which("flock"):
        pytest.skip("util-linux's flock is not installed here")
    env = stub_env(flock=lock_tool == "flock")
    other = tmp_path / "other-checkout"
    shutil.copytree(ROOT / "setup", other / "setup")
    release = tmp_path / "release-pip"
    runs = {
        "a": (
            [BASH, str(RUN)],
            dict(env, RENEWAL_DB="renewal_a", STUB_PIP_WAIT_FOR=str(release)),
        ),
        "b": (
            [BASH, str(other / "setup" / "run")],
            dict(env, RENEWAL_DB="renewal_b", RENEWAL_HTTP_PORT="8070"),
        ),
    }
    procs = {}
    outputs = {name: tmp_path / f"run-{name}.out" for name in runs}
    try:
        for name in ("a", "b"):
            command, run_env = runs[name]
            with outputs[name].open("w", encoding="utf-8") as out:
                procs[name] = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=run_env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if name == "a":
                # Run A holds the lock while its pip runs.
                _wait_for(
                    lambda: _records(env, "pip"), "the first run never reached pip"
                )
        _wait_for(
            lambda: (
                "Waiting for another setup/run or setup/test"
                in outputs["b"].read_text("utf-8")
            ),
            "the second run did not wait for the first one's build",
        )
        assert len(_records(env, "pip")) == 1, "the second run must not build meanwhile"
    finally:
        release.touch()
        codes = {name: proc.wait(timeout=60) for name, proc in procs.items()}
    texts = {name: outputs[name].read_text("utf-8") for name in runs}
    assert codes == {"a": 0, "b": 0}, texts
    assert len(_records(env, "venv")) == 1, "one build, found ready by the other run"

    conf_a, text_a = _served(env, "renewal_a")
    conf_b, text_b = _served(env, "renewal_b")
    assert len(conf_a) == len(conf_b) == 1 and conf_a != conf_b
    [text_a], [text_b] = text_a, text_b
    assert "dbfilter = ^renewal_a$" in text_a.splitlines()
    assert "dbfilter = ^renewal_b$" in text_b.splitlines()
    assert f"addons_path = {os.path.realpath(ROOT)}," in text_a
    assert f"addons_path = {os.path.realpath(other)}," in text_b


def test_a_lock_left_by_a_run_that_is_gone_is_taken_over(stub_env):
    env = stub_env(flock=False)
    venv = _venv_of(env)
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock = Path(f"{venv}.lock.d")
    lock.mkdir(parents=True)
    (lock / "pid").write_text(f"{gone.pid}\n", encoding="utf-8")
    code, lines = _run(RUN, env, timeout=60)
    assert code == 0, lines
    assert not lock.exists()


def test_two_test_runs_at_once_write_their_own_install_log(stub_env):
    env = stub_env()
    # The Odoo-free step finds no test here: the stand-in's pytest passes.
    runs = [
        subprocess.Popen(
            [BASH, str(ROOT / "setup" / "test")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for _run_index in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
    logs_dir = Path(env["XDG_CACHE_HOME"]) / "renewal-reminder" / "logs"
    logs = sorted(logs_dir.glob("test-install-renewal_test_*.log"))
    assert len(logs) == 2, output
    for log in logs:
        db = log.name[len("test-install-") : -len(".log")]
        lines = log.read_text(encoding="utf-8").splitlines()
        assert lines, log
        assert all(line.split()[1] == db for line in lines), lines
    # Each run names its own log; the shared name points at one of them.
    named = [
        next(word for word in output.split() if "test-install-" in word)
        for output in outputs
    ]
    assert len(set(named)) == 2, named
    latest = logs_dir / "test-install.log"
    assert latest.is_symlink() and latest.resolve() in {log.resolve() for log in logs}


# ------------------------------------------------------------------ the browser
#
# setup/test with the stand-ins above (an Odoo 18 source tree, a PostgreSQL
# that answers), a PATH without any browser or font tool, and stand-ins for
# `id` (who runs it) and apt-get, which records its calls; an install puts
# the packages' commands on PATH as Debian's packages would.

APT_GET = '''#!{python} -S
"""Stands in for apt-get: records its calls, installs onto PATH."""
import json
import os
import sys
import time
from pathlib import Path

bindir = Path(sys.argv[0]).parent
args = sys.argv[1:]
with open(os.environ["STUB_RECORD"], "a", encoding="utf-8") as fh:
    row = dict(
        kind="apt-get",
        args=args,
        frontend=os.environ.get("DEBIAN_FRONTEND", ""),
        tty=sys.stdin.isatty(),
    )
    fh.write(json.dumps(row) + "\\n")
print("Reading package lists... Done")
if args[:1] == ["install"]:
    wait_for = os.environ.get("STUB_APT_WAIT_FOR")
    deadline = time.time() + 60
    while wait_for and not os.path.exists(wait_for) and time.time() < deadline:
        time.sleep(0.05)
    if os.environ.get("STUB_APT_FAILS"):
        print("E: Unable to locate package chromium")
        sys.exit(100)
    commands = {
        "chromium": "exit 0",
        "fonts-noto-cjk": "echo /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:",
    }
    for package in args:
        if package in commands:
            tool = bindir / ("fc-list" if package.startswith("fonts") else package)
            tool.write_text("#!/bin/sh\\n%s\\n" % commands[package], encoding="utf-8")
            tool.chmod(0o755)
sys.exit(0)
'''


def _tool(env, name, body):
    tool = Path(env["PATH"]) / name
    if tool.is_symlink():
        tool.unlink()
    tool.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    tool.chmod(0o755)
    return tool


@pytest.fixture
def browser_env(stub_env):
    """setup/test's environment with Odoo and PostgreSQL, without a browser."""

    def make(uid="0", apt_get=True):
        env = stub_env()
        _tool(env, "id", f'[ "$1" = -u ] && echo {uid}')
        if apt_get:
            _tool(env, "apt-get", "").write_text(
                APT_GET.replace("{python}", sys.executable), encoding="utf-8"
            )
        return env

    return make


def _browser_lines(lines):
    return [line for line in lines if line.startswith("Browser tours:")]


def test_test_installs_the_missing_browser_and_fonts_as_root(browser_env):
    env = browser_env()
    code, lines = _run(TEST, env)
    assert code == 0, lines
    calls = _records(env, "apt-get")
    assert [call["args"] for call in calls] == [
        ["update"],
        ["install", "-y", "--no-install-recommends", "chromium", "fonts-noto-cjk"],
    ]
    assert all(call["frontend"] == "noninteractive" for call in calls), calls
    assert not any(call["tty"] for call in calls), calls
    log = Path(env["XDG_CACHE_HOME"]) / "renewal-reminder/logs/browser-install.log"
    [said] = _browser_lines(lines)
    assert "installing chromium fonts-noto-cjk with apt-get" in said, lines
    assert str(log) in said, lines
    assert "Reading package lists" in log.read_text(encoding="utf-8")
    assert len(_records(env, "pytest")) == 2, "both test steps still ran"
    # The next run finds them and installs nothing.
    code, lines = _run(TEST, env)
    assert code == 0, lines
    assert not _browser_lines(lines), lines
    assert len(_records(env, "apt-get")) == 2


def test_two_test_runs_at_once_install_the_browser_once(browser_env, tmp_path):
    env = browser_env()
    release = tmp_path / "release-apt"
    outputs = [tmp_path / f"test-{index}.out" for index in range(2)]
    procs = []
    try:
        for index, output in enumerate(outputs):
            with output.open("w", encoding="utf-8") as out:
                procs.append(
                    subprocess.Popen(
                        [BASH, str(TEST)],
                        cwd=ROOT,
                        env=dict(env, STUB_APT_WAIT_FOR=str(release)),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
                )
            if index == 0:
                # The first run holds the lock while apt-get installs.
                _wait_for(
                    lambda: len(_records(env, "apt-get")) == 2,
                    "the first run never reached apt-get install",
                )
        _wait_for(
            lambda: (
                "Waiting for another setup/run or setup/test"
                in outputs[1].read_text("utf-8")
            ),
            "the second run did not wait for the first one's install",
        )
    finally:
        release.touch()
        codes = [proc.wait(timeout=120) for proc in procs]
    texts = [output.read_text("utf-8") for output in outputs]
    assert codes == [0, 0], texts
    assert len(_records(env, "apt-get")) == 2, "one update and one install"
    assert "installing chromium" not in texts[1], texts[1]


def test_test_installs_only_the_fonts_next_to_a_browser_odoo_finds(browser_env):
    env = browser_env()
    # The last name Odoo 18 looks for, and fonts-noto-cjk removed.
    _tool(env, "google-chrome-stable", "exit 0")
    _tool(env, "dpkg-query", "printf 'deinstall ok config-files'")
    code, lines = _run(TEST, env, "--check")
    assert code == 0, lines
    [browser] = [line for line in lines if line.startswith("Browser:")]
    assert "no CJK fonts (fonts-noto-cjk)" in browser, lines
    assert "Chromium" not in browser, lines
    code, lines = _run(TEST, env)
    assert code == 0, lines
    installs = [
        c["args"] for c in _records(env, "apt-get") if c["args"][0] == "install"
    ]
    assert installs == [["install", "-y", "--no-install-recommends", "fonts-noto-cjk"]]


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("no apt-get", "there is no apt-get to install them with"),
        ("not root", "not running as root"),
        ("opted out", "RENEWAL_INSTALL_BROWSER=0 keeps setup/test from installing"),
        ("install fails", "E: Unable to locate package chromium"),
    ],
)
def test_test_names_the_packages_when_it_cannot_install_them(browser_env, case, cause):
    env = browser_env(
        uid="1000" if case == "not root" else "0", apt_get=case != "no apt-get"
    )
    if case == "opted out":
        env["RENEWAL_INSTALL_BROWSER"] = "0"
    if case == "install fails":
        env["STUB_APT_FAILS"] = "1"
    code, lines = _run(TEST, env)
    assert code == 0, lines
    said = _browser_lines(lines)
    assert len(said) == (2 if case == "install fails" else 1), lines
    assert "no Chromium on PATH" in said[-1] and cause in said[-1], lines
    assert "apt-get install chromium fonts-noto-cjk" in said[-1], lines
    assert "Odoo skips the tours" in said[-1], lines
    installs = [c for c in _records(env, "apt-get") if c["args"][0] == "install"]
    assert len(installs) == (case == "install fails"), installs
    assert len(_records(env, "pytest")) == 2, "the run goes on"


def test_test_check_only_reports_the_browser(browser_env):
    env = browser_env()
    code, lines = _run(TEST, env, "--check")
    assert code == 0, lines
    [browser] = [line for line in lines if line.startswith("Browser:")]
    assert "no Chromium on PATH" in browser, lines
    assert "apt-get (chromium fonts-noto-cjk) on the next real run" in browser
    assert not _records(env, "apt-get")
    assert not (Path(env["XDG_CACHE_HOME"]) / "renewal-reminder" / "logs").exists()
    # A browser Odoo finds is named with its path.
    chromium = _tool(env, "chromium-browser", "exit 0")
    _tool(env, "fc-list", "echo /fonts/NotoSansCJK-Regular.ttc:")
    code, lines = _run(TEST, env, "--check")
    assert f"Browser:    {chromium}, with CJK fonts" in lines, lines


def test_test_installs_no_browser_without_postgres(browser_env):
    env = browser_env()
    _tool(env, "pg_isready", "exit 2")
    code, lines = _run(TEST, env)
    assert code == 0, lines
    assert any("running the Odoo-free checks only" in line for line in lines), lines
    assert not _records(env, "apt-get")
    assert not _browser_lines(lines), lines
