"""Odoo-free checks of the three addons' files.

Manifests, the files they load, XML well-formedness and Odoo 18 view idioms,
translations, access rights and the files every addon must ship. Each test
lists every problem it finds, with the file it concerns.
"""

import ast
import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("renewal_reminder", "renewal_reminder_sms", "renewal_reminder_dashboard")
AUTHOR = "Renewal Reminders"
WEBSITE = "https://github.com/renewal-reminders/renewal-reminders"
REQUIRED_KEYS = (
    "name",
    "version",
    "license",
    "author",
    "website",
    "depends",
    "development_status",
)
LICENSES = {
    "AGPL-3",
    "GPL-2",
    "GPL-2 or any later version",
    "GPL-3",
    "GPL-3 or any later version",
    "LGPL-3",
}
DEVELOPMENT_STATUSES = {"Alpha", "Beta", "Production/Stable", "Mature"}
VERSION_RE = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
XMLID_RE = re.compile(r"^([a-z0-9_]+\.)?[A-Za-z0-9_]+$")
MODEL_XMLID_RE = re.compile(r"^([a-z0-9_]+\.)?model_[a-z0-9_]+$")
ACCESS_HEADER = [
    "id",
    "name",
    "model_id:id",
    "group_id:id",
    "perm_read",
    "perm_write",
    "perm_create",
    "perm_unlink",
]
# Folders whose files are not loaded through the manifest's data/demo lists.
NOT_DATA_FOLDERS = {"static", "tests", "i18n", "readme", "migrations", "upgrades"}

addon_params = pytest.mark.parametrize("addon", ADDONS)


def _rel(path):
    return path.relative_to(ROOT).as_posix()


def _manifest(addon):
    path = ROOT / addon / "__manifest__.py"
    if not path.is_file():
        pytest.fail(f"{_rel(path)} is missing")
    try:
        return ast.literal_eval(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError) as exc:
        pytest.fail(f"{_rel(path)} is not a literal dict: {exc}")


def _addon_files(addon, suffix):
    base = ROOT / addon
    return sorted(
        path
        for path in base.rglob(f"*{suffix}")
        if path.is_file() and "__pycache__" not in path.parts
    )


def _parse_xml(path):
    """Parse with lxml when it is there, else with the standard library."""
    try:
        from lxml import etree
    except ImportError:
        from xml.etree import ElementTree as etree
    return etree.parse(str(path))


def _report(problems):
    assert not problems, "\n".join(problems)


@addon_params
def test_manifest(addon):
    manifest = _manifest(addon)
    where = f"{addon}/__manifest__.py"
    problems = [
        f"{where}: no {key!r} key" for key in REQUIRED_KEYS if key not in manifest
    ]
    version = manifest.get("version", "")
    if "version" in manifest and not VERSION_RE.match(str(version)):
        problems.append(f"{where}: version {version!r} is not 18.0.x.y.z")
    if "license" in manifest and manifest["license"] not in LICENSES:
        problems.append(f"{where}: license {manifest['license']!r} is not allowed")
    if "author" in manifest and AUTHOR not in str(manifest["author"]):
        problems.append(
            f"{where}: author {manifest['author']!r} does not name {AUTHOR}"
        )
    if "website" in manifest and manifest["website"] != WEBSITE:
        problems.append(f"{where}: website {manifest['website']!r} is not {WEBSITE}")
    depends = manifest.get("depends")
    if "depends" in manifest and (not isinstance(depends, list) or not depends):
        problems.append(f"{where}: depends must be a non-empty list")
    if "installable" in manifest and manifest["installable"] is not True:
        problems.append(f"{where}: installable must be True")
    status = manifest.get("development_status")
    if "development_status" in manifest and status not in DEVELOPMENT_STATUSES:
        problems.append(f"{where}: development_status {status!r} is not allowed")
    _report(problems)


