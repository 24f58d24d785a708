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
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass

from . import model
from .model import SourceFile

CACHE_DIR_NAME = ".sffi_cache"
_FORMAT = 2  # bump when the entry layout changes


def parser_version() -> str:
    """Changes whenever the parser or the model could produce different results.

    Uses `sffi_lsp.syntax.PARSER_VERSION` when the parser declares one, and in
    any case a hash of the syntax package, the grammar and the model sources,
    so a development edit invalidates the cache too."""
    h = hashlib.sha256(str(_FORMAT).encode())
    try:
        from . import syntax  # noqa: PLC0415

        h.update(str(getattr(syntax, "PARSER_VERSION", "")).encode())
    except Exception:  # the cache must never be the reason a run fails
        pass
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
    getters = [f for f in fields]

    def reduce(obj):
        return cls, tuple(getattr(obj, f) for f in getters)

    return reduce


_register_fast_pickling()


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


@dataclass(frozen=True, slots=True)
class FileKey:
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
                stored_key, version, model = _ModelUnpickler(fh).load()
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
        try:
            fd, tmp = tempfile.mkstemp(dir=sub, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump((key, self.version, model), fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            pass  # a read-only tree or a full disk only costs speed
