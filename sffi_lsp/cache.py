"""A cache of parsed file models in `<project root>/.sffi_cache/` (safe to delete).

One entry per source file, keyed by its absolute path, size, mtime_ns and the
parser version; a changed key means a re-parse. Entries are pickles, read back by an unpickler that admits only model
types (a planted entry cannot run code), written
atomically (temp file + rename) so a crash or a parallel run never leaves a
half-written entry; an unreadable or corrupt entry is ignored and rewritten.
The directory holds a `.gitignore` containing `*`, so it never shows up in git.
"""

from __future__ import annotations

import copyreg
import dataclasses
import operator
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import model
from .model import SourceFile

# pickle, hashlib, io and the atomic writer (tempfile) are imported when a cache is
# really read or written: `--no-cache` runs never need them. The model reducers below are
# registered at import regardless, as parallel parsing sends models back with them.
if TYPE_CHECKING:
    import pickle

CACHE_DIR_NAME = ".sffi_cache"
_FORMAT = 2  # bump when the entry layout changes


def parser_version() -> str:
    """Changes whenever the parser or the model could produce different results.

    A hash of the identities of the syntax package, the grammar and the model
    sources (which hold `PARSER_VERSION`), so a development edit invalidates
    the cache too."""
    import hashlib  # noqa: PLC0415

    h = hashlib.sha256(str(_FORMAT).encode())
    # `syntax.PARSER_VERSION` is not imported (a warm run need not load the parser): it is
    # written in the syntax sources, whose identities are hashed below.
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.path.join(here, "syntax"), os.path.join(here, "model.py"), os.path.join(here, "grammar"),
             os.path.join(os.path.dirname(here), "grammar")]
    for root in roots:
        for path in _source_files(root):
            try:
                st = os.stat(path)
            except OSError:
                continue
            h.update(f"{os.path.relpath(path, here)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _source_files(root: str) -> list[str]:
    if os.path.isfile(root):
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith((".py", ".lark")))
    return out


def _register_fast_pickling() -> None:
    """Pickle model dataclasses as constructor calls.

    The default path for frozen slotted dataclasses restores each object
    through `dataclasses._dataclass_setstate`, which re-reads the field list
    per object: loading a few hundred cached files spent most of its time
    there. A plain `Cls(*values)` is about ten times faster, and equivalent
    because every model field is an `__init__` parameter."""
    for name in model.__all__:
        cls = getattr(model, name)
        if not dataclasses.is_dataclass(cls) or not isinstance(cls, type):
            continue
        fields = [f.name for f in dataclasses.fields(cls)]
        if not all(f.init for f in dataclasses.fields(cls)):
            continue
        copyreg.pickle(cls, _reducer(cls, fields))


def _reducer(cls, fields):
    if not fields:
        return lambda obj: (cls, ())
    if len(fields) == 1:
        (name,) = fields

        def reduce_one(obj):
            return cls, (getattr(obj, name),)

        return reduce_one
    values = operator.attrgetter(*fields)  # a tuple of the fields, at C speed

    def reduce(obj):
        return cls, values(obj)

    return reduce


_register_fast_pickling()


def _model_unpickler(fh) -> "pickle.Unpickler":
    return _unpickler_classes()["model"](fh)