def test_addons_depend_on_the_core():
    core = _manifest("renewal_reminder")
    problems = []
    if "contract" not in core.get("depends", []):
        problems.append(
            "renewal_reminder/__manifest__.py: depends does not name 'contract'"
        )
    for addon in ("renewal_reminder_sms", "renewal_reminder_dashboard"):
        if "renewal_reminder" not in _manifest(addon).get("depends", []):
            problems.append(
                f"{addon}/__manifest__.py: depends does not name 'renewal_reminder'"
            )
    if "sms" not in _manifest("renewal_reminder_sms").get("depends", []):
        problems.append(
            "renewal_reminder_sms/__manifest__.py: depends does not name 'sms'"
        )
    _report(problems)


# Add-ons that only join two others and bring nothing of their own to
# choose: Odoo installs them when both sides are there. None so far: the SMS
# channel and the dashboard are each a choice a company makes.
GLUE_ADDONS = frozenset()


@addon_params
def test_only_glue_installs_itself(addon):
    """An add-on a company chooses waits to be installed; only glue between
    two add-ons installs itself."""
    manifest = _manifest(addon)
    problems = []
    if manifest.get("auto_install") and addon not in GLUE_ADDONS:
        problems.append(
            f"{addon}/__manifest__.py: auto_install is set, but {addon} is a "
            "choice to install, not glue"
        )
    _report(problems)


@addon_params
def test_manifest_files_exist_and_are_loaded(addon):
    manifest = _manifest(addon)
    base = ROOT / addon
    problems = []
    listed = set()
    for key in ("data", "demo"):
        entries = manifest.get(key, [])
        for entry in entries:
            listed.add(entry)
            if not (base / entry).is_file():
                problems.append(f"{addon}/{entry}: listed in {key!r} but missing")
        duplicates = {entry for entry in entries if entries.count(entry) > 1}
        for entry in sorted(duplicates):
            problems.append(f"{addon}/{entry}: listed more than once in {key!r}")
    for path in _addon_files(addon, ".xml") + _addon_files(addon, ".csv"):
        relative = path.relative_to(base)
        if relative.parts[0] in NOT_DATA_FOLDERS:
            continue
        if relative.as_posix() not in listed:
            problems.append(f"{_rel(path)}: not loaded by the manifest (data or demo)")
    _report(problems)


@addon_params
def test_xml_files_parse_and_use_odoo_18_idioms(addon):
    problems = []
    for path in _addon_files(addon, ".xml"):
        where = _rel(path)
        try:
            tree = _parse_xml(path)
        except (SyntaxError, OSError) as exc:  # lxml and ElementTree alike
            problems.append(f"{where}: does not parse: {exc}")
            continue
        for element in tree.iter():
            tag = element.tag
            if not isinstance(tag, str):  # comments, processing instructions
                continue
            line = getattr(element, "sourceline", None)
            at = f"{where}:{line}" if line else where
            if tag == "tree":
                problems.append(f"{at}: <tree> view (Odoo 18 uses <list>)")
            for attribute in ("attrs", "states"):
                if attribute in element.attrib:
                    problems.append(
                        f"{at}: {attribute}= attribute (Odoo 18 uses "
                        "invisible/readonly/required expressions)"
                    )
            if any("kanban-box" in value for value in element.attrib.values()):
                problems.append(
                    f'{at}: kanban-box template (Odoo 18 uses t-name="card")'
                )
            if (
                tag == "field"
                and element.get("name") == "view_mode"
                and re.search(r"\btree\b", element.text or "")
            ):
                problems.append(f"{at}: view_mode names 'tree' (Odoo 18 uses 'list')")
    _report(problems)


