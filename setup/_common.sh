# shellcheck shell=bash
# Shared by setup/run and setup/test (sourced, never executed).
#
# - renewal_find_odoo      locates an Odoo 18: $ODOO_PATH, a python3 that imports
#                          odoo, the `odoo` command, the cached official source,
#                          and, when allowed, a fresh download of that source.
# - renewal_check_postgres asks pg_isready (PGHOST/PGPORT honoured).
# - renewal_plan_venv /    the tool venv outside the repository, keyed by a hash
#   renewal_ensure_venv    of setup/requirements.txt and the Odoo location.
# - renewal_write_odoo_conf an Odoo configuration for the repository's addons.

RENEWAL_ROOT="$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck disable=SC2034  # used by setup/run and setup/test
RENEWAL_ADDONS=(renewal_reminder renewal_reminder_sms renewal_reminder_dashboard)
RENEWAL_CACHE="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/renewal-reminder"
RENEWAL_LOGS="$RENEWAL_CACHE/logs"
RENEWAL_REQUIREMENTS="$RENEWAL_ROOT/setup/requirements.txt"
RENEWAL_ODOO_SOURCE_URL="${RENEWAL_ODOO_SOURCE_URL:-https://github.com/odoo/odoo.git}"
RENEWAL_ODOO_CACHED_SRC="$RENEWAL_CACHE/odoo-18.0"

# Filled by renewal_find_odoo.
ODOO_SRC=""          # directory holding the `odoo` package (odoo/release.py)
ODOO_VERSION=""      # "18.0"
ODOO_PY=""           # interpreter whose environment has Odoo and its dependencies
ODOO_SITE_DIRS=()    # that interpreter's site-packages
ODOO_FOUND_BY=""     # how it was found, for the reports
ODOO_NEEDS_REQUIREMENTS=0  # 1 for a bare source tree: its requirements go in the venv
ODOO_MISSING=""      # why nothing was found
ODOO_FETCH_FAILED="" # set when a download was tried and failed
PROBE_REASON=""      # why the last interpreter probed did not do

# Filled by renewal_check_postgres.
PG_WHERE=""
PG_PROBLEM=""

# Filled by renewal_plan_venv.
VENV_DIR=""
VENV_HASH=""
VENV_BASE_PY=""
VENV_PY=""

renewal_say() { printf '%s\n' "$*"; }

renewal_die() {
    local code="$1"
    shift
    printf '%s\n' "$*" >&2
    exit "$code"
}

# Options shared by both commands: --check (or RENEWAL_CHECK_ONLY=1), and
# everything after `--` for the program the command runs.
case "${RENEWAL_CHECK_ONLY:-0}" in
    1 | true | yes) RENEWAL_CHECK_ONLY=1 ;;
    *) RENEWAL_CHECK_ONLY=0 ;;
esac
RENEWAL_EXTRA_ARGS=()
renewal_parse_args() {
    local usage="$1"
    shift
    while (($#)); do
        case "$1" in
            --check) RENEWAL_CHECK_ONLY=1 ;;
            -h | --help)
                renewal_say "$usage"
                exit 0
                ;;
            --)
                shift
                RENEWAL_EXTRA_ARGS+=("$@")
                break
                ;;
            *) renewal_die 2 "Unknown argument '$1': $usage" ;;
        esac
        shift
    done
}

# ---------------------------------------------------------------- discovery

# Prints the "MAJOR.MINOR" series that <dir>/odoo/release.py declares.
_renewal_release_series() {
    local file="$1/odoo/release.py" line
    [[ -f "$file" ]] || return 1
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ ^version_info[[:space:]]*=[[:space:]]*\(([0-9]+),[[:space:]]*([0-9]+) ]]; then
            printf '%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
            return 0
        fi
    done <"$file"
    return 1
}

# Asks an interpreter whether it imports Odoo. Optional second argument: a
# directory put first on its path (a source tree whose odoo-bin it runs).
# Prints: series, source dir, interpreter, then its site-packages, one a line.
_RENEWAL_PROBE='
import os, site, sys, sysconfig
if len(sys.argv) > 1 and sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import odoo.release
print("%d.%d" % tuple(odoo.release.version_info[:2]))
print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))
print(sys.executable)
paths = sysconfig.get_paths()
dirs = [paths["purelib"], paths["platlib"]]
try:
    dirs += site.getsitepackages()
