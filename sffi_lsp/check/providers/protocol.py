"""What every provider kind answers, and the little state they share.

A provider kind is one module of this package with one class that follows
`SymbolProvider`. The runtime asks its built-in table first (`TABLE`
providers answer `lookup(names)` with resolutions), then, in `dynamic` mode,
each `dlsym` handle in turn (`HANDLE` providers answer `handles(names)` with
the libraries that may define the names; `resolution` walks them). A provider
knows nothing of the others: what they share (configuration, index, directory
listings, the answers store) is a `ProviderContext`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from ...config_types import Config, LibrarySpec
from ..types import ProviderKind, ProviderRef, Resolution

if TYPE_CHECKING:
    from ...binary import ExportIndex
    from ...binary.types import Library
    from ..answers import AnswerStore
    from .listings import Listings

# A library the configuration makes known that has a problem, with how to name its origin.
LibraryProblem = tuple["LibrarySpec | str", "Library"]
# Names an object offers (completion, "did you mean"), with the provider to credit.
Offer = tuple[list[str], ProviderRef]


class Phase(str, Enum):
    TABLE = "table"  # the runtime's built-in table: answers without dlsym
    HANDLE = "handle"  # a dlsym handle: only in `dynamic` mode (evaluated in `builtin-only` to explain)


@dataclass(frozen=True, slots=True)
class ProviderStep:
    """One `dlsym` handle of the dynamic path, with what it may answer."""

    kind: ProviderKind
    library: Library
    detail: str
    source: str | None = None  # config/manifest file that made it known
    spec: LibrarySpec | None = None  # configured libraries only
    only: frozenset[str] | None = None  # manifest: the functions its entry lists
    prefix: str | None = None  # satellite: `rt_<prefix>_` names only

    def answers(self, name: str) -> bool:
        if self.only is not None and name not in self.only:
            return False
        return self.prefix is None or name.startswith(self.prefix)


class SymbolProvider(Protocol):
    """One kind of provider, loaded from a `ProviderContext` (`cls(ctx)`)."""

    phase: Phase

    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        """TABLE phase: resolutions for the names it decides (the others are asked further on)."""
        ...

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        """HANDLE phase: its dlsym handles that may answer `names` for a file at `source_path`
        (`every`: every handle it holds, whatever the file and names; one probed per name is
        not held)."""
        ...

    def scope_key(self, source_path: str | None) -> tuple[int, ...]:
        """What of `source_path` changes its answers (memo keys): () when nothing does."""
        ...

    def offers(self) -> Iterator[Offer]:
        """(function names, provider) for each object whose names it offers, best first."""
        ...

    def held_libraries(self) -> list[Library]:
        """The libraries it holds a handle on: part of the answers' fingerprint."""
        ...

    def fingerprint(self) -> dict[str, object]:
        """Its own parts of the answers' fingerprint beyond its libraries (see `fingerprint`)."""
        ...

    def problems(self) -> list[LibraryProblem]:
        """Its libraries that cannot be loaded or have unresolved function references."""
        ...

    def stale(self) -> bool:
        """True when a file it read (not a library: the index watches those) changed."""
        ...


class ProviderBase:
    """Defaults for a provider that answers in one phase only."""

    phase = Phase.HANDLE

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        return {}

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        return []

    def scope_key(self, source_path: str | None) -> tuple[int, ...]:
        return ()

    def offers(self) -> Iterator[Offer]:
        for step in self.handles(every=True):
            if not step.library.loadable:
                continue
            ref = ProviderRef(step.kind, library=step.library.path, detail=step.detail, source=step.source)
            yield from self.ctx.export_names(step.library, ref, step=step)

    def held_libraries(self) -> list[Library]:
        return [s.library for s in self.handles(every=True)]

    def fingerprint(self) -> dict[str, object]:
        return {}

    def problems(self) -> list[LibraryProblem]:
        return []

    def stale(self) -> bool:
        return False


class ProviderContext:
    """What the providers of one configuration share. Loaded once per `Providers`; `reset()`
    on refresh forgets what a load learnt."""

    def __init__(self, config: Config, index: ExportIndex, places: Listings) -> None:
        self.config = config
        self.index = index
        self.places = places  # directory listings (satellites, the deferred index)
        self.answers: AnswerStore | None = None
        # False once an answer was given that a later run might not repeat (a DWARF worker
        # timeout): results of this run must then not be kept.
        self.unsettled = False
        self.volatile_prefixes: set[str] = set()  # names whose answers must not be kept

    def reset(self) -> None:
        self.answers = None
        self.volatile_prefixes = set()

    def runtime_dirs(self) -> list[str]:
        """Where the runtime looks for its library and satellites, before the system loader."""
        dirs: list[str] = []
        if self.config.target:
            exe_dir = os.path.dirname(self.config.target)
            dirs += [exe_dir, os.path.normpath(os.path.join(exe_dir, "..", "lib"))]
        dirs += [os.path.join(self.config.root, "target", d) for d in ("debug", "release", "bootstrap")]
        return dirs

    def loader_cannot_find(self, name: str) -> bool:
        """True when the system loader certainly cannot find the bare name `name` (see
        `DeferredIndex.cannot_find`): then `index.library(name)` would only say "not found",
        and asking it would open the ELF layer and stat every search directory."""
        probe = getattr(type(self.index), "cannot_find", None)
        return probe is not None and probe(self.index, name)

    def export_names(self, lib: Library, ref: ProviderRef, step: ProviderStep | None = None,
                     direct_only: bool = False) -> Iterator[Offer]:
        """The function names `lib` (and its dependency tree, unless `direct_only`) offers."""
        objects = [lib.path] if direct_only or not lib.closure else list(lib.closure)
        own_dir_is_system = in_system_dir(lib.path or "")
        for obj in objects:
            if not obj:
                continue
            # dlsym would find libc's names through any library, but offering all of libc
            # for every configured library drowns completion and "did you mean".
            if obj != lib.path and not own_dir_is_system and in_system_dir(obj):
                continue
            try:
                listing = self.index.exports(obj)
            except Exception:  # noqa: BLE001  (a dependency that vanished offers nothing)
                continue
            table = listing.symbols
            fast = getattr(table, "function_names", None)
            names = fast() if fast is not None else [s.name for s in table if s.kind.is_function]
            if step is not None and (step.only is not None or step.prefix is not None):
                names = [n for n in names if step.answers(n)]
            yield names, ref


_SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/")


def in_system_dir(path: str) -> bool:
    return path.startswith(_SYSTEM_DIRS)


def file_identity(path: str | None) -> tuple | None:
    """(size, mtime, inode) of a file the providers read, None when there is none."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


__all__ = ["LibraryProblem", "Offer", "Phase", "ProviderBase", "ProviderContext", "ProviderStep",
           "SymbolProvider", "file_identity", "in_system_dir"]
