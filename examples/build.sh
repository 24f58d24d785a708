#!/usr/bin/env bash
# Build the example's native libraries into examples/build/ (gitignored).
# -g keeps DWARF, which sffi-check reads to compare signatures.
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-gcc}
FLAGS=(-g -O1 -fPIC -shared -Wall)
mkdir -p build
"$CC" "${FLAGS[@]}" -o build/libgeo_core.so native/geo_core.c -lm
# libgeo.so needs libgeo_core.so (DT_NEEDED), found next to it through $ORIGIN.
"$CC" "${FLAGS[@]}" -o build/libgeo.so native/geo.c -Lbuild -lgeo_core -Wl,-rpath,'$ORIGIN'
"$CC" "${FLAGS[@]}" -o build/libspl_json.so native/spl_json.c
"$CC" "${FLAGS[@]}" -o build/libaudio.so native/audio.c
# tier 1 of the clock wrapper (clock.wrapper_spec)
"$CC" "${FLAGS[@]}" -o build/libclock.so native/clock.c
echo "built: $(cd build && echo *.so)" >&2
