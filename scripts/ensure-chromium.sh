#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the end-to-end tests (playwright-core
# drives it; `npx playwright install` would download a browser and fails offline). Idempotent:
# prints nothing and does nothing when Chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  exit 0 # the tests use the Chromium named there
fi
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

echo "Chromium is missing at $CHROMIUM: installing Debian's chromium package (apt-get)."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "apt-get finished but $CHROMIUM is still missing." >&2
  exit 1
fi
echo "Installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
