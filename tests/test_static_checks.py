"""Static checks of the three addons: the blocking pylint-odoo configuration."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("renewal_reminder", "renewal_reminder_sms", "renewal_reminder_dashboard")

pytestmark = pytest.mark.static


def test_pylint_mandatory_checks_pass():
    present = [
        addon for addon in ADDONS if (ROOT / addon / "__manifest__.py").is_file()
    ]
    missing = sorted(set(ADDONS) - set(present))
    assert not missing, f"addons without a __manifest__.py: {', '.join(missing)}"
    result = subprocess.run(
        [sys.executable, "-m", "pylint", "--rcfile=.pylintrc-mandatory", *present],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        sys.stdout.write(output)
    assert result.returncode == 0, (
        f"pylint --rcfile=.pylintrc-mandatory exited with {result.returncode} "
        "(its output is in the captured stdout below)"
    )
