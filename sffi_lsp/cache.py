"""The caches in `<project root>/.sffi_cache/` (safe to delete): models and whole results.

`ModelStore` keeps the parsed model of every file of a tree in one file (see
"model store" below), keyed by absolute path, size, mtime_ns and the parser
version; a changed key means a re-parse. `ResultCache` keeps the findings of
the last run for an unchanged tree. Both write atomically (temp file +
rename), so a crash or a parallel run never leaves a half-written file, and
read back with unpicklers that cannot run code (a planted file is a miss).
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
    per object. A plain `Cls(*values)` is about ten times faster, and
    equivalent because every model field is an `__init__` parameter. (Used by
    the result cache and by parallel parsing; the model store uses
    `syntax.codec`.)"""
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


# ---------------------------------------------------------------------------------- model store
# The models of a whole tree live in one file, `<cache>/models.pickle`, written once per run
# that changed something (one temp file + rename: no per-file files, no fsync storm):
#
#   ("sffi-models", STORE_FORMAT, parser version, focus, entries)
#   entries: a tuple of (path, size, mtime_ns, candidates, model bytes)
#
# `model bytes` is `syntax.codec.dumps(model)` (nested tuples of plain values, pickled
# without memo), decoded only when the file's model is asked for, and written back as they
# are when the file is unchanged; the whole file is a pickle of plain values read by an
# unpickler that may name no class. `candidates` are the names the file could declare as
# externs (`extern_name_candidates`); `focus` is the set of names whose calls and functions
# every stored model keeps (a model is parsed with `parse_source(..., focus=)`: only calls
# that could reach an extern are kept, which is what the checker reads and about a fifth of
# all calls). A run whose tree can declare a name outside `focus` re-parses the stored files
# that mention it (see `tree_parse.parse_all`) and stores the grown focus.

MODELS_FILE = "models.pickle"
STORE_FORMAT = 3  # bump when the layout above changes (the codec has its own version inside)


@dataclass(slots=True)
class StoredModel:
    """One file of the store: its key, candidate names and model bytes (decoded on demand)."""

    size: int
    mtime_ns: int
    candidates: frozenset[str]
    blob: bytes

    def model(self, path: str) -> SourceFile | None:
        """The stored model, or None when the entry cannot be decoded."""
        from .syntax.codec import loads  # noqa: PLC0415

        try:
            return loads(self.blob, path)
        except ValueError:
            return None


@dataclass(slots=True)
class StoredTree:
    """What `ModelStore.load` read: the focus and the entries by absolute path."""

    focus: frozenset[str] | None = None  # None: nothing stored
    entries: dict[str, StoredModel] = dataclasses.field(default_factory=dict)

    def fresh(self, key: "FileKey") -> StoredModel | None:
        """The entry of `key.path` if the file is unchanged since it was stored."""
        entry = self.entries.get(key.path)
        if entry is not None and entry.size == key.size and entry.mtime_ns == key.mtime_ns:
            return entry
        return None


