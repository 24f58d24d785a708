"""Three-tier wrapper trees for the tests: specs, bindings, tier-3 callers, and the
libraries built from them (C with gcc, Rust with cargo --offline, no dependencies).

Every sample is our own, written in the shapes the Simple wrapper generator reads
and writes (`src/app/wrapper_gen/`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# ---------------------------------------------------------------- a consistent C wrapper

SHAPES_SPEC = """\
# Shapes: a C library wrapped in three tiers
wrapper_lib:
  name: shapes
  version: "1.0.0"
  link: [shapes]
  search_paths: [build]

handle_types:
  - name: ShapeBox
    cpp_type: "shapes::Box"
    drop_fn: "rt_shapes_box_free"

functions:
  # construction
  - name: box_new
    cpp_fn: "shapes::Box::make"
    params:
      - name: width
        type: i64
      - name: label
        type: text
    return: ShapeBox

  - name: shapes_scale
    params:
      - name: factor
        type: f64
    return: f64

  - name: reset
    params: []
    return: void

methods:
  - handle: ShapeBox
    name: area
    cpp_method: "area"
    params: []
    return: i64

  - handle: ShapeBox
    name: merge
    params:
      - name: other
        type: ShapeBox
    return: ShapeBox
"""

SHAPES_C = r"""
#include <stdbool.h>
#include <stdint.h>
bool rt_shapes_available(void) { return true; }
char *rt_shapes_version(void) { return "1.0.0"; }
int64_t rt_shapes_box_new(int64_t width, const char *label) { (void)label; return width; }
double rt_shapes_scale(double factor) { return factor * 2; }
void rt_shapes_reset(void) {}
int64_t rt_shapes_shapebox_area(int64_t handle) { return handle; }
int64_t rt_shapes_shapebox_merge(int64_t handle, int64_t other) { return handle + other; }
void rt_shapes_box_free(int64_t handle) { (void)handle; }
"""

SHAPES_FFI = """\
# shapes SFFI Bindings (Tier 2)
extern fn rt_shapes_available() -> bool
extern fn rt_shapes_version() -> text

extern fn rt_shapes_box_new(width: i64, label: text) -> i64
extern fn rt_shapes_scale(factor: f64) -> f64
extern fn rt_shapes_reset()

extern fn rt_shapes_shapebox_area(handle: i64) -> i64
extern fn rt_shapes_shapebox_merge(handle: i64, other: i64) -> i64
extern fn rt_shapes_box_free(handle: i64)
"""

SHAPES_USE = """\
use lib.shapes.ffi.*

fn main():
    if rt_shapes_available():
        print rt_shapes_version()
    val b = rt_shapes_box_new(3, "a")
    val c = rt_shapes_shapebox_merge(b, rt_shapes_box_new(4, "b"))
    print rt_shapes_shapebox_area(c) + rt_shapes_scale(1.5)
    rt_shapes_reset()
    rt_shapes_box_free(b)
"""

SFFI_TOML = """\
include = ["src/**/*.spl"]
abi = "cstring"   # the generator's tier 1 passes text as `*const c_char`

[[libraries]]
path = "build/libshapes.so"
"""


def gcc_shared(source: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    c = out.with_suffix(".c")
    c.write_text(source)
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", str(out), str(c)], check=True, capture_output=True,
                   timeout=120)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def shapes_tree(root: Path, *, spec: str = SHAPES_SPEC, c_source: str = SHAPES_C, ffi: str = SHAPES_FFI,
                use: str = SHAPES_USE, extra: dict[str, str] | None = None) -> Path:
    write_tree(root, {"sffi.toml": SFFI_TOML, "shapes.wrapper_spec": spec, "src/lib/shapes/ffi.spl": ffi,
                      "src/app/main.spl": use, **(extra or {})})
    gcc_shared(c_source, root / "build" / "libshapes.so")
    return root


# ---------------------------------------------------------------- a Rust tier-1 crate

COUNTER_SPEC = """\
wrapper_lib:
    name: counter
    version: 0.1.0
    lang: rust
    rust_crate: counter

