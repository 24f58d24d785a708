"""A digest of everything the providers' answers depend on (see `check.answers`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING

from .protocol import ProviderContext, SymbolProvider

if TYPE_CHECKING:
    from ...binary.types import Library

# Config fields no provider answer depends on (everything else is part of the fingerprint).
_NOT_PROVIDER_SETTINGS = frozenset({"include", "exclude", "abi", "abi_profiles", "rules", "baseline", "cache_dir",
                                    "jobs", "debounce_ms", "max_findings_per_file"})
_ENV_THAT_MATTERS = ("LD_LIBRARY_PATH", "LD_PRELOAD", "SIMPLE_SFFI_PATH", "SIMPLE_PLUGIN_MANIFEST", "HOME")
_CODE_IDENTITY: str | None = None


def held_libraries(providers: Sequence[SymbolProvider]) -> list[Library]:
    """Every library the providers hold a handle on (satellites aside: probed per prefix)."""
    return [lib for p in providers for lib in p.held_libraries()]


def fingerprint(ctx: ProviderContext, providers: Sequence[SymbolProvider]) -> str:
    """The digest of the providers as loaded: code, settings, environment, files and libraries."""
    from ..answers import fingerprint_of, stat_identity  # noqa: PLC0415  (hashlib, json: only with a cache)

    cfg = ctx.config
    settings = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name not in _NOT_PROVIDER_SETTINGS}
    libraries = [[_library_record(lib), [stat_identity(p) for p in lib.closure]]
                 for lib in held_libraries(providers)]
    parts: dict[str, object] = {
        "code": _code_identity(),
        "settings": repr(sorted(settings.items())),
        "env": {k: os.environ.get(k) for k in _ENV_THAT_MATTERS},
        "cwd": os.getcwd(),
        "target": repr(ctx.index.target),
    }
    for p in providers:
        parts.update(p.fingerprint())
    parts["libraries"] = libraries
    parts["dirs"] = [[d, stat_identity(d)] for d in search_dirs(ctx)]
    parts["debug_dirs"] = [[d, stat_identity(d)] for d in debug_dirs(held_libraries(providers))]
    parts["ld_cache"] = stat_identity("/etc/ld.so.cache")
    return fingerprint_of(parts)


def debug_dirs(libs: Sequence[Library]) -> list[str]:
    """Directories whose listing decides whether a library's `.gnu_debuglink` file is found
    (so "the debug-link file was not found" is an answer that holds until one of them changes)."""
    from ...binary.debug_sections import debug_link_dirs  # noqa: PLC0415  (the ELF layer: only with a cache)

    objects = dict.fromkeys(obj for lib in libs for obj in lib.closure if obj)
    return list(dict.fromkeys(d for obj in objects for d in debug_link_dirs(obj)))


def search_dirs(ctx: ProviderContext) -> list[str]:
    """Directories whose listing decides where a satellite or a bare library name is found."""
    from ...binary.loader import default_dirs, split_path_list  # noqa: PLC0415  (the ELF layer: only with a cache)

    cfg = ctx.config
    dirs = [*ctx.runtime_dirs(), *cfg.satellite_paths, os.path.join(cfg.root, "build")]
    dirs += split_path_list(os.environ.get("LD_LIBRARY_PATH"))
    dirs += [os.path.abspath(p) for p in cfg.search_paths]
    dirs += default_dirs(ctx.index.target)
    return list(dict.fromkeys(dirs))


def _code_identity() -> str:
    """The provider and binary code as installed (an edit or upgrade invalidates kept answers)."""
    global _CODE_IDENTITY
    if _CODE_IDENTITY is None:
        pkg = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        files = [os.path.join(pkg, n) for n in ("__init__.py", "config.py", "config_types.py", "config_paths.py",
                                               "config_lines.py", "sdn.py", "model.py")]
        for sub in ("check", os.path.join("check", "providers"), "binary"):
            try:
                names = sorted(os.listdir(os.path.join(pkg, sub)))
            except OSError:
                names = []
            files += [os.path.join(pkg, sub, n) for n in names if n.endswith(".py")]
        from ..answers import stat_identity  # noqa: PLC0415

        _CODE_IDENTITY = repr([(os.path.relpath(f, pkg), stat_identity(f)) for f in files])
    return _CODE_IDENTITY


def _library_record(lib: Library) -> list:
    p = lib.problem
    return [lib.spec, lib.path, None if p is None else [p.reason.value, p.message, p.path, list(p.chain)],
            lib.soname, list(lib.needed), list(lib.closure), list(lib.unresolved_functions), list(lib.identity)]