@dataclass(frozen=True, slots=True)
class FileKey:
    """A source file as it was when parsed: a changed size or mtime means a re-parse."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> "FileKey | None":
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls(os.path.abspath(path), st.st_size, st.st_mtime_ns)


class ModelCache:
    def __init__(self, directory: str, version: str | None = None) -> None:
        self.directory = directory
        self.version = version or parser_version()
        self._ready = False
        self.hits = 0
        self.misses = 0

    def _entry_path(self, path: str) -> str:
        import hashlib  # noqa: PLC0415

        digest = hashlib.sha1(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()
        return os.path.join(self.directory, "models", digest[:2], digest + ".pickle")

    def _ensure_dir(self, sub: str) -> bool:
        try:
            if not self._ready:
                os.makedirs(self.directory, exist_ok=True)
                ignore = os.path.join(self.directory, ".gitignore")
                if not os.path.exists(ignore):
                    with open(ignore, "w", encoding="utf-8") as fh:
                        fh.write("# Created by sffi-check; safe to delete.\n*\n")
                self._ready = True
            os.makedirs(sub, exist_ok=True)
            return True
        except OSError:
            return False

    def get(self, key: FileKey) -> SourceFile | None:
        try:
            with open(self._entry_path(key.path), "rb") as fh:
                stored_key, version, model = _model_unpickler(fh).load()
        except Exception:  # missing, truncated, corrupt or from another Python: just re-parse
            self.misses += 1
            return None
        if stored_key != key or version != self.version or not isinstance(model, SourceFile):
            self.misses += 1
            return None
        self.hits += 1
        return model

    def put(self, key: FileKey, model: SourceFile) -> None:
        target = self._entry_path(key.path)
        sub = os.path.dirname(target)
        if not self._ensure_dir(sub):
            return
        import pickle  # noqa: PLC0415

        from .atomic_file import replace_atomically  # noqa: PLC0415

        try:
            replace_atomically(
                target,
                lambda fh: pickle.dump((key, self.version, model), fh, protocol=pickle.HIGHEST_PROTOCOL),
                suffix=".pickle",
            )
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            pass  # a read-only tree or a full disk only costs speed


# ---------------------------------------------------------------------------------- whole results
# A warm run on an unchanged tree asks exactly the questions of the run before: with the same
# sources (every FileKey), the same code, configuration and provider fingerprint, the findings
# are the same. They are kept in one file, so such a run loads neither models nor answers.

_RESULT_FORMAT = 1


def _result_classes() -> dict[tuple[str, str], type]:
    """What a result entry may hold: model, finding, resolution and ELF answer types."""
    from .binary import types as btypes  # noqa: PLC0415
    from .check import types as ctypes_  # noqa: PLC0415

    allowed: dict[tuple[str, str], type] = {}
    for mod in (model, ctypes_, btypes):
        for name, obj in vars(mod).items():
            if isinstance(obj, type) and obj.__module__ == mod.__name__ and not name.startswith("_"):
                allowed[(mod.__name__, name)] = obj
    return allowed


def _result_dispatch_table(allowed: dict[tuple[str, str], type]) -> dict:
    """Data classes pickled as constructor calls (see `_register_fast_pickling`), for this pickler only."""
    table = copyreg.dispatch_table.copy()
    for cls in allowed.values():
        if dataclasses.is_dataclass(cls) and all(f.init for f in dataclasses.fields(cls)):
            table[cls] = _reducer(cls, [f.name for f in dataclasses.fields(cls)])
    return table


def code_identity() -> str:
    """Identities of the package sources a check's findings depend on (not the adapters)."""
    import hashlib  # noqa: PLC0415

    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for root in (here, os.path.join(os.path.dirname(here), "grammar")):
        for path in _source_files(root):
            rel = os.path.relpath(path, here)
            if rel.startswith(("server" + os.sep, "output" + os.sep)):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


