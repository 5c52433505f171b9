# shellcheck shell=bash
# Shared by setup/run and setup/test (sourced, never executed).
#
# - renewal_find_odoo      locates an Odoo 18: $ODOO_PATH, a python3 that imports
#                          odoo, the `odoo` command, the cached official source,
#                          and, when allowed, a fresh download of that source.
# - renewal_check_postgres asks pg_isready (PGHOST/PGPORT honoured).
# - renewal_plan_venv /    the tool venv outside the repository, keyed by a hash
#   renewal_ensure_venv    of setup/requirements.txt, the Odoo location and
#                          Odoo's requirements as filtered by
#                          renewal_filter_odoo_requirements; built under a
#                          lock, rebuilt when it was left half-built.
# - renewal_write_odoo_conf an Odoo configuration for the repository's addons;
#   renewal_run_conf_path  the file of its own that each setup/run uses.
# - renewal_find_browser / the browser Odoo's tours drive and the CJK fonts of
#   renewal_ensure_browser the Chinese screens; installed with apt-get when
#                          missing, as root (setup/test only).

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

# ---------------------------------------------------------------- locks

# One lock at a time, shared by every setup/run and setup/test of this user:
# util-linux's flock on FILE (released by the kernel however the holder ends),
# or, without flock, the directory FILE.d holding the holder's pid (taken over
# when that process is gone).
RENEWAL_LOCK_FD=""
RENEWAL_LOCK_DIR=""

# _renewal_lock FILE WHAT: waits until no other run holds FILE, then takes it.
_renewal_lock() {
    local file="$1" what="$2" pid waiting=0
    mkdir -p "$(dirname -- "$file")" 2>/dev/null ||
        renewal_die 2 "The lock $file cannot be created: its folder is not writable."
    if command -v flock >/dev/null 2>&1; then
        exec {RENEWAL_LOCK_FD}>>"$file" ||
            renewal_die 2 "The lock $file cannot be opened for writing: check its permissions."
        if ! flock -n "$RENEWAL_LOCK_FD"; then
            renewal_say "Waiting for another setup/run or setup/test to finish $what (lock: $file)..." >&2
            flock "$RENEWAL_LOCK_FD" ||
                renewal_die 2 "Taking the lock $file failed while waiting for another run to finish $what."
        fi
        return 0
    fi
    RENEWAL_LOCK_DIR="$file.d"
    until mkdir "$RENEWAL_LOCK_DIR" 2>/dev/null; do
        pid="$(cat "$RENEWAL_LOCK_DIR/pid" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null &&
            [[ "$(cat "$RENEWAL_LOCK_DIR/pid" 2>/dev/null || true)" == "$pid" ]]; then
            # Its holder ended without releasing it.
            rm -rf "$RENEWAL_LOCK_DIR"
            continue
        fi
        if ((!waiting)); then
            renewal_say "Waiting for another setup/run or setup/test to finish $what (lock: $RENEWAL_LOCK_DIR)..." >&2
            waiting=1
        fi
        sleep 1
    done
    printf '%s\n' "$$" >"$RENEWAL_LOCK_DIR/pid"
    # Released however this command ends (renewal_die included).
    trap _renewal_unlock EXIT
}

_renewal_unlock() {
    if [[ -n "$RENEWAL_LOCK_FD" ]]; then
        # Closing the descriptor releases the lock; children never keep it.
        exec {RENEWAL_LOCK_FD}>&-
        RENEWAL_LOCK_FD=""
    fi
    if [[ -n "$RENEWAL_LOCK_DIR" ]]; then
        rm -rf "$RENEWAL_LOCK_DIR"
        RENEWAL_LOCK_DIR=""
        trap - EXIT
    fi
}

# ---------------------------------------------------------------- failures

