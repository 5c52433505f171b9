"""Repository-wide pytest hooks.

setup/test loads this file in both of its pytest runs: without Odoo
(``-p no:odoo``) and through pytest-odoo. Nothing from ``odoo`` is imported at
module level, so it also loads on a machine without Odoo.

- Without pytest-odoo, the addon folders are not collected: importing them
  needs Odoo.
- Every test found inside an addon folder is marked ``odoo``, so that
  ``-m odoo`` selects the addons' tests and ``-m "not odoo"`` leaves them out.
- An Odoo test fails when Odoo logs an ERROR (or worse) while it runs, unless
  the test silenced that logger with ``odoo.tools.mute_logger``: muted records
  never reach the handlers of the ``odoo`` logger.
- Browser tours: the run says how many ran. Odoo skips a tour when it finds
  no browser (Debian: the ``chromium`` package) or no ``websocket-client``;
  with ``CI=true`` such a skip fails the test instead.
"""

import logging
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


class _TestFrameworkImportFilter(logging.Filter):
    """Drop Odoo's error about importing ``odoo.tests`` outside test mode.

    pytest-odoo imports ``odoo.tests`` while it reads the configuration, before
    it switches test mode on; Odoo 18 then logs that import as an error. Only
    that record, on that logger, is dropped.
    """

    def filter(self, record):
        return not (
            record.levelno >= logging.ERROR
            and str(record.msg).startswith("Importing test framework")
        )


logging.getLogger("odoo.tests.common").addFilter(_TestFrameworkImportFilter())


def _addon_folder(path):
    """Return the addon folder (holding ``__manifest__.py``) around ``path``."""
    path = Path(path).resolve()
    for folder in (path, *path.parents):
        if folder == ROOT or ROOT not in folder.parents:
            return None
        if (folder / "__manifest__.py").is_file():
            return folder
    return None


def pytest_ignore_collect(collection_path, config):
    if config.pluginmanager.has_plugin("odoo"):
        return None
    if collection_path.is_dir() and (collection_path / "__manifest__.py").is_file():
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _addon_folder(item.path) is not None:
            item.add_marker(pytest.mark.odoo)


def _is_odoo_test(item):
    """Tell whether ``item`` runs inside Odoo, without importing Odoo."""
    if "odoo" not in sys.modules:
        return False
    module = getattr(item, "module", None)
    if module is not None and module.__name__.startswith("odoo.addons."):
        return True
    common = sys.modules.get("odoo.tests.common")
    base_case = getattr(common, "BaseCase", None)
    instance = getattr(item, "instance", None)
    return base_case is not None and isinstance(instance, base_case)


class _ErrorRecords(logging.Handler):
    """Keep every record at ERROR or above that reaches the handler."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_odoo_errors(request):
    if not _is_odoo_test(request.node):
        yield
        return
    handler = _ErrorRecords()
    odoo_logger = logging.getLogger("odoo")
    odoo_logger.addHandler(handler)
    try:
        yield
    finally:
        odoo_logger.removeHandler(handler)
    if handler.records:
        messages = "\n".join(handler.format(record) for record in handler.records)
        sys.stderr.write(
            f"\nOdoo logged errors during {request.node.nodeid}:\n{messages}\n"
        )
        pytest.fail(
            f"Odoo logged {len(handler.records)} error(s) during the test "
            f"(silence expected ones with odoo.tools.mute_logger):\n{messages}",
            pytrace=False,
        )


# Why Odoo skips a browser test: no browser, or no way to drive it.
_BROWSER_SKIPS = ("Chrome", "websocket-client")
_TOURS = {"ran": 0, "skipped": 0}


def _is_tour(item):
    return "tour" in item.name or "tours" in Path(str(item.path)).name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not _is_tour(item):
        return
    if report.skipped:
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else "")
        _TOURS["skipped"] += 1
        if os.environ.get("CI") == "true" and any(s in reason for s in _BROWSER_SKIPS):
            report.outcome = "failed"
            report.longrepr = (
                f"Browser tour skipped ({reason}): on CI a tour must run; install "
                "Debian's chromium package (and websocket-client, in "
                "setup/requirements.txt)."
            )
    elif report.passed or report.failed:
        _TOURS["ran"] += 1


def pytest_terminal_summary(terminalreporter):
    if _TOURS["ran"] or _TOURS["skipped"]:
        terminalreporter.write_line(
            f"browser tours: {_TOURS['ran']} ran, {_TOURS['skipped']} skipped"
        )
