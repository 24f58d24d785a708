"""The `ExportIndex` a configuration asks for, and `DeferredIndex`: one made on first use."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...config import ConfigError
from ...config_types import Config
from .listings import ANY_DEFAULT_DIRS, LD_CACHE, WINDOW, Listings

if TYPE_CHECKING:
    from ...binary import ExportIndex


def index_for_config(config: Config, **kwargs: Any) -> "ExportIndex":
    """An ExportIndex set up as the configuration says (target machine, search paths, cache).

    Without a configured `target` the index is made on first use (`DeferredIndex`): a tree
    whose externs no library can answer never loads the ELF layer."""
    if not config.target:
        return DeferredIndex(cache_dir=config.cache_dir, search_paths=tuple(config.search_paths), **kwargs)  # type: ignore[return-value]
    from ...binary import ExportIndex, read_target  # noqa: PLC0415
    from ...binary.types import LoadProblem  # noqa: PLC0415

    answer = read_target(config.target)
    if isinstance(answer, LoadProblem):
        raise ConfigError(f"{config.config_file or 'configuration'}: target: {answer.message}",
                          config.config_file, "target")
    return ExportIndex(target=answer, cache_dir=config.cache_dir, search_paths=tuple(config.search_paths), **kwargs)


class DeferredIndex:
    """An `ExportIndex` created on first use, with one question it answers without it.

    Every attribute but `cannot_find` and `stale` is the real index's (created then). For a
    tree with no library, runtime library or satellite the real index is never needed: the
    only questions are "does the system loader find libsimple_runtime.so / libspl_<p>.so?",
    and `cannot_find` answers "certainly not" from one listing of each directory the
    loader searches and the ld.so cache's strings, instead of a load attempt per name.
    """

    def __init__(self, *, cache_dir=None, search_paths: Sequence[str] = (),
                 ld_library_path: Sequence[str] | None = None, **kwargs: Any) -> None:
        import _thread  # noqa: PLC0415  (threading itself costs a millisecond to import)

        self._kwargs = dict(kwargs, cache_dir=cache_dir, search_paths=tuple(search_paths),
                            ld_library_path=ld_library_path)
        if ld_library_path is None:  # as ExportIndex: the environment when it is made
            value = os.environ.get("LD_LIBRARY_PATH")
            ld_library_path = [p or "." for p in value.replace(";", ":").split(":")] if value else []
            self._kwargs["ld_library_path"] = list(ld_library_path)
        self._dirs = tuple(dict.fromkeys([*ld_library_path, *(os.path.abspath(p) for p in search_paths),
                                          *ANY_DEFAULT_DIRS]))
        self._real: Any = None
        self._lock = _thread.allocate_lock()
        self._places = Listings()
        self._union: tuple[float, frozenset[str] | None] = (-1.0, None)  # (when, names in any searched dir)
        # Names whose load attempt was skipped: a file appearing under one of them in a
        # searched directory, or a new ld.so cache, makes `stale()` true, as the index's
        # own watch of a failed attempt would.
        self._skipped: dict[str, None] = {}
        self._skipped_cache: tuple | None = None

    def _index(self):
        real = self._real
        if real is None:
            with self._lock:
                if self._real is None:
                    from ...binary import ExportIndex  # noqa: PLC0415

                    self._real = ExportIndex(**self._kwargs)
                real = self._real
        return real

    def __getattr__(self, name: str) -> Any:  # only for names not defined here
        if name.startswith("_"):  # own state (also while copy/pickle make one without __init__)
            raise AttributeError(name)
        return getattr(self._index(), name)

    def cannot_find(self, name: str) -> bool:
        """True when `dlopen(name)` of a bare name certainly fails with "not found": no
        directory the loader searches has an entry of that name (a dangling link or an
        unreadable file counts as an entry: the real index then decides) and no ld.so
        cache string ends in it."""
        if "/" in name or not name:
            return False
        now = time.monotonic()
        places = self._places
        held_at, union = self._union
        if now - held_at >= WINDOW:  # re-validate every directory, then answer from one set
            names: set[str] | None = set()
            for d in self._dirs:
                entries = places.entries(d, now)
                if entries is None:
                    names = None
                    break
                names.update(entries)
            union = frozenset(names) if names is not None else None
            self._union = (now, union)
        if union is None or name in union:
            return False
        if places.cache_may_hold(name, now):
            return False
        if not self._skipped:
            self._skipped_cache = places.cache_identity()
        self._skipped[name] = None
        return True

    def stale(self) -> bool:
        if self._skipped:
            try:
                st = os.stat(LD_CACHE)
                ident: tuple | None = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                ident = None
            if ident != self._skipped_cache or any(
                    os.path.lexists(os.path.join(d, n)) for n in self._skipped for d in self._dirs):
                return True
        return bool(self._real.stale()) if self._real is not None else False


__all__ = ["DeferredIndex", "index_for_config"]
