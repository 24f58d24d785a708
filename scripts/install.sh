#!/usr/bin/env bash
# Create .venv in the checkout and install sffi-lsp into it (editable), with
# the test extras when called with --test. Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "sffi-lsp needs Python >= 3.11 (found: $("$PY" --version 2>&1))" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
# Precompile our own modules: the editable install gets no bytecode from pip, and
# with PYTHONDONTWRITEBYTECODE set (as on CI machines) every start of sffi-check /
# sffi-lsp would otherwise compile ~60 modules from source (~100 ms measured).
.venv/bin/python -m compileall -q -j 0 sffi_lsp >/dev/null || true
# Likewise the code attrs generates for the LSP types (~0.25 s of each server start).
.venv/bin/python -m sffi_lsp.server --write-startup-cache 2>/dev/null || true
echo "installed: $(.venv/bin/sffi-check --version 2>/dev/null || echo sffi-check)" >&2