handle_types:
    - name: Tally
      cpp_type: "counter::Tally"
      drop_fn: "rt_counter_tally_free"

functions:
    - name: new
      params:
          - name: start
            type: i64
          - name: label
            type: text
      return: Tally

methods:
    - handle: Tally
      name: bump
      params:
          - name: by
            type: i64
      return: i64

    - handle: Tally
      name: name
      params: []
      return: text
"""

COUNTER_RS = """\
use std::os::raw::c_char;

#[no_mangle]
pub extern "C" fn rt_counter_available() -> bool { true }

#[no_mangle]
pub extern "C" fn rt_counter_version() -> *mut c_char { std::ptr::null_mut() }

#[no_mangle]
pub extern "C" fn rt_counter_free_string(ptr: *mut c_char) { let _ = ptr; }

#[no_mangle]
pub extern "C" fn rt_counter_new(start: i64, label: *const c_char) -> i64 { let _ = label; start }

#[no_mangle]
pub extern "C" fn rt_counter_tally_bump(handle: i64, by: BY_TYPE) -> i64 { handle + by as i64 }

#[no_mangle]
pub extern "C" fn rt_counter_tally_name(handle: i64) -> *mut c_char { let _ = handle; std::ptr::null_mut() }

#[no_mangle]
pub extern "C" fn rt_counter_tally_free(handle: i64) -> bool { handle != 0 }
"""

COUNTER_FFI = """\
extern fn rt_counter_available() -> bool
extern fn rt_counter_version() -> text
extern fn rt_counter_new(start: i64, label: text) -> i64
extern fn rt_counter_tally_bump(handle: i64, by: i64) -> i64
extern fn rt_counter_tally_name(handle: i64) -> text
extern fn rt_counter_tally_free(handle: i64) -> bool
"""

COUNTER_USE = """\
fn main():
    if rt_counter_available():
        print rt_counter_version()
    val c = rt_counter_new(1, "x")
    print rt_counter_tally_bump(c, 2)
    print rt_counter_tally_name(c)
    rt_counter_tally_free(c)
"""

COUNTER_TOML = """\
include = ["src/**/*.spl"]
abi = "cstring"

[[libraries]]
path = ".build/rust/ffi_counter/target/debug/libsimple_counter_ffi.so"
"""


def have_cargo() -> bool:
    return shutil.which("cargo") is not None


def cargo_crate(root: Path, rust: str, name: str = "counter", *, release: bool = False) -> Path:
    """Build `.build/rust/ffi_<name>/` where the generator puts it: debug (DWARF is there), or
    `release` with debug information off and stripped (only the crate's sources say the types)."""
    crate = root / ".build" / "rust" / f"ffi_{name}"
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "simple-{name}-ffi"\nversion = "0.1.0"\nedition = "2021"\n\n'
        f'[lib]\nname = "simple_{name}_ffi"\ncrate-type = ["cdylib"]\n\n[dependencies]\n\n'
        '[profile.release]\ndebug = false\nstrip = "debuginfo"\n')
    (crate / "src" / "lib.rs").write_text(rust)
    profile = ["--release"] if release else []
    subprocess.run(["cargo", "build", "--offline", "-q", *profile], cwd=crate, check=True, capture_output=True,
                   timeout=300)
    return crate / "target" / ("release" if release else "debug") / f"libsimple_{name}_ffi.so"


def counter_tree(root: Path, *, by_type: str = "i64", ffi: str = COUNTER_FFI, spec: str = COUNTER_SPEC,
                 rust_names: dict[str, str] | None = None, release: bool = False) -> Path:
    write_tree(root, {"sffi.toml": COUNTER_TOML, "counter.wrapper_spec": spec, "src/lib/counter/ffi.spl": ffi,
                      "src/app/main.spl": COUNTER_USE})
    rust = COUNTER_RS.replace("BY_TYPE", by_type)
    for old, new in (rust_names or {}).items():
        rust = rust.replace(old, new)
    cargo_crate(root, rust, release=release)
    return root
