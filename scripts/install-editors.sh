#!/usr/bin/env bash
# Installs what tests/editors needs, idempotently, with no download outside the
# package registries (Debian, npm):
#   apt:  neovim (0.7.2), emacs-nox (28) + elpa-eglot, chromium, ripgrep, libkrb5-dev
#   npm:  code-server 4.100.3 and playwright-core, into $SFFI_EDITORS_DIR (default <repo>/.editors)
# Re-running is cheap: each step is skipped when its result is already there.
# Every network step has a timeout and says what failed and how to retry.
#
# Usage: scripts/install-editors.sh [--apt-only|--npm-only]
# Env:   SFFI_EDITORS_DIR  cache dir (default <repo>/.editors)
#        SFFI_APT_TIMEOUT  seconds for apt (default 600), SFFI_NPM_TIMEOUT (default 480)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EDITORS_DIR=${SFFI_EDITORS_DIR:-$ROOT/.editors}
CODE_SERVER_VERSION=4.100.3  # newer ones need Node 22+; this machine has Node 20
PLAYWRIGHT_VERSION=1.65.1
RG_CACHE_VERSION=1.15.11  # what @vscode/ripgrep (in code-server 4.100.3) looks for
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
APT_TIMEOUT=${SFFI_APT_TIMEOUT:-600}
NPM_TIMEOUT=${SFFI_NPM_TIMEOUT:-480}
APT_PACKAGES=(neovim emacs-nox elpa-eglot chromium ripgrep libkrb5-dev)

say() { printf '[install-editors] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

run_timed() {  # run_timed SECONDS WHAT CMD... : fail with a clear message on timeout/error
  local secs=$1 what=$2; shift 2
  local rc=0
  timeout --kill-after=10 "$secs" "$@" || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    die "$what timed out after ${secs}s (network slow or a registry unreachable); re-run $0"
  elif [ "$rc" -ne 0 ]; then
    die "$what failed (exit $rc); see the output above; re-run $0 when fixed"
  fi
}

AS_ROOT=()
[ "$(id -u)" -eq 0 ] || AS_ROOT=(sudo)

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "apt: all present (${APT_PACKAGES[*]})"
    return
  fi
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
  say "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  run_timed "$APT_TIMEOUT" "apt-get update" ${AS_ROOT[@]+"${AS_ROOT[@]}"} apt-get update -qq
  run_timed "$APT_TIMEOUT" "apt-get install ${missing[*]}" \
    ${AS_ROOT[@]+"${AS_ROOT[@]}"} apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_code_server() {
  local dir=$EDITORS_DIR/code-server
  local bin=$dir/node_modules/.bin/code-server
  if [ -x "$bin" ] && grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$dir/node_modules/code-server/package.json" 2>/dev/null \
     && [ -d "$dir/node_modules/code-server/lib/vscode/node_modules" ]; then
    say "npm: code-server $CODE_SERVER_VERSION present"
    return
  fi
  command -v rg >/dev/null || die "ripgrep (rg) is needed before code-server: run without --npm-only"
  command -v npm >/dev/null || die "npm not found (Node 20 + npm are needed)"
  mkdir -p "$dir"
  # @vscode/ripgrep would download its binary from outside; hand it Debian's rg
  # through its cache dir instead (it looks in $TMPDIR/vscode-ripgrep-cache-<ver>).
  local tmp=${TMPDIR:-/tmp}
  mkdir -p "$tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION"
  tar czf "$tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION/$RG_ASSET" -C "$(dirname "$(command -v rg)")" rg
  [ -f "$dir/package.json" ] || echo '{"name":"sffi-editors-code-server","private":true}' >"$dir/package.json"
  say "npm: installing code-server $CODE_SERVER_VERSION into $dir (about 90 s)"
  (cd "$dir" && run_timed "$NPM_TIMEOUT" "npm install code-server@$CODE_SERVER_VERSION" \
    env npm_config_unsafe_perm=true npm_config_build_from_source=true npm_config_yes=true \
      npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
      npm install --no-save --foreground-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$dir/npm-install.log" 2>&1 \
    || { tail -40 "$dir/npm-install.log" >&2; exit 1; })
  [ -x "$bin" ] || die "code-server installed but $bin is missing; see $dir/npm-install.log"
}

install_playwright() {
  local dir=$EDITORS_DIR/playwright
  if grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$dir/node_modules/playwright-core/package.json" 2>/dev/null; then
    say "npm: playwright-core $PLAYWRIGHT_VERSION present"
    return
  fi
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"name":"sffi-editors-playwright","private":true}' >"$dir/package.json"
  say "npm: installing playwright-core $PLAYWRIGHT_VERSION into $dir"
  # playwright-core downloads no browser on install; the tests use Debian's chromium.
  (cd "$dir" && run_timed "$NPM_TIMEOUT" "npm install playwright-core@$PLAYWRIGHT_VERSION" \
    env npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
      npm install --no-save --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
}

main() {
  local mode=${1:-all}
  case "$mode" in
    all|--apt-only|--npm-only) ;;
    *) die "unknown argument '$mode' (use --apt-only or --npm-only)";;
  esac
  [ "$mode" = --npm-only ] || install_apt
  if [ "$mode" != --apt-only ]; then
    install_code_server
    install_playwright
  fi
  say "done: editors cache at $EDITORS_DIR"
}

main "$@"
