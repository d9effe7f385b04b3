#!/usr/bin/env bash
# `npm test`: every test. Installs what it needs first (see bootstrap.sh), Chromium included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --browser

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
started=$(date +%s)
stage() { echo; echo "› $1 ($(( $(date +%s) - started )) s)"; }

stage "type-check"
npx tsc --noEmit -p .
npx tsc --noEmit -p gpu-worker/tsconfig.json

stage "Node tests: machine, GPU worker pipeline and runtime"
npx vitest run --config vitest.node.config.ts

stage "Workers tests: Durable Objects, API, webhook (real Postgres and S3)"
npx vitest run --config vitest.config.ts

stage "End-to-end and browser tests: the whole local stack, Chromium"
npx vitest run --config vitest.e2e.config.ts

echo; echo "› all tests passed in $(( $(date +%s) - started )) s"