class ResultCache:
    """The findings of the last run and the key they belong to, in `<cache>/results.pickle`.

    The file is a pickle of plain values (key, watched files, two byte strings); the byte
    strings are the findings and what only some formats show (externs, resolutions), each
    unpickled with `_ResultUnpickler` when asked for (`concise` never loads the externs)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, "results.pickle")

    @staticmethod
    def key(*parts) -> str:
        import hashlib  # noqa: PLC0415

        text = repr((_RESULT_FORMAT, parts))
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, key: str) -> "KeptResult | None":
        """The result stored under `key` whose watched files are unchanged, else None (never raises)."""
        from .atomic_file import stat_identity  # noqa: PLC0415

        try:
            with open(self.path, "rb") as fh:
                stored_key, watch, findings, extras = _unpickler_classes()["plain"](fh).load()
            if stored_key != key or not isinstance(watch, dict):
                return None
            for path, ident in watch.items():
                if stat_identity(path) != ident:
                    return None
            if not isinstance(findings, bytes) or not isinstance(extras, bytes):
                return None
        except Exception:  # missing, corrupt, planted or from another version: recompute
            return None
        return KeptResult(findings, extras)

    def put(self, key: str, watch: dict, findings, suppressed: int, externs, resolutions) -> None:
        import io  # noqa: PLC0415
        import pickle  # noqa: PLC0415

        from .atomic_file import replace_atomically  # noqa: PLC0415

        try:
            table = _result_dispatch_table(_result_classes())
            blobs = []
            for part in ((tuple(findings), suppressed), (list(externs), dict(resolutions))):
                buf = io.BytesIO()
                pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = table
                pickler.dump(part)
                blobs.append(buf.getvalue())
            record = (key, dict(watch), blobs[0], blobs[1])
            replace_atomically(
                self.path, lambda fh: pickle.dump(record, fh, protocol=pickle.HIGHEST_PROTOCOL), suffix=".pickle"
            )
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            pass  # a read-only tree or a full disk only costs speed


class KeptResult:
    """A stored result, unpickled part by part on first use."""

    def __init__(self, findings: bytes, extras: bytes) -> None:
        self._blobs = {"findings": findings, "extras": extras}
        self._parts: dict[str, tuple] = {}

    def _part(self, which: str) -> tuple:
        import io  # noqa: PLC0415
        import pickle  # noqa: PLC0415

        part = self._parts.get(which)
        if part is None:
            part = _unpickler_classes()["result"](io.BytesIO(self._blobs[which]), _result_classes()).load()
            if not isinstance(part, tuple) or len(part) != 2:
                raise pickle.UnpicklingError("malformed result entry")
            self._parts[which] = part
        return part

    def findings(self) -> tuple[list, int]:
        """(findings, suppressed count); raises on a malformed entry."""
        findings, suppressed = self._part("findings")
        if not isinstance(findings, tuple) or not isinstance(suppressed, int):
            import pickle  # noqa: PLC0415

            raise pickle.UnpicklingError("malformed findings")
        return list(findings), suppressed

    def externs(self) -> list:
        externs = self._part("extras")[0]
        return externs if isinstance(externs, list) else []

    def resolutions(self) -> dict:
        resolutions = self._part("extras")[1]
        return resolutions if isinstance(resolutions, dict) else {}


_UNPICKLERS: dict[str, type] = {}


def _unpickler_classes() -> dict[str, type]:
    """The restricted unpicklers, defined on first use (so that `pickle` is imported only
    by runs that read a cache): "model", "result" and "plain"."""
    if _UNPICKLERS:
        return _UNPICKLERS
    import pickle  # noqa: PLC0415

    class _ModelUnpickler(pickle.Unpickler):
        """Loads only what `put` writes: model classes, FileKey and plain containers.

        A cache directory can come from anywhere (a checked-out tree, a CI cache),
        and a general unpickler would run any callable a crafted entry names."""

        _ALLOWED = {("builtins", n) for n in ("set", "frozenset", "tuple", "list", "dict")}

        def find_class(self, module: str, name: str):  # noqa: D102
            if module == model.__name__ and name in model.__all__:
                return getattr(model, name)
            if module == __name__ and name == "FileKey":
                return FileKey
            if (module, name) in self._ALLOWED:
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"{module}.{name} is not a cache model type")

    class _ResultUnpickler(pickle.Unpickler):
        """Like `_ModelUnpickler`: data classes and enums of the result, nothing callable else."""

        _BUILTINS = {("builtins", n) for n in ("set", "frozenset", "tuple", "list", "dict")}

        def __init__(self, fh, allowed: dict[tuple[str, str], type]) -> None:
            super().__init__(fh)
            self._allowed = allowed

        def find_class(self, module: str, name: str):  # noqa: D102
            cls = self._allowed.get((module, name))
            if cls is not None:
                return cls
            if (module, name) in self._BUILTINS:
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"{module}.{name} is not a result type")

    class _PlainUnpickler(pickle.Unpickler):
        """Plain values only: no class at all may be named."""

        def find_class(self, module: str, name: str):  # noqa: D102
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")

    _UNPICKLERS.update(model=_ModelUnpickler, result=_ResultUnpickler, plain=_PlainUnpickler)
    return _UNPICKLERS


