#!/usr/bin/env bash
# Installs what tests/e2e/test_docs_browser.py drives: Debian's Chromium (/usr/bin/chromium).
# Playwright's own browser download is not used (it cannot be fetched on these machines); the test
# launches the system Chromium through Playwright's `executable_path`.
#
# Idempotent and quiet when Chromium is already there. Exit status 0 in every case where the
# install is impossible (no apt-get, not root and no sudo): the browser test then skips and says why.
set -uo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here; install Chromium yourself (the browser test will skip)" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "install-browser: need root (or password-less sudo) to apt-get install chromium (the browser test will skip)" >&2
  exit 0
fi
echo "install-browser: installing Debian's chromium (once) ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq \
  && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || echo "install-browser: apt-get install chromium failed (the browser test will skip)" >&2
test -x "$CHROMIUM" && echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium installed)"
exit 0
