#!/usr/bin/env bash
# The main job: install, build the bundled example's native libraries with gcc,
# and check the example project. Exit status is sffi-check's (1 = findings,
# which the example is made to have).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash examples/build.sh
cd examples
exec ../.venv/bin/sffi-check "$@"
