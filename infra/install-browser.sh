#!/usr/bin/env bash
# Install what the browser tests (tests/browser/) need, when it is missing:
#  - Debian's `chromium` package (Playwright drives /usr/bin/chromium; it never downloads a
#    browser of its own);
#  - the axe-core npm package in tests/.browser/ (git-ignored), injected into pages to check
#    accessibility.
# Idempotent: does nothing for what is already there. Used by .ci/run and by developers.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
NPM_PREFIX=tests/.browser
AXE=$NPM_PREFIX/node_modules/axe-core/axe.min.js

log() { printf 'infra: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing $* from Debian packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if [ -x "$CHROMIUM" ]; then
  log "chromium is installed"
else
  apt_install chromium
fi

if ! command -v npm >/dev/null 2>&1; then
  apt_install npm
fi

if [ -f "$AXE" ]; then
  log "axe-core is installed"
else
  log "installing axe-core into $NPM_PREFIX"
  npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --silent axe-core@4 >/dev/null
fi
