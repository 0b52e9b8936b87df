#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
# Extra arguments go to pytest (e.g. `bash tests/run.sh -k posting`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 \
    || ! PATH="$PATH:/usr/sbin" command -v nginx >/dev/null 2>&1 || ! command -v systemd-analyze >/dev/null 2>&1; then
  # The browser tests drive Debian's Chromium (never a downloaded browser build); the
  # interoperability tests make a local certificate authority with openssl; tests/test_deploy.py
  # checks deploy/ with Debian's own nginx (`nginx -t`, then in front of `kith run`) and
  # `systemd-analyze verify` (from the systemd package; it need not be the running init).
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium openssl nginx systemd >/dev/null
fi

# From npm: axe-core is injected into pages by the accessibility tests; masto.js and megalodon are
# the second family of real API clients (tests/clients), run under Debian's nodejs.
if [ ! -f tests/.cache/node_modules/axe-core/axe.min.js ] || [ ! -d tests/.cache/node_modules/masto ] \
    || [ ! -d tests/.cache/node_modules/megalodon ]; then
  if ! command -v npm >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
  fi
  npm install --silent --no-audit --no-fund --prefix tests/.cache axe-core@4 masto@6 megalodon@10 >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check --quiet server federation bench tests
exec .venv/bin/pytest "$@"
