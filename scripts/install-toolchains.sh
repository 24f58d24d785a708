#!/usr/bin/env bash
# Cross binutils for the static-link tests (objects and archives for AArch64, ARM,
# RISC-V 32/64 and i386, with GNU ld as the oracle). x86-64 and i386 use the host's
# own binutils (as --32, ld -m elf_i386); the others need Debian's cross packages.
# Only binutils: `as`, `ar` and `ld` are all the tests need (cross gcc would pull in
# a cross libc). Best effort: a package that cannot be had makes its tests skip with
# a message naming it; this script never fails the test run.
set -uo pipefail
want=(binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf binutils-riscv64-linux-gnu)
missing=()
for pkg in "${want[@]}"; do
    tool="${pkg#binutils-}-as"
    command -v "$tool" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-toolchains: cannot install ${missing[*]} (needs root and apt-get); their tests will skip" >&2
    exit 0
fi
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y --no-install-recommends -qq "${missing[@]}" >/dev/null 2>&1 \
        || echo "install-toolchains: apt-get could not install ${missing[*]}; their tests will skip" >&2
fi
echo "install-toolchains: ${missing[*]} in $(( $(date +%s) - start )) s" >&2
exit 0