class ModelStore:
    """The model cache of a tree: `load()` everything stored, `save()` a whole tree.

    Shared by the CLI and the language server. Never raises: an absent, corrupt,
    planted or outdated file loads as an empty `StoredTree`, and a directory that
    cannot be written only costs speed."""

    def __init__(self, directory: str, version: str | None = None) -> None:
        self.directory = directory
        self.version = version or parser_version()
        self.path = os.path.join(directory, MODELS_FILE)
        self.hits = 0
        self.misses = 0
        self.saved_all = False  # set by the CLI's parse: the store holds every model of the run
        self.focus: frozenset[str] | None = None  # set by the CLI's parse: the focus of its models

    def load(self) -> StoredTree:
        import gc  # noqa: PLC0415

        enabled = gc.isenabled()
        gc.disable()  # hundreds of thousands of acyclic tuples: no cyclic collections while they load
        try:
            with open(self.path, "rb") as fh:
                record = _unpickler_classes()["plain"](fh).load()
            magic, fmt, version, focus, entries = record
            if magic != "sffi-models" or fmt != STORE_FORMAT or version != self.version:
                return StoredTree()
            if not isinstance(focus, frozenset) or not isinstance(entries, tuple):
                return StoredTree()
            out: dict[str, StoredModel] = {}
            for path, size, mtime_ns, candidates, encoded in entries:
                if (isinstance(path, str) and type(size) is int and type(mtime_ns) is int
                        and isinstance(candidates, frozenset) and isinstance(encoded, bytes)):
                    out[path] = StoredModel(size, mtime_ns, candidates, encoded)
            return StoredTree(focus, out)
        except Exception:  # missing, truncated, corrupt, planted or from another version: re-parse
            return StoredTree()
        finally:
            if enabled:
                gc.enable()

    def save(self, focus: frozenset[str], entries: dict[str, StoredModel]) -> bool:
        """Replace the store with `entries` (absolute path -> entry), all parsed with `focus`."""
        import pickle  # noqa: PLC0415

        from .atomic_file import replace_atomically  # noqa: PLC0415

        if not self._ensure_dir():
            return False
        record = ("sffi-models", STORE_FORMAT, self.version, frozenset(focus),
                  tuple((p, e.size, e.mtime_ns, e.candidates, e.blob) for p, e in entries.items()))

        def write(fh) -> None:
            pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True  # no memo: plain values and bytes (4x faster to write)
            pickler.dump(record)

        try:
            return replace_atomically(self.path, write, suffix=".pickle")
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
            return False  # a model that cannot be stored only costs speed

    def _ensure_dir(self) -> bool:
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# Created by sffi-check; safe to delete.\n*\n")
            return True
        except OSError:
            return False


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

    def put(self, key: str, watch: dict, findings, suppressed: int, externs, resolutions,
            extern_files: "list[str] | None" = None) -> None:
        """Store a result. `extern_files`: the files whose stored models (`ModelStore`, written
        by this run) hold `externs`, in order; they are then read from there when asked for
        instead of being written twice."""
        import io  # noqa: PLC0415
        import pickle  # noqa: PLC0415

        from .atomic_file import replace_atomically  # noqa: PLC0415

        try:
            table = _result_dispatch_table(_result_classes())
            from .syntax.codec import encode_externs  # noqa: PLC0415

            blobs = []
            # Externs travel as codec tuples (C-level field reads; 5x cheaper than their
            # reducers), and nothing is memoised: the values form a tree (measured on the
            # issue-14 tree: storing the result went from 3.4 s to a fraction of a second).
            # Resolutions: one per extern *name* shared by its declarations: each once, plus
            # (path, name, index) per declaration.
            table_of: dict[int, int] = {}
            unique: list = []
            keys = []
            for (path, name), res in resolutions.items():
                at = table_of.get(id(res))
                if at is None:
                    at = table_of[id(res)] = len(unique)
                    unique.append(res)
                keys.append((path, name, at))
            kept_externs = ("store", tuple(extern_files)) if extern_files is not None else encode_externs(externs)
            for part in ((tuple(findings), suppressed), (kept_externs, (tuple(unique), tuple(keys)))):
                buf = io.BytesIO()
                pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.fast = True
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

    def externs(self, store: "ModelStore") -> list:
        """The externs of the result; raises when they cannot be had (the caller re-checks)."""
        from .syntax.codec import decode_externs, loads_externs  # noqa: PLC0415

        kept = self._part("extras")[0]
        if len(kept) == 2 and kept[0] == "store":
            tree = store.load()
            out: list = []
            for path in kept[1]:
                key = FileKey.of(path)
                entry = tree.fresh(key) if key is not None else None
                if entry is None:
                    raise LookupError(f"{path}: not in the model store")
                out.extend(loads_externs(entry.blob, path))
            return out
        return decode_externs(kept)

    def resolutions(self) -> dict:
        unique, keys = self._part("extras")[1]
        return {(path, name): unique[at] for path, name, at in keys}


_UNPICKLERS: dict[str, type] = {}


def _unpickler_classes() -> dict[str, type]:
    """The restricted unpicklers, defined on first use (so that `pickle` is imported only
    by runs that read a cache): "result" and "plain"."""
    if _UNPICKLERS:
        return _UNPICKLERS
    import pickle  # noqa: PLC0415

    class _ResultUnpickler(pickle.Unpickler):
        """Data classes and enums of the result, nothing callable else (a cache directory can come
        from anywhere: a checked-out tree, a CI cache)."""

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

    _UNPICKLERS.update(result=_ResultUnpickler, plain=_PlainUnpickler)
    return _UNPICKLERS