# _renewal_log_cause LOG: the cause of a failure, in one line, from the log of
# pip (or venv): its last error lines, not pip's generic closing words
# ("subprocess-exited-with-error", "See above for output"), prefixed with the
# package whose build printed them ("psycopg2==2.9.5: Error: pg_config
# executable not found."). Without an error line: the last lines of the log.
_renewal_log_cause() {
    local log="$1" cause=""
    if [[ -s "$log" ]]; then
        cause="$(awk '
            function clean(s) {
                sub(/\r$/, "", s)
                sub(/^[ \t]*((│|║|╰─>|×)[ \t]*)*/, "", s)
                sub(/[ \t]+$/, "", s)
                sub(/ \(from versions: [^)]*\)/, "", s)
                if (length(s) > 300) s = substr(s, 1, 297) "..."
                return s
            }
            {
                indented = ($0 ~ /^[ \t]/)
                line = clean($0)
                if (line == "") next
                if (line ~ /^(Collecting|Processing|Obtaining) /) {
                    split(line, w, " "); pkg = w[2]; next
                }
                if (line ~ /^(Building wheel for|Running setup\.py install for) /) {
                    split(line, w, " "); pkg = (w[1] == "Building") ? w[4] : w[5]; next
                }
                if (line ~ /subprocess-exited-with-error|metadata-generation-failed|legacy-install-failure|failed-wheel-build|Failed building wheel|Failed to build|Could not build wheels|See above|This error originates|This is an issue with|^hint:|^note:|^exit code:|Encountered error while|end of output\]|lines of output\]|Command errored out/) next
                if (line ~ /^WARNING: Retrying / && line ~ /[Cc]onnection|[Tt]imed? ?out|SSL|Proxy/) retry = line
                tail1 = tail2; tail2 = line
                if (line ~ /(^|[^A-Za-z0-9_-])(ERROR|[Ee]rror|fatal error)[: ]/ || line ~ /[A-Za-z]Error: / || line ~ /not created successfully|No module named/) {
                    c1 = c2; p1 = p2; c2 = line; p2 = indented ? pkg : ""
                }
            }
            END {
                if (c2 != "" && retry != "" && c2 ~ /No matching distribution/) {
                    # Nothing was found because the index could not be reached.
                    why = retry
                    if (match(retry, /(Failed to establish a new connection|Read timed out|Connection reset|Connection aborted|SSLError|ProxyError|Name or service not known|Temporary failure in name resolution)[^\047")]*/))
                        why = substr(retry, RSTART, RLENGTH)
                    out = c2 "; the package index did not answer: " why
                } else if (c2 != "") {
                    out = c2
                    if (c1 != "" && c1 != c2 && p1 == p2) out = c1 "; " c2
                    name = p2; sub(/[<>=!~;\[ ].*/, "", name)
                    if (p2 != "" && index(out, name) == 0) out = p2 ": " out
                } else if (tail2 != "") {
                    out = (tail1 != "") ? tail1 "; " tail2 : tail2
                }
                print out
            }
        ' "$log" 2>/dev/null || true)"
    fi
    printf '%s\n' "${cause:-it printed nothing}"
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
# Under a lock: a second run at the same time waits, then finds it there.
_renewal_fetch_odoo() {
    local tmp="$RENEWAL_ODOO_CACHED_SRC.partial.$$" log="$RENEWAL_LOGS/odoo-clone.log"
    if ! command -v git >/dev/null 2>&1; then
        ODOO_FETCH_FAILED="git is not installed, so Odoo's 18.0 source could not be downloaded"
        return 1
    fi
    mkdir -p "$RENEWAL_LOGS"
    _renewal_lock "$RENEWAL_ODOO_CACHED_SRC.lock" "downloading Odoo's 18.0 source"
    if [[ "$(_renewal_release_series "$RENEWAL_ODOO_CACHED_SRC" || true)" == "18.0" ]]; then
        _renewal_unlock
        return 0
    fi
    # Leftovers of downloads that were interrupted (the lock says none runs).
    rm -rf "$RENEWAL_ODOO_CACHED_SRC".partial.*
    renewal_say "Downloading Odoo's official 18.0 source from $RENEWAL_ODOO_SOURCE_URL into $RENEWAL_ODOO_CACHED_SRC (once)..." >&2
    if GIT_TERMINAL_PROMPT=0 git clone --quiet --depth 1 --branch 18.0 \
        "$RENEWAL_ODOO_SOURCE_URL" "$tmp" </dev/null >"$log" 2>&1 &&
        [[ "$(_renewal_release_series "$tmp" || true)" == "18.0" ]]; then
        rm -rf "$RENEWAL_ODOO_CACHED_SRC"
        mv "$tmp" "$RENEWAL_ODOO_CACHED_SRC"
        _renewal_unlock
        return 0
    fi
    rm -rf "$tmp"
    _renewal_unlock
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
        sha256sum | {
            local sum rest
            read -r sum rest && printf '%s\n' "$sum"
        }
    else
        "$VENV_BASE_PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
    fi
}

# renewal_filter_odoo_requirements FILE
# Prints Odoo's requirements.txt as the venv installs it, so that a machine
# with Python 3.11, its venv module, git and PostgreSQL needs no C compiler
# and no -dev package. Checked against Odoo 18.0's file with pip download
# --only-binary=:all: on CPython 3.11 (x86_64):
# - psycopg2 has no wheel at all: it becomes psycopg2-binary with the same
#   pins and markers (2.9.2, 2.9.5 and 2.9.9 have manylinux wheels for the
#   Python each line is for); it provides the same psycopg2 module.
# - python-ldap has no wheel and needs libldap2-dev/libsasl2-dev: it is left
#   out, only Odoo's auth_ldap addon imports it and this suite does not use it.
# - gevent, greenlet, lxml, reportlab, Pillow, MarkupSafe, psutil, libsass and
#   cryptography have cp311 (or abi3) manylinux wheels; the rest are pure
#   Python. cbor2 5.4.2 and rjsmin 1.2.0 come as source only but fall back to
#   pure Python without a compiler; ofxparse and vobject are pure-Python
#   sources. (On aarch64, psutil 5.9.4 and libsass 0.22.0 have no wheel and
#   still need a compiler and python3-dev.)
# Every other line, markers and comments included, is kept as it is.
renewal_filter_odoo_requirements() {
    local line lead name rest norm
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ ^([[:space:]]*)([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$ ]]; then
            lead="${BASH_REMATCH[1]}"
            name="${BASH_REMATCH[2]}"
            rest="${BASH_REMATCH[3]}"
            norm="${name,,}"
            norm="${norm//[._]/-}"
            case "$norm" in
                psycopg2)
                    [[ "$rest" =~ ^[[:space:]]*@ ]] || line="${lead}psycopg2-binary${rest}"
                    ;;
                python-ldap)
                    printf '# %s: left out, only the auth_ldap addon needs it\n' "$name"
                    continue
                    ;;
            esac
        fi
        printf '%s\n' "$line"
    done <"$1"
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
        odoo_requirements="$(renewal_filter_odoo_requirements "$ODOO_SRC/requirements.txt")"
    fi
    key="$(<"$RENEWAL_REQUIREMENTS")"$'\n'"odoo=$ODOO_SRC"$'\n'"python=$VENV_BASE_PY"$'\n'"sites=${ODOO_SITE_DIRS[*]:-}"$'\n'"$odoo_requirements"
    VENV_HASH="$(printf '%s' "$key" | _renewal_sha256)"
    VENV_DIR="${RENEWAL_VENV:-$RENEWAL_CACHE/venv-${VENV_HASH:0:12}}"
    VENV_PY="$VENV_DIR/bin/python"
}

# Ready: built to the end for this hash (the marker is written last) and its
# python still runs.
renewal_venv_ready() {
    local marker="$VENV_DIR/.renewal-reminder-ready"
    [[ -x "$VENV_PY" && -f "$marker" && "$(<"$marker")" == "$VENV_HASH" ]] &&
        (cd / && "$VENV_PY" -c '' </dev/null >/dev/null 2>&1)
}

# Why a venv that exists is not ready, for the report and the rebuild.
_renewal_venv_not_ready_reason() {
    local marker="$VENV_DIR/.renewal-reminder-ready"
    if [[ ! -f "$marker" ]]; then
        printf 'it was left half-built'
    elif [[ "$(<"$marker")" != "$VENV_HASH" ]]; then
        printf 'it was built for other requirements'
    else
        printf 'its python does not run'
    fi
}

# Made by these commands: the default place, or marked when it was created.
_renewal_venv_owned() {
    [[ -z "${RENEWAL_VENV:-}" || -f "$VENV_DIR/.renewal-reminder-owned" ]]
}

_renewal_dir_empty() {
    (
        shopt -s nullglob dotglob
        local -a entries=("$1"/*)
        ((${#entries[@]} == 0))
    )
}

# _renewal_venv_broken LOG: true when the venv cannot be installed into;
# VENV_PROBLEM says why.
VENV_PROBLEM=""
_renewal_venv_broken() {
    local log="$1" out
    VENV_PROBLEM=""
    if [[ ! -x "$VENV_PY" ]]; then
        VENV_PROBLEM="it has no bin/python"
    elif ! out="$(cd / && "$VENV_PY" -c 'import sys' </dev/null 2>&1)"; then
        out="${out%%$'\n'*}"
        VENV_PROBLEM="the venv's python does not run${out:+ ($out)}"
    elif ! (cd / && "$VENV_PY" -m pip --version </dev/null >>"$log" 2>&1); then
        VENV_PROBLEM="the venv's python has no pip module"
    else
        return 1
    fi
    return 0
}

_renewal_pip() {
    local log="$1"
    shift
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV_PY" -m pip install "$@" </dev/null >>"$log" 2>&1
}

# Builds the venv once; later calls only compare the marker. The build runs
# under a lock: a second run at the same time waits, then finds it ready.
renewal_ensure_venv() {
    renewal_venv_ready && return 0
    _renewal_lock "$VENV_DIR.lock" "preparing the tool venv $VENV_DIR"
    if ! renewal_venv_ready; then
        _renewal_build_venv
    fi
    _renewal_unlock
}

# The build's log: named after the venv's hash, and its place when
# RENEWAL_VENV chose one.
_renewal_venv_log() {
    local name="venv-${VENV_HASH:0:12}" where
    if [[ -n "${RENEWAL_VENV:-}" ]]; then
        where="$(printf '%s' "$VENV_DIR" | _renewal_sha256)"
        name+="-${where:0:8}"
    fi
    printf '%s/%s.log\n' "$RENEWAL_LOGS" "$name"
}

_renewal_build_venv() {
    local log site constraints filtered
    log="$(_renewal_venv_log)"
    mkdir -p "$RENEWAL_LOGS"
    : >"$log"
    renewal_say "Preparing the tool venv $VENV_DIR (once; log: $log)..."
    if [[ -d "$VENV_DIR" ]] && ! _renewal_dir_empty "$VENV_DIR"; then
        if _renewal_venv_owned; then
            renewal_say "Rebuilding it from scratch: $(_renewal_venv_not_ready_reason)."
            rm -rf -- "$VENV_DIR" ||
                renewal_die 2 "Removing the unfinished venv $VENV_DIR failed: remove it by hand and run the command again."
        elif _renewal_venv_broken "$log"; then
            renewal_die 2 "RENEWAL_VENV is set to $VENV_DIR, which is not a working venv ($VENV_PROBLEM) and was not made by setup/run or setup/test: remove it or point RENEWAL_VENV at another place."
        fi
    elif [[ -e "$VENV_DIR" && ! -d "$VENV_DIR" ]]; then
        renewal_die 2 "The venv place $VENV_DIR is a file, not a folder: remove it or point RENEWAL_VENV at another place."
    fi
    rm -f "$VENV_DIR/.renewal-reminder-ready"

    if [[ ! -e "$VENV_PY" ]]; then
        { mkdir -p "$VENV_DIR" && : >"$VENV_DIR/.renewal-reminder-owned"; } 2>>"$log" ||
            renewal_die 2 "Creating the folder $VENV_DIR failed: set RENEWAL_VENV to a writable place."
        "$VENV_BASE_PY" -m venv "$VENV_DIR" </dev/null >>"$log" 2>&1 ||
            renewal_die 2 "Creating the venv $VENV_DIR with $VENV_BASE_PY failed: $(_renewal_log_cause "$log") (log: $log); install Python's venv module (Debian: python3-venv) or set RENEWAL_VENV to a writable place."
    fi
    if _renewal_venv_broken "$log" && [[ "$VENV_PROBLEM" == *"no pip module" ]]; then
        # A venv made without pip (or whose pip was removed): ensurepip is
        # Python's own way to put it back.
        (cd / && "$VENV_PY" -m ensurepip --default-pip </dev/null >>"$log" 2>&1) || true
    fi
    if _renewal_venv_broken "$log"; then
        renewal_die 2 "The venv $VENV_DIR cannot be used: $VENV_PROBLEM (log: $log); install Python's venv module with pip (Debian: python3-venv) and run the command again."
    fi

    if ! site="$(cd / && "$VENV_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' </dev/null 2>>"$log")" ||
        [[ -z "$site" ]]; then
        renewal_die 2 "The venv's python $VENV_PY did not tell where its site-packages are: $(_renewal_log_cause "$log") (log: $log)."
    fi
    # An earlier .pth would make pip see the other environment's packages.
    rm -f "$site/renewal_reminder_odoo.pth"

    if ((ODOO_NEEDS_REQUIREMENTS)) && [[ -f "$ODOO_SRC/requirements.txt" ]]; then
        # Some of Odoo 18's pinned requirements still build with the
        # setuptools API that setuptools 70 removed.
        constraints="$VENV_DIR/renewal-build-constraints.txt"
        printf 'setuptools<70\n' >"$constraints"
        filtered="$VENV_DIR/renewal-odoo-requirements.txt"
        renewal_filter_odoo_requirements "$ODOO_SRC/requirements.txt" >"$filtered"
        renewal_say "Installing Odoo's requirements from $ODOO_SRC/requirements.txt into the venv (psycopg2 as psycopg2-binary, without python-ldap)..."
        PIP_CONSTRAINT="$constraints" _renewal_pip "$log" -r "$filtered" ||
            renewal_die 2 "Installing Odoo's requirements into $VENV_DIR failed: $(_renewal_log_cause "$log") (log: $log)."
    fi

    _renewal_pip "$log" --no-deps -r "$RENEWAL_REQUIREMENTS" ||
        renewal_die 2 "Installing setup/requirements.txt into $VENV_DIR failed: $(_renewal_log_cause "$log") (log: $log)."

    # Odoo's own environment (or source tree) becomes visible to the venv.
    "$VENV_PY" - "$site/renewal_reminder_odoo.pth" "$ODOO_SRC" "${ODOO_SITE_DIRS[@]}" <<'PY' >>"$log" 2>&1 ||
import os
import sys

target, src, *sites = sys.argv[1:]
lines = ["import site; site.addsitedir(%r)\n" % d for d in sites]
if src and src not in sites:
    lines.append(src + "\n")
if lines:
    with open(target, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
PY
        renewal_die 2 "Writing the .pth file into $site failed: $(_renewal_log_cause "$log") (log: $log)."

    if [[ -n "$ODOO_SRC" ]] && ! (cd / && "$VENV_PY" -c 'import odoo.release' </dev/null >>"$log" 2>&1); then
        renewal_die 2 "The venv $VENV_DIR cannot import Odoo from $ODOO_SRC: $(_renewal_log_cause "$log") (log: $log)."
    fi
    # Written last: a build cut short anywhere before is rebuilt next time.
    printf '%s\n' "$VENV_HASH" >"$VENV_DIR/.renewal-reminder-ready"
}

# ---------------------------------------------------------------- Odoo config

# renewal_odoo_conf_text [DBFILTER]: an Odoo configuration for this checkout's
# addons, the Odoo found and PostgreSQL, on stdout.
renewal_odoo_conf_text() {
    local dbfilter="${1:-}" path
    local -a paths=("$RENEWAL_ROOT")
    for path in "$ODOO_SRC/odoo/addons" "$ODOO_SRC/addons"; do
        [[ -d "$path" ]] && paths+=("$path")
    done
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
}

# renewal_write_odoo_conf FILE [DBFILTER]: writes that configuration (whole,
# never half: through a temporary file in the same folder).
renewal_write_odoo_conf() {
    local file="$1" dbfilter="${2:-}"
    mkdir -p "$(dirname -- "$file")" "$RENEWAL_CACHE/data"
    renewal_odoo_conf_text "$dbfilter" >"$file.tmp.$$"
    mv -f "$file.tmp.$$" "$file"
}

# renewal_run_conf_path DB: the configuration file of a setup/run serving DB,
# named after the database and a hash of the configuration itself (checkout,
# Odoo, database, PostgreSQL's address). Two runs with different databases or
# checkouts never share one; a run of the same checkout and database finds
# the same file, with the same content.
renewal_run_conf_path() {
    local db="$1" hash
    hash="$(renewal_odoo_conf_text "^${db}\$" | _renewal_sha256)"
    printf '%s/conf/odoo-run-%s-%s.conf\n' "$RENEWAL_CACHE" "${db//[^A-Za-z0-9_.-]/_}" "${hash:0:12}"
}

# ---------------------------------------------------------------- the browser

# Odoo 18's tours drive the first browser its tests find (odoo/tests/common.py,
# _find_executable): on Linux the first of these names on PATH, on macOS one of
# the two application bundles. Without one Odoo skips the tours.
RENEWAL_BROWSER_NAMES=(google-chrome chromium chromium-browser google-chrome-stable)
RENEWAL_BROWSER_BUNDLES=(
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    "/Applications/Chromium.app/Contents/MacOS/Chromium"
)
# The Debian packages: the browser, and the fonts of the Chinese screens.
RENEWAL_BROWSER_PACKAGE="chromium"
RENEWAL_CJK_FONTS_PACKAGE="fonts-noto-cjk"

# Filled by renewal_find_browser.
BROWSER_PATH=""        # the browser Odoo will drive
BROWSER_MISSING=""     # what is missing, for the reports
BROWSER_PACKAGES=()    # the packages that provide it

# True when both the browser and the CJK fonts are there.
renewal_find_browser() {
    local name path fonts=1
    BROWSER_PATH=""
    BROWSER_MISSING=""
    BROWSER_PACKAGES=()
    if [[ "$(uname -s 2>/dev/null || true)" == Darwin ]]; then
        for path in "${RENEWAL_BROWSER_BUNDLES[@]}"; do
            if [[ -x "$path" ]]; then
                BROWSER_PATH="$path"
                break
            fi
        done
    else
        for name in "${RENEWAL_BROWSER_NAMES[@]}"; do
            if path="$(command -v -- "$name" 2>/dev/null)" && [[ "$path" == /* ]]; then
                BROWSER_PATH="$path"
                break
            fi
        done
        _renewal_cjk_fonts_found || fonts=0
    fi
    if [[ -z "$BROWSER_PATH" ]]; then
        BROWSER_MISSING="no Chromium on PATH"
        BROWSER_PACKAGES+=("$RENEWAL_BROWSER_PACKAGE")
    fi
    if ((!fonts)); then
        BROWSER_MISSING+="${BROWSER_MISSING:+ and }no CJK fonts ($RENEWAL_CJK_FONTS_PACKAGE)"
        BROWSER_PACKAGES+=("$RENEWAL_CJK_FONTS_PACKAGE")
    fi
    [[ -z "$BROWSER_MISSING" ]]
}

# The CJK fonts: Debian's fonts-noto-cjk package, or any font fontconfig
# knows for Chinese.
_renewal_cjk_fonts_found() {
    local status
    # shellcheck disable=SC2016  # ${Status} is dpkg-query's field
    if command -v dpkg-query >/dev/null 2>&1 &&
        status="$(dpkg-query -W -f='${Status}' "$RENEWAL_CJK_FONTS_PACKAGE" </dev/null 2>/dev/null)" &&
        [[ "$status" == *" installed" ]]; then
        return 0
    fi
    command -v fc-list >/dev/null 2>&1 &&
        [[ -n "$(fc-list ':lang=zh' file </dev/null 2>/dev/null || true)" ]]
}

# Root: what `id -u` says (bash's EUID where there is no `id`).
_renewal_is_root() {
    local uid
    uid="$(id -u 2>/dev/null)" || uid="${EUID:-}"
    [[ "$uid" == 0 ]]
}

# Why the missing packages cannot be installed here; nothing when they can.
_renewal_browser_install_blocker() {
    case "${RENEWAL_INSTALL_BROWSER:-1}" in
        0 | false | no)
            printf 'RENEWAL_INSTALL_BROWSER=%s keeps setup/test from installing them\n' "$RENEWAL_INSTALL_BROWSER"
            ;;
        *)
            if ! command -v apt-get >/dev/null 2>&1; then
                printf 'there is no apt-get to install them with\n'
            elif ! _renewal_is_root; then
                printf 'not running as root, so apt-get cannot install them\n'
            fi
            ;;
    esac
}

# The one line about what to install, after renewal_find_browser; WHY says
# why setup/test did not.
renewal_browser_missing_sentence() {
    local why="$1" packages="${BROWSER_PACKAGES[*]}" sentence
    sentence="Browser tours: $BROWSER_MISSING, and $why: install $packages (Debian: \`apt-get install $packages\`)"
    if [[ -z "$BROWSER_PATH" ]]; then
        sentence+="; until then Odoo skips the tours, and with CI=true that fails the run"
    fi
    printf '%s.\n' "$sentence"
}

# The cause of a failed apt-get, from its log: its last "E:" line, or its
# last lines.
_renewal_apt_cause() {
    local log="$1" cause
    cause="$(grep -E '^E: ' "$log" 2>/dev/null | tail -n 1 || true)"
    printf '%s\n' "${cause:-$(_renewal_log_cause "$log")}"
}

# renewal_ensure_browser: where the browser or its CJK fonts are missing and
# this is root on a system with apt-get, installs them (one line, the output
# into a log); otherwise one line on what to install. Never stops the
# command: without a browser Odoo skips the tours. Under a lock: a second run
# at the same time waits, then finds them there.
renewal_ensure_browser() {
    local why log="$RENEWAL_LOGS/browser-install.log"
    renewal_find_browser && return 0
    why="$(_renewal_browser_install_blocker)"
    if [[ -n "$why" ]]; then
        renewal_browser_missing_sentence "$why"
        return 0
    fi
    mkdir -p "$RENEWAL_LOGS"
    _renewal_lock "$RENEWAL_CACHE/browser-install.lock" "installing the browser for the tours"
    if renewal_find_browser; then
        _renewal_unlock
        return 0
    fi
    renewal_say "Browser tours: $BROWSER_MISSING: installing ${BROWSER_PACKAGES[*]} with apt-get (once; log: $log)..."
    : >"$log"
    # The package lists first: a fresh machine has none.
    DEBIAN_FRONTEND=noninteractive apt-get update </dev/null >>"$log" 2>&1 || true
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${BROWSER_PACKAGES[@]}" </dev/null >>"$log" 2>&1; then
        why="installing them with apt-get failed ($(_renewal_apt_cause "$log"); log: $log)"
    elif ! renewal_find_browser; then
        why="apt-get installed them but they are still not found (log: $log)"
    fi
    _renewal_unlock
    if [[ -n "$why" ]]; then
        renewal_find_browser || renewal_browser_missing_sentence "$why"
    fi
    return 0
}

# The report's line for --check: what was found and what a real run would do.
renewal_print_browser() {
    local tours_run="$1" why
    if renewal_find_browser; then
        renewal_say "Browser:    $BROWSER_PATH, with CJK fonts"
    elif ((!tours_run)); then
        renewal_say "Browser:    $BROWSER_MISSING (the tours need Odoo and PostgreSQL first)"
    elif why="$(_renewal_browser_install_blocker)" && [[ -n "$why" ]]; then
        renewal_say "Browser:    $BROWSER_MISSING: install ${BROWSER_PACKAGES[*]} ($why)"
    else
        renewal_say "Browser:    $BROWSER_MISSING: installed with apt-get (${BROWSER_PACKAGES[*]}) on the next real run"
    fi
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
    elif [[ -d "$VENV_DIR" ]] && ! _renewal_dir_empty "$VENV_DIR" && _renewal_venv_owned; then
        renewal_say "Venv:       $VENV_DIR (not ready, $(_renewal_venv_not_ready_reason): rebuilt on the next real run)"
    elif [[ -d "$VENV_DIR" ]] && ! _renewal_dir_empty "$VENV_DIR"; then
        renewal_say "Venv:       $VENV_DIR (not ready: completed on the next real run)"
    else
        renewal_say "Venv:       $VENV_DIR (built on the first real run)"
    fi
}
