#!/usr/bin/env bash
# `npm test`: every test. Installs what it needs first (see bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
started=$(date +%s)

echo "› type-check"
npx tsc --noEmit -p .
npx tsc --noEmit -p gpu-worker/tsconfig.json

echo "› Node tests (machine, GPU worker, local stack)"
npx vitest run --config vitest.node.config.ts

echo "› Workers tests (Durable Objects, API; real Postgres and S3)"
npx vitest run --config vitest.config.ts

echo "› all tests passed in $(( $(date +%s) - started )) s"
