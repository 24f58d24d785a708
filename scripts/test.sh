#!/usr/bin/env bash
# The whole test suite: install (with test extras), install the real editors the
# editor tests drive (unless SFFI_SKIP_EDITORS=1), then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
if [ "${SFFI_SKIP_EDITORS:-0}" != "1" ] && [ -f scripts/install-editors.sh ]; then
    bash scripts/install-editors.sh
fi
# Cross binutils for the static-link tests (skipped with a message when they cannot be had).
bash scripts/install-toolchains.sh
bash examples/build.sh
exec .venv/bin/python -m pytest "$@"
