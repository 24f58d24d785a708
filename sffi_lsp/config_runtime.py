"""The configuration of the runtime-source checks (`[runtime]`, `libraries.sources`):
their key table rows (merged into `config._KEYS`) and the `runtime.modes` values."""

from __future__ import annotations

import os

MODES = ("interpreter", "compiled")

# key -> (kind, field, type doc, default doc, description), as config._Key takes them
RUNTIME_KEYS = {
    "runtime.source": ("dir", "runtime_source", "path", "the Simple checkout holding the project",
                         "A Simple checkout (a directory holding `src/compiler_rust/`): its Rust sources say which "
                         "externs the interpreter and compiled code handle, and their C-ABI signatures. Unset: "
                         "found when the project or a checked path lies inside one."),
    "runtime.modes": ("runtimemodes", "runtime_modes", 'list of "interpreter" | "compiled"',
                        '["interpreter", "compiled"]',
                        "Which verdicts must hold: a project that only runs interpreted drops `\"compiled\"`."),
    "runtime.features": ("strings", "runtime_features", "list of strings", "[]",
                           "Cargo features of the runtime crates that are on beyond their defaults "
                           "(`#[cfg(feature = ...)]` code counts only when on)."),
    "runtime.bare-metal": ("bool", "runtime_bare_metal", "boolean", "false",
                             "The compiled target is bare metal: names of the Sys and Async tiers are not there."),
}
LIBRARY_SOURCES_KEY = {
    "libraries.sources": ("-", "-", "list of paths", "[] (from DWARF)",
                            "Rust crate directories of a tier-1 library: their `extern \"C\" fn` definitions give the "
                            "signatures DWARF lacks (functions LLVM merged). Unset: the crate named by the DWARF "
                            "compile units."),
}


def runtime_modes(values: list[str]) -> tuple[tuple[str, ...], tuple[int, str] | None]:
    """(modes, None), or ((), (index or -1, problem)) for a bad `runtime.modes`."""
    modes: list[str] = []
    for i, raw in enumerate(values):
        mode = raw.strip().lower()
        if mode not in MODES:
            return (), (i, f'must be "interpreter" or "compiled", not "{raw}"')
        if mode not in modes:
            modes.append(mode)
    if not modes:
        return (), (-1, 'must name at least one of "interpreter", "compiled"')
    return tuple(modes), None


def not_a_dir(path: str) -> str:
    return f"{path} {'is not a directory' if os.path.exists(path) else 'does not exist'}"
