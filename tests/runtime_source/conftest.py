"""The miniature Simple checkout under tests/runtime_source/checkout (our own
samples with the shapes of the real runtime sources), and variants of it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sffi_lsp.rust_source import available

CHECKOUT = Path(__file__).parent / "checkout"
INTERP = "src/compiler_rust/compiler/src/interpreter_extern"

if available() is not None:  # pragma: no cover - the packages are dependencies
    pytest.skip(available(), allow_module_level=True)

# The older history shape: one big `match name { ... }` in interpreter_extern.rs,
# families as match guards and `if` tests, family modules beside it.
MATCH_SHAPE = '''//! Older shape of the dispatcher (sample): one big match.

pub mod pix;
pub mod capability_gap;

pub(crate) fn call_extern_function(name: &str, args: &[Value], env: &mut Env) -> Result<Value, Error> {
    if name == "rt_env_set" {
        return envs::rt_env_set(args);
    }
    match name {
        "abs" => conv::abs(args),
        "rt_env_get" => envs::rt_env_get(args),
        "rt_string_split_on" | "rt_string_split" => conv::split_on(args),
        #[cfg(feature = "gui")]
        "rt_window_title" => envs::window_title(args),
        "print" => {
            let shown = env.show(args);
            conv::print(&shown)
        }
        _ if name.starts_with("rt_pix_") => pix::dispatch(name, args),
        _ => {
            if capability_gap::matches(name) {
                return capability_gap::dispatch(name);
            }
            Err(unknown_function(name))
        }
    }
}
'''


def copy_checkout(dest: Path) -> Path:
    shutil.copytree(CHECKOUT, dest)
    return dest


@pytest.fixture()
def checkout(tmp_path) -> Path:
    """A private copy of the miniature checkout (tests may edit it)."""
    return copy_checkout(tmp_path / "simple")


@pytest.fixture()
def match_checkout(tmp_path) -> Path:
    """The checkout with the older dispatcher shape instead of EXTERN_DISPATCH."""
    root = copy_checkout(tmp_path / "simple-old")
    interp = root / INTERP
    keep = {"pix.rs", "capability_gap.rs"}
    for name in os.listdir(interp):
        if name not in keep:
            os.unlink(interp / name)
    (root / "src/compiler_rust/compiler/src/interpreter_extern.rs").write_text(MATCH_SHAPE)
    return root
