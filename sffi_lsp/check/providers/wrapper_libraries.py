"""Which built library serves a wrapper spec (the providers' side of the three tiers).

The generator's tier 1 is a cdylib crate `ffi_<name>` (library `simple_<name>_ffi`)
under `.build/rust/` or `build/artifacts/rust/`; a C/C++ tier 1 is whatever the
spec links. Candidates, in order: the crate's `target/{release,debug}` under the
spec's directory and the project root; `libsimple_<name>_ffi.so`,
`libsimple_<name>.so`, `lib<name>.so` and `lib<link>.so` in the spec's
`search_paths` (relative to the spec), the spec's directory and the configured
`search-paths`; then the configured libraries. The first loadable candidate that
exports one of the spec's symbols is the library; failing that, the first
loadable one of the spec's own candidates (so that every symbol is reported
missing against it); failing that, none.

Only file-existence probes and `ExportIndex` reads: never loads what it reads.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass

from ...config_types import Config
from ...wrapper_spec import WrapperSpec

_CRATE_DIRS = (".build/rust", "build/artifacts/rust", "build/rust")
_PROFILES = ("release", "debug")


@dataclass(frozen=True, slots=True)
class WrapperLibrary:
    """The library found for a spec (None when none), and every place looked at."""

    path: str | None
    library: object | None  # binary.types.Library
    searched: tuple[str, ...]
    from_config: bool = False


def crate_dirs(spec: WrapperSpec, config: Config) -> list[str]:
    """Where the generator puts (or a project keeps) the spec's tier-1 crate."""
    bases = list(dict.fromkeys([spec.directory, config.root]))
    out: list[str] = []
    for base in bases:
        for sub in _CRATE_DIRS:
            out.append(os.path.join(base, sub, f"ffi_{spec.name}"))
        out.append(os.path.join(base, f"ffi_{spec.name}"))
    return list(dict.fromkeys(out))


def crate_library_name(spec: WrapperSpec) -> str:
    return f"libsimple_{spec.name}_ffi.so"


def spec_candidates(spec: WrapperSpec, config: Config) -> list[str]:
    """Paths the spec itself points at, most specific first (they may not exist)."""
    if not spec.name:
        return []
    out: list[str] = []
    lib = crate_library_name(spec)
    for crate in crate_dirs(spec, config):
        for profile in _PROFILES:
            out.append(os.path.join(crate, "target", profile, lib))
    for base in dict.fromkeys([spec.directory, config.root]):
        for profile in _PROFILES:
            out.append(os.path.join(base, "target", profile, lib))
    dirs = [os.path.normpath(os.path.join(spec.directory, os.path.expanduser(p))) for p in spec.search_paths]
    dirs += [spec.directory, *config.search_paths]
    names = [lib, f"libsimple_{spec.name}.so", f"lib{spec.name}.so"] + [
        (link if link.startswith("lib") and ".so" in link else f"lib{link}.so") for link in spec.link]
    for d in dict.fromkeys(dirs):
        for n in dict.fromkeys(names):
            out.append(os.path.join(d, n))
    return list(dict.fromkeys(out))


def configured_candidates(config: Config) -> list[str]:
    out: list[str] = []
    for lib in config.libraries:
        if any(c in lib.spec for c in "*?["):
            out.extend(sorted(glob.glob(lib.spec)))
        else:
            out.append(lib.spec)
    return out


def find_wrapper_library(spec: WrapperSpec, config: Config, index, symbols: Iterable[str]) -> WrapperLibrary:
    """The library serving `spec` (see the module doc). `index` is an `ExportIndex`."""
    from ...binary.types import Found  # noqa: PLC0415

    wanted = list(symbols)
    own = spec_candidates(spec, config)
    fallback = None
    for candidates, from_config in ((own, False), (configured_candidates(config), True)):
        for path in candidates:
            is_name = not os.path.isabs(path)
            if not is_name and not os.path.isfile(path):
                continue
            try:
                lib = index.library(path)
            except Exception:  # noqa: BLE001  (a hostile file is reported elsewhere; look further)
                continue
            if not lib.loadable:
                continue
            try:
                answers = index.lookup(lib, wanted)
            except Exception:  # noqa: BLE001
                continue
            if any(isinstance(a, Found) for a in answers.values()):
                return WrapperLibrary(lib.path, lib, tuple(own), from_config)
            if fallback is None and not from_config:
                fallback = WrapperLibrary(lib.path, lib, tuple(own), False)
    return fallback or WrapperLibrary(None, None, tuple(own))


def crate_sources(spec: WrapperSpec, config: Config, found: WrapperLibrary | None, signatures) -> list[str]:
    """The tier-1 crate directories holding a `Cargo.toml`: the generator's places for the
    spec's crate (`crate_dirs`), then the found library's `libraries.sources` (`signatures`
    is the `SignatureReader`). A debug build's crate elsewhere is compared through DWARF."""
    out = [d for d in crate_dirs(spec, config) if os.path.isfile(os.path.join(d, "Cargo.toml"))]
    lib = getattr(found, "library", None)
    if lib is not None and found.path:
        try:
            out += signatures.library_crate_dirs(found.path, lib)
        except Exception:  # noqa: BLE001  (no crate known from the library)
            pass
    return list(dict.fromkeys(out))


__all__ = ["WrapperLibrary", "crate_dirs", "crate_sources", "crate_library_name", "find_wrapper_library", "spec_candidates"]
