#!/usr/bin/env bash
# Makes a fresh Debian machine with only Node and npm ready: npm packages, FFmpeg (and, with
# --browser, Chromium) from Debian, and local secrets. Cheap when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do [ "$arg" = "--browser" ] && want_browser=1; done

# npm packages: install when missing or when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "› installing npm packages (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
fi

apt_install() {
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "✗ $* is missing and this user cannot install Debian packages; install: $*" >&2
    exit 1
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "› installing $* from Debian…"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || apt_install ffmpeg
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi

[ -f .dev.vars ] || { cp .dev.vars.example .dev.vars; echo "› created .dev.vars from .dev.vars.example"; }
# Secrets added since a .dev.vars was made: appended from the example, existing values kept.
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  grep -q "^${line%%=*}=" .dev.vars || { echo "$line" >> .dev.vars; echo "› added ${line%%=*} to .dev.vars"; }
done < .dev.vars.example

# The Worker's Env and runtime types: generated from wrangler.toml (offline, ~13,600 lines, mostly
# the Workers runtime's own declarations), never committed. Again whenever wrangler.toml changes.
if [ ! -f worker-configuration.d.ts ] || [ wrangler.toml -nt worker-configuration.d.ts ]; then
  echo "› generating worker-configuration.d.ts (wrangler types)…"
  WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false npx wrangler types --strict-vars false --env-interface Env worker-configuration.d.ts >/dev/null
fi

# The dashboard's player: hls.js from node_modules, served as a static asset.
mkdir -p public/vendor
[ public/vendor/hls.min.js -nt node_modules/hls.js/dist/hls.min.js ] || cp node_modules/hls.js/dist/hls.min.js public/vendor/hls.min.js