def _check_po_minimal(text):
    """Return the syntax problems of a PO file, without polib.

    Every msgid must be followed by its msgstr (or msgstr[n] for plurals),
    every string must be a well-formed quoted string, and (msgctxt, msgid)
    pairs must be unique.
    """
    problems = []
    quoted = re.compile(r'^"(?:[^"\\]|\\.)*"$')
    keyword = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)$")
    seen = set()
    context = msgid = None
    expect_msgstr = False
    last = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if last is None or not quoted.match(line):
                problems.append(
                    f"line {number}: stray or malformed string {line[:40]!r}"
                )
            elif last == "msgid":
                msgid += line
            elif last == "msgctxt":
                context += line
            continue
        match = keyword.match(line)
        if not match or not quoted.match(match.group(2)):
            problems.append(f"line {number}: not a PO statement: {line[:60]!r}")
            last = None
            continue
        word, value = match.groups()
        if word in ("msgctxt", "msgid") and expect_msgstr:
            problems.append(f"line {number}: the previous msgid has no msgstr")
            expect_msgstr = False
        if word == "msgctxt":
            context = value
        elif word == "msgid":
            msgid = value
            expect_msgstr = True
        elif word.startswith("msgstr"):
            if not expect_msgstr and last not in ("msgstr", "msgid_plural"):
                problems.append(f"line {number}: msgstr without a msgid")
            if expect_msgstr:
                key = (context, msgid)
                if key in seen and msgid != '""':
                    problems.append(
                        f"line {number}: msgid {msgid[:40]} is defined twice"
                    )
                seen.add(key)
                context = None
            expect_msgstr = False
        last = word.split("[")[0] if word.startswith("msgstr") else word
    if expect_msgstr:
        problems.append("end of file: the last msgid has no msgstr")
    return problems


@addon_params
def test_translation_files_parse(addon):
    try:
        import polib
    except ImportError:
        polib = None
    problems = []
    for path in _addon_files(addon, ".po") + _addon_files(addon, ".pot"):
        where = _rel(path)
        if polib is not None:
            try:
                polib.pofile(str(path), check_for_duplicates=True)
            except (OSError, ValueError) as exc:
                problems.append(f"{where}: {exc}")
        else:
            text = path.read_text(encoding="utf-8")
            problems.extend(
                f"{where}: {problem}" for problem in _check_po_minimal(text)
            )
    _report(problems)


@addon_params
def test_required_files_exist(addon):
    required = (
        f"{addon}/readme/DESCRIPTION.md",
        f"{addon}/i18n/{addon}.pot",
        f"{addon}/i18n/zh_CN.po",
    )
    missing = [path for path in required if not (ROOT / path).is_file()]
    assert not missing, "missing: " + ", ".join(missing)


@addon_params
def test_access_rights_files(addon):
    problems = []
    for path in _addon_files(addon, "ir.model.access.csv"):
        where = _rel(path)
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        if not rows or rows[0] != ACCESS_HEADER:
            problems.append(f"{where}: header is not {','.join(ACCESS_HEADER)}")
            continue
        ids = set()
        for number, row in enumerate(rows[1:], start=2):
            if not row:
                continue
            if len(row) != len(ACCESS_HEADER):
                problems.append(f"{where}:{number}: {len(row)} columns instead of 8")
                continue
            if not row[0] or row[0] in ids:
                problems.append(f"{where}:{number}: empty or repeated id {row[0]!r}")
            ids.add(row[0])
            if not MODEL_XMLID_RE.match(row[2]):
                problems.append(
                    f"{where}:{number}: model_id {row[2]!r} is not a model xml id"
                )
            if row[3] and not XMLID_RE.match(row[3]):
                problems.append(
                    f"{where}:{number}: group_id {row[3]!r} is not an xml id"
                )
            if any(flag not in ("0", "1") for flag in row[4:]):
                problems.append(f"{where}:{number}: permissions must be 0 or 1")
    _report(problems)


def test_minimal_po_checker_reports_problems():
    good = 'msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n\nmsgid "Hello"\nmsgstr "你好"\n'
    assert _check_po_minimal(good) == []
    missing = 'msgid "Hello"\n\nmsgid "World"\nmsgstr ""\n'
    assert any("no msgstr" in problem for problem in _check_po_minimal(missing))
    duplicated = 'msgid "A"\nmsgstr ""\n\nmsgid "A"\nmsgstr ""\n'
    assert any("twice" in problem for problem in _check_po_minimal(duplicated))
