#!/usr/bin/env bash
# Installs s3rver (the S3 peer for tests/integrations/s3_test and scripts/bench-s3) into
# tests/peers/s3rver/node_modules from the npm registry, exactly as package-lock.json pins it.
# Needs Node.js and npm (Debian: nodejs, npm). Does nothing when it is installed already.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f node_modules/s3rver/bin/s3rver.js ]] && npm ls --silent >/dev/null 2>&1; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