except AttributeError:
    pass
seen = set()
for d in dirs:
    if d not in seen and os.path.isdir(d):
        seen.add(d)
        print(d)
'

_renewal_probe_interpreter() {
    local py="$1" extra="${2:-}" out
    local -a lines
    # From / so that a directory called `odoo` in the caller's cwd is not taken.
    PROBE_REASON="cannot import odoo"
    out="$(cd / && "$py" -c "$_RENEWAL_PROBE" "$extra" </dev/null 2>/dev/null)" || return 1
    mapfile -t lines <<<"$out"
    ((${#lines[@]} >= 3)) || return 1
    if [[ "${lines[0]}" != "18.0" ]]; then
        PROBE_REASON="has Odoo ${lines[0]}, not 18.0"
        return 1
    fi
    ODOO_VERSION="${lines[0]}"
    ODOO_SRC="${lines[1]}"
    ODOO_PY="${lines[2]}"
    ODOO_SITE_DIRS=("${lines[@]:3}")
    ODOO_NEEDS_REQUIREMENTS=0
    return 0
}

_renewal_use_source_tree() {
    ODOO_SRC="$1"
    ODOO_VERSION="18.0"
    ODOO_PY=""
    ODOO_SITE_DIRS=()
    ODOO_NEEDS_REQUIREMENTS=1
    ODOO_FOUND_BY="$2"
}

# The interpreter named by a script's shebang ("#!/usr/bin/env python3" too).
_renewal_shebang_interpreter() {
    local script="$1" first=""
    local -a words
    IFS= read -r first <"$script" 2>/dev/null || [[ -n "$first" ]] || return 1
    [[ "$first" == '#!'* ]] || return 1
    read -r -a words <<<"${first#\#!}"
    ((${#words[@]})) || return 1
    if [[ "${words[0]##*/}" == env ]]; then
        words=("${words[@]:1}")
        while ((${#words[@]})) && [[ "${words[0]}" == -* || "${words[0]}" == *=* ]]; do
            words=("${words[@]:1}")
        done
        ((${#words[@]})) || return 1
        command -v -- "${words[0]}"
        return
    fi
    printf '%s\n' "${words[0]}"
}

_renewal_realpath() {
    if command -v readlink >/dev/null 2>&1; then
        readlink -f -- "$1" 2>/dev/null && return 0
    fi
    printf '%s\n' "$1"
}

# Downloads Odoo's official 18.0 source, as Odoo's documentation describes.
_renewal_fetch_odoo() {
    local tmp="$RENEWAL_ODOO_CACHED_SRC.partial.$$" log="$RENEWAL_LOGS/odoo-clone.log"
    if ! command -v git >/dev/null 2>&1; then
        ODOO_FETCH_FAILED="git is not installed, so Odoo's 18.0 source could not be downloaded"
        return 1
    fi
    mkdir -p "$RENEWAL_LOGS"
    rm -rf "$tmp"
    renewal_say "Downloading Odoo's official 18.0 source from $RENEWAL_ODOO_SOURCE_URL into $RENEWAL_ODOO_CACHED_SRC (once)..." >&2
    if GIT_TERMINAL_PROMPT=0 git clone --quiet --depth 1 --branch 18.0 \
        "$RENEWAL_ODOO_SOURCE_URL" "$tmp" </dev/null >"$log" 2>&1 &&
        [[ "$(_renewal_release_series "$tmp" || true)" == "18.0" ]]; then
        rm -rf "$RENEWAL_ODOO_CACHED_SRC"
        mv "$tmp" "$RENEWAL_ODOO_CACHED_SRC"
        return 0
    fi
    rm -rf "$tmp"
    ODOO_FETCH_FAILED="downloading Odoo's 18.0 source from $RENEWAL_ODOO_SOURCE_URL failed, see $log"
    return 1
}

# renewal_find_odoo ALLOW_DOWNLOAD
# Returns 0 when an Odoo 18 was found, 1 otherwise (ODOO_MISSING says why).
# An invalid ODOO_PATH stops the command: it is an explicit request.
renewal_find_odoo() {
    local allow_download="${1:-0}" series cmd interp real dir
    ODOO_MISSING=""
    ODOO_FETCH_FAILED=""
    PROBE_REASON=""

    # (a) ODOO_PATH: an Odoo source tree.
    if [[ -n "${ODOO_PATH:-}" ]]; then
        if [[ ! -f "$ODOO_PATH/odoo/release.py" ]]; then
            renewal_die 2 "ODOO_PATH is set to $ODOO_PATH, which is not an Odoo source tree (it has no odoo/release.py): point it at an Odoo 18.0 source tree or unset it."
        fi
        series="$(_renewal_release_series "$ODOO_PATH" || true)"
        if [[ "$series" != "18.0" ]]; then
            renewal_die 2 "ODOO_PATH is set to $ODOO_PATH, which holds Odoo ${series:-of an unknown version}, not 18.0: point it at an Odoo 18.0 source tree or unset it."
        fi
        _renewal_use_source_tree "$(cd "$ODOO_PATH" && pwd -P)" "ODOO_PATH"
        return 0
    fi

    # (b) a python3 on PATH that imports odoo.
    if cmd="$(command -v python3 2>/dev/null)"; then
        if _renewal_probe_interpreter "$cmd"; then
            ODOO_FOUND_BY="python3 on PATH ($ODOO_PY)"
            return 0
        fi
        ODOO_MISSING="ODOO_PATH unset, python3 $PROBE_REASON"
    else
        ODOO_MISSING="ODOO_PATH unset, no python3 on PATH"
    fi

    # (c) an `odoo` command on PATH: ask its interpreter.
    if cmd="$(command -v odoo 2>/dev/null)"; then
        PROBE_REASON=""
        if interp="$(_renewal_shebang_interpreter "$cmd")" && [[ "${interp##*/}" == python* ]]; then
            real="$(_renewal_realpath "$cmd")"
            dir="$(dirname -- "$real")"
            if _renewal_probe_interpreter "$interp" ||
                { [[ -f "$dir/odoo/release.py" ]] && _renewal_probe_interpreter "$interp" "$dir"; }; then
                ODOO_FOUND_BY="the odoo command ($cmd, run by $ODOO_PY)"
                return 0
            fi
        fi
        ODOO_MISSING+=", the odoo command at $cmd ${PROBE_REASON:-is not run by a Python interpreter}"
    else
        ODOO_MISSING+=", no odoo command on PATH"
    fi

    # (d) the official source downloaded earlier.
    if [[ "$(_renewal_release_series "$RENEWAL_ODOO_CACHED_SRC" || true)" == "18.0" ]]; then
        _renewal_use_source_tree "$RENEWAL_ODOO_CACHED_SRC" "Odoo's official 18.0 source, downloaded earlier"
        return 0
    fi
    ODOO_MISSING+=", no downloaded source in $RENEWAL_ODOO_CACHED_SRC"

    # (e) download it.
    if [[ "$allow_download" == 1 ]]; then
        if _renewal_fetch_odoo; then
            _renewal_use_source_tree "$RENEWAL_ODOO_CACHED_SRC" "Odoo's official 18.0 source, downloaded now"
            return 0
        fi
        ODOO_MISSING+=", $ODOO_FETCH_FAILED"
    fi
    return 1
}

# The one sentence setup/run stops with when renewal_find_odoo failed.
renewal_odoo_missing_sentence() {
    local sentence="Odoo 18 was not found: install it so that \`python3 -c 'import odoo'\` works or the \`odoo\` command is on PATH, or set ODOO_PATH to an Odoo 18.0 source tree"
    if [[ -n "$ODOO_FETCH_FAILED" ]]; then
        sentence+=" ($ODOO_FETCH_FAILED)"
    fi
    printf '%s.\n' "$sentence"
}

# ---------------------------------------------------------------- PostgreSQL

renewal_check_postgres() {
    local port="${PGPORT:-5432}"
    if [[ -z "${PGHOST:-}" ]]; then
        PG_WHERE="the local unix socket, port $port"
    elif [[ "$PGHOST" == /* ]]; then
        PG_WHERE="the unix socket in $PGHOST, port $port"
    else
        PG_WHERE="$PGHOST:$port"
    fi
    PG_PROBLEM=""
    if ! command -v pg_isready >/dev/null 2>&1; then
        PG_PROBLEM="pg_isready is not on PATH; install PostgreSQL's client tools, Debian: postgresql-client"
        return 1
    fi
    if ! pg_isready -q -t 5 </dev/null >/dev/null 2>&1; then
        PG_PROBLEM="pg_isready got no answer"
        return 1
    fi
    return 0
}

renewal_postgres_missing_sentence() {
    local sentence="PostgreSQL is not answering on $PG_WHERE: start it (Debian: \`pg_ctlcluster <version> main start\`, elsewhere \`systemctl start postgresql\`) or set PGHOST/PGPORT"
    if [[ "$PG_PROBLEM" == pg_isready\ is\ not* ]]; then
        sentence+=" ($PG_PROBLEM)"
    fi
    printf '%s.\n' "$sentence"
}

# ---------------------------------------------------------------- the venv

_renewal_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | { read -r sum _ && printf '%s\n' "$sum"; }
    else
        "$VENV_BASE_PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
    fi
}

# Decides the venv's interpreter, hash and place; builds nothing.
renewal_plan_venv() {
    local key odoo_requirements=""
    if [[ -n "$ODOO_PY" ]]; then
        VENV_BASE_PY="$ODOO_PY"
    elif VENV_BASE_PY="$(command -v python3 2>/dev/null)"; then
        :
    else
        renewal_die 2 "Python 3 was not found: install Python 3.11 so that the python3 command is on PATH."
    fi
    if ((ODOO_NEEDS_REQUIREMENTS)) && [[ -f "$ODOO_SRC/requirements.txt" ]]; then
        odoo_requirements="$(<"$ODOO_SRC/requirements.txt")"
    fi
    key="$(<"$RENEWAL_REQUIREMENTS")"$'\n'"odoo=$ODOO_SRC"$'\n'"python=$VENV_BASE_PY"$'\n'"sites=${ODOO_SITE_DIRS[*]:-}"$'\n'"$odoo_requirements"
    VENV_HASH="$(printf '%s' "$key" | _renewal_sha256)"
    VENV_DIR="${RENEWAL_VENV:-$RENEWAL_CACHE/venv-${VENV_HASH:0:12}}"
    VENV_PY="$VENV_DIR/bin/python"
}

renewal_venv_ready() {
    local marker="$VENV_DIR/.renewal-reminder-ready"
    [[ -x "$VENV_PY" && -f "$marker" && "$(<"$marker")" == "$VENV_HASH" ]]
}

_renewal_pip() {
    local log="$1"
    shift
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV_PY" -m pip install "$@" </dev/null >>"$log" 2>&1
}

# Builds the venv once; later calls only compare the marker.
renewal_ensure_venv() {
    local log="$RENEWAL_LOGS/venv-${VENV_HASH:0:12}.log" site constraints
    renewal_venv_ready && return 0
    mkdir -p "$RENEWAL_LOGS"
    : >"$log"
    renewal_say "Preparing the tool venv $VENV_DIR (once; log: $log)..."
    rm -f "$VENV_DIR/.renewal-reminder-ready"
    if [[ ! -x "$VENV_PY" ]]; then
        "$VENV_BASE_PY" -m venv "$VENV_DIR" </dev/null >>"$log" 2>&1 ||
            renewal_die 2 "Creating the venv $VENV_DIR with $VENV_BASE_PY failed (see $log): install Python's venv module (Debian: python3-venv) or set RENEWAL_VENV to a writable place."
    fi
    site="$("$VENV_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    # An earlier .pth would make pip see the other environment's packages.
    rm -f "$site/renewal_reminder_odoo.pth"

    if ((ODOO_NEEDS_REQUIREMENTS)) && [[ -f "$ODOO_SRC/requirements.txt" ]]; then
        # Some of Odoo 18's pinned requirements still build with the
        # setuptools API that setuptools 70 removed.
        constraints="$RENEWAL_CACHE/build-constraints.txt"
        printf 'setuptools<70\n' >"$constraints"
        renewal_say "Installing Odoo's requirements from $ODOO_SRC/requirements.txt into the venv..."
        PIP_CONSTRAINT="$constraints" _renewal_pip "$log" -r "$ODOO_SRC/requirements.txt" ||
            renewal_die 2 "Installing Odoo's requirements into $VENV_DIR failed (see $log): on Debian, install libpq-dev libldap2-dev libsasl2-dev (and python3-dev, build-essential) first."
    fi

    _renewal_pip "$log" --no-deps -r "$RENEWAL_REQUIREMENTS" ||
        renewal_die 2 "Installing setup/requirements.txt into $VENV_DIR failed (see $log): check that PyPI can be reached."

    # Odoo's own environment (or source tree) becomes visible to the venv.
    "$VENV_PY" - "$site/renewal_reminder_odoo.pth" "$ODOO_SRC" "${ODOO_SITE_DIRS[@]}" <<'EOF' ||
import os
import sys

target, src, *sites = sys.argv[1:]
lines = ["import site; site.addsitedir(%r)\n" % d for d in sites]
if src and src not in sites:
    lines.append(src + "\n")
if lines:
    with open(target, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
EOF
        renewal_die 2 "Writing the .pth file into $site failed (see $log)."

    if [[ -n "$ODOO_SRC" ]] && ! (cd / && "$VENV_PY" -c 'import odoo.release' </dev/null >>"$log" 2>&1); then
        renewal_die 2 "The venv $VENV_DIR cannot import Odoo from $ODOO_SRC (see $log): remove the venv and run the command again."
    fi
    printf '%s\n' "$VENV_HASH" >"$VENV_DIR/.renewal-reminder-ready"
}

# ---------------------------------------------------------------- Odoo config

# renewal_write_odoo_conf FILE [DBFILTER]
renewal_write_odoo_conf() {
    local file="$1" dbfilter="${2:-}" path
    local -a paths=("$RENEWAL_ROOT")
    for path in "$ODOO_SRC/odoo/addons" "$ODOO_SRC/addons"; do
        [[ -d "$path" ]] && paths+=("$path")
    done
    mkdir -p "$(dirname -- "$file")" "$RENEWAL_CACHE/data"
    {
        printf '[options]\n'
        printf 'addons_path = %s\n' "$(
            IFS=,
            printf '%s' "${paths[*]}"
        )"
        printf 'data_dir = %s\n' "$RENEWAL_CACHE/data"
        [[ -n "${PGHOST:-}" ]] && printf 'db_host = %s\n' "$PGHOST"
        [[ -n "${PGPORT:-}" ]] && printf 'db_port = %s\n' "$PGPORT"
        [[ -n "$dbfilter" ]] && printf 'dbfilter = %s\n' "$dbfilter"
        true
    } >"$file"
}

# ---------------------------------------------------------------- reports

renewal_print_found() {
    local odoo_ok="$1" pg_ok="$2"
    if ((odoo_ok)); then
        renewal_say "Odoo:       $ODOO_VERSION at $ODOO_SRC, found through $ODOO_FOUND_BY"
    else
        renewal_say "Odoo:       not found"
    fi
    if ((pg_ok)); then
        renewal_say "PostgreSQL: answering on $PG_WHERE"
    elif [[ -n "$PG_WHERE" ]]; then
        renewal_say "PostgreSQL: not answering on $PG_WHERE ($PG_PROBLEM)"
    else
        renewal_say "PostgreSQL: not checked"
    fi
    if renewal_venv_ready; then
        renewal_say "Venv:       $VENV_DIR (ready)"
    else
        renewal_say "Venv:       $VENV_DIR (built on the first real run)"
    fi
}
