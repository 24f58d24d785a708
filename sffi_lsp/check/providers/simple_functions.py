"""Simple functions of the checked tree, linked by their mangled names.

A compiled Simple program links its own functions by name: the native builder names a
top-level function `<module prefix>__<fn>`, the prefix being the file's path under the
source root (`<root>/src`) with its components joined by `__`, `.spl` dropped and a numbered
layer prefix (`10.frontend`) dropped (`module_prefix_from_path` in the compiler's
`codegen/common_backend.rs`; the entry file's `main` becomes `spl_main`). So SimpleOS can
declare `extern fn apps__registry__registry_server__run_registry()` and get the function
`run_registry` of `src/apps/registry/registry_server.spl`. Names the builder never mangles
(`rt_*`, `spl_*`, `__simple_*`, ...) are left to the other providers.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..types import ProviderKind, ProviderRef, Resolution, ResolutionStatus
from .protocol import Phase, ProviderBase, ProviderContext

_LAYER = re.compile(r"^\d+\.")
# Prefixes the native builder passes through unmangled (runtime and builtin names).
_NEVER_MANGLED = ("rt_", "__simple_", "spl_", "__get_global_", "__set_global_", "bit_", "bitwise_", "ffi_",
                  "rc_box_", "arc_box_")


@dataclass(frozen=True, slots=True)
class SimpleFunction:
    symbol: str  # the mangled name the object file defines
    qualified: str  # "apps.registry.registry_server.run_registry", for messages
    path: str
    line: int  # 0-based
    column: int


def module_prefix(path: str, source_root: str) -> str | None:
    """The builder's module prefix of `path` (None: the file is not under the source root)."""
    return _module_prefix(os.path.abspath(path), source_root)


@functools.lru_cache(maxsize=1 << 16)
def _module_prefix(path: str, source_root: str) -> str | None:
    # Memoised: the provider and the CLI's incremental record both ask for every file of
    # the tree (issue-14 tree: 18,200 calls, 0.6 s of a 24 s profile in relpath and splits).
    rel = os.path.relpath(path, source_root)
    if rel.startswith(os.pardir + os.sep) or rel == os.pardir or os.path.isabs(rel):
        return None
    pieces = rel.split(os.sep)
    parts = []
    for k, part in enumerate(pieces):
        if k == len(pieces) - 1 and part.endswith(".spl"):
            part = part[:-4]
        part = _LAYER.sub("", part, count=1)
        if part:
            parts.append(part)
    return "__".join(parts) if parts else None


def source_root(root: str) -> str:
    src = os.path.join(root, "src")
    return src if os.path.isdir(src) else root


def file_functions(f, base: str) -> list[SimpleFunction]:  # noqa: ANN001 -- SourceFile
    """The top-level functions of one file under their mangled names."""
    prefix = module_prefix(f.path, base) if f.path else None
    if prefix is None:
        return []
    dotted = prefix.replace("__", ".")
    return [SimpleFunction(f"{prefix}__{fn.name}", f"{dotted}.{fn.name}", f.path, fn.name_span.start_line,
                           fn.name_span.start_column)
            for fn in f.functions if fn.enclosing is None and not fn.name.startswith(_NEVER_MANGLED)]


def mangled_names(f, base: str) -> list[str]:  # noqa: ANN001 -- SourceFile
    """The mangled names of `file_functions(f, base)`, without building their spans
    (the CLI's incremental record indexes every file of the tree by them)."""
    prefix = module_prefix(f.path, base) if f.path else None
    if prefix is None:
        return []
    return [f"{prefix}__{fn.name}" for fn in f.functions
            if fn.enclosing is None and not fn.name.startswith(_NEVER_MANGLED)]


def mangled_functions(files: Iterable, root: str) -> dict[str, SimpleFunction]:  # noqa: ANN001 -- SourceFile
    """mangled name -> function, for the top-level functions of `files`."""
    base = source_root(root)
    out: dict[str, SimpleFunction] = {}
    for f in files:
        for fn in file_functions(f, base):
            out.setdefault(fn.symbol, fn)
    return out


class SimpleFunctions(ProviderBase):
    phase = Phase.TABLE

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self.functions: dict[str, SimpleFunction] = {}
        self._per_file: dict[str, tuple[list, list[SimpleFunction]]] = {}

    def use_files(self, files: Iterable) -> set[str]:  # noqa: ANN001
        """Learn the tree's functions; the mangled names whose answer changed (to forget)."""
        base = source_root(self.ctx.config.root)
        memo = self._per_file
        table: dict[str, SimpleFunction] = {}
        seen = set()
        for f in files:
            held = memo.get(f.path)
            # A file's functions list is replaced when the file is re-read: identity says "unchanged".
            if held is None or held[0] is not f.functions:
                held = memo[f.path] = (f.functions, file_functions(f, base))
            seen.add(f.path)
            for fn in held[1]:
                table.setdefault(fn.symbol, fn)
        for gone in [p for p in memo if p not in seen]:
            del memo[gone]
        old = self.functions
        changed = {k for k in old.keys() ^ table.keys()} | {k for k, v in table.items() if k in old and old[k] != v}
        self.functions = table
        return changed

    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        out: dict[str, Resolution] = {}
        table = self.functions
        if not table:
            return out
        for name in names:
            fn = table.get(name)
            if fn is None:
                continue
            ref = ProviderRef(ProviderKind.SIMPLE, detail=fn.qualified, source=fn.path, decl_path=fn.path,
                              decl_line=fn.line)
            out[name] = Resolution(name, ResolutionStatus.RESOLVED, ref,
                                   note=f"the Simple function {fn.qualified} ({os.path.basename(fn.path)}:"
                                        f"{fn.line + 1}), linked by its mangled name")
        return out

    # No `offers`: completion and "did you mean" would drown in every function of the tree.
