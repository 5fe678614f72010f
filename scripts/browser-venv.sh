#!/usr/bin/env bash
# Makes (or reuses) a Python with Selenium for the key form's browser test
# (scripts/keyform-browser.py, driving Debian's chromium through /usr/bin/chromedriver; both
# come from `scripts/install-deps.sh --test`), and prints that Python's path on stdout —
# nothing else goes to stdout:
#
#   REBIND_BROWSER_PYTHON=$(scripts/browser-venv.sh)
#
# Selenium goes into .build/browser-venv, or with pip --user where venv is unavailable (then
# the path printed is python3's).
set -euo pipefail

SELENIUM_VERSION=4.51.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '[browser-venv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

VENV=.build/browser-venv
# (pip show's output is read whole before matching: `| grep -q` would close the pipe on the
# first match, pip would die of the broken pipe, and pipefail would call the venv stale.)
if [ -x "$VENV/bin/python" ] && [[ $'\n'$("$VENV/bin/python" -m pip show selenium 2>/dev/null)$'\n' == *$'\n'"Version: $SELENIUM_VERSION"$'\n'* ]]; then
    PY="$ROOT/$VENV/bin/python"
elif mkdir -p .build && python3 -m venv "$VENV" >/dev/null 2>&1; then
    say "installing selenium $SELENIUM_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "selenium==$SELENIUM_VERSION" >&2
    PY="$ROOT/$VENV/bin/python"
else
    say "python3 -m venv failed; installing selenium $SELENIUM_VERSION with pip --user"
    rm -rf "$VENV"
    { python3 -m pip install --quiet --user --disable-pip-version-check "selenium==$SELENIUM_VERSION" \
        || python3 -m pip install --quiet --user --break-system-packages --disable-pip-version-check "selenium==$SELENIUM_VERSION"; } >&2
    PY=$(command -v python3)
fi

# The import must work, and be the pinned version, before anyone relies on the path.
found=$("$PY" -c 'import selenium; print(selenium.__version__)' 2>/dev/null || true)
if [ "$found" != "$SELENIUM_VERSION" ]; then
    say "selenium $SELENIUM_VERSION is not importable by $PY (found: ${found:-none})"
    exit 1
fi
echo "$PY"
