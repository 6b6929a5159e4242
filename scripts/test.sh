#!/usr/bin/env bash
# The whole test suite: dependencies, real services, static checks, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/services.sh
npm run --silent typecheck
npm run --silent lint
node scripts/run-tests.mjs "$@"
