#!/usr/bin/env bash
# The main job: the reference system on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/switchyard.js up examples/shop/switchyard.yaml "$@"
