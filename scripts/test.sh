#!/usr/bin/env bash
# The whole quality gate, as `npm test` runs it: typecheck, lint, tests in workerd, then
# end-to-end tests against the real `wrangler dev` with real clients and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$1"; }

step "typecheck"
npm run --silent typecheck

step "lint (biome)"
npm run --silent lint

step "unit and integration tests (vitest in workerd)"
npm run --silent test:unit

step "deploy build (wrangler deploy --dry-run)"
WRANGLER_SEND_METRICS=false npx wrangler deploy --dry-run --outdir "$(mktemp -d)" >/dev/null
echo "ok"

step "browser for the end-to-end tests"
bash scripts/ensure-chromium.sh

step "end-to-end tests (wrangler dev, real clients, Chromium)"
npm run --silent test:e2e
