"""The runtime model kept on disk, checked against the identity of every file
and directory it was read from (a new, removed or edited `.rs` file changes
one of them). Plain versioned JSON, written atomically; never pickle."""

from __future__ import annotations

import hashlib
import json
import os
import threading

from ..atomic_file import replace_atomically, stat_identity
from .build import read_runtime
from .model import MODEL_VERSION, RuntimeModel

CACHE_FORMAT = 1
_memo: dict[str, tuple[list, RuntimeModel]] = {}
_memo_lock = threading.Lock()


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sffi-lsp", "runtime")


def _cache_path(root: str, cache_dir: str) -> str:
    digest = hashlib.sha256(os.path.realpath(root).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return os.path.join(cache_dir, f"runtime-{digest}.json")


def _identities(root: str, files: list[str], dirs: list[str]) -> list:
    return [
        [[rel, stat_identity(os.path.join(root, rel))] for rel in files],
        [[rel, stat_identity(os.path.join(root, rel))] for rel in dirs],
    ]


def _still_valid(root: str, identities: list) -> bool:
    files, dirs = identities
    for rel, ident in files:
        if stat_identity(os.path.join(root, rel)) != ident:
            return False
    for rel, ident in dirs:
        if stat_identity(os.path.join(root, rel)) != ident:
            return False
    return True


def load_runtime_model(root: str, cache_dir: str | None = None, *, use_cache: bool = True,
                       jobs: int | None = None) -> RuntimeModel:
    """The model of the checkout at `root`: from memory or disk when no source
    changed, else read afresh (and stored). Never raises for bad sources or a
    broken cache."""
    root = os.path.abspath(root)
    if use_cache:
        with _memo_lock:
            hit = _memo.get(root)
        if hit is not None and _still_valid(root, hit[0]):
            return hit[1]
    cache_dir = cache_dir or default_cache_dir()
    path = _cache_path(root, cache_dir)
    if use_cache:
        model = _load(path, root)
        if model is not None:
            return model
    model, files, dirs = read_runtime(root, jobs)
    identities = _identities(root, files, dirs)
    if use_cache:
        payload = {"format": CACHE_FORMAT, "version": MODEL_VERSION, "root": root, "identities": identities,
                   "model": model.to_json()}
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
        replace_atomically(path, lambda fh: fh.write(data))
        with _memo_lock:
            _memo[root] = (identities, model)
    model.__dict__["identities"] = identities
    model.__dict__["root"] = root
    return model


def is_current(model: RuntimeModel) -> bool:
    """False once a file or directory the model was read from changed."""
    identities = model.__dict__.get("identities")
    root = model.__dict__.get("root")
    return identities is None or root is None or _still_valid(root, identities)


def _load(path: str, root: str) -> RuntimeModel | None:
    try:
        with open(path, "rb") as fh:
            payload = json.loads(fh.read())
        if payload.get("format") != CACHE_FORMAT or payload.get("root") != root:
            return None
        identities = payload["identities"]
        if not _still_valid(root, identities):
            return None
        model = RuntimeModel.from_json(payload["model"])
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    with _memo_lock:
        _memo[root] = (identities, model)
    model.__dict__["identities"] = identities
    model.__dict__["root"] = root
    return model


def forget(root: str | None = None) -> None:
    """Drop the in-memory copy (tests; the server after a watched change)."""
    with _memo_lock:
        if root is None:
            _memo.clear()
        else:
            _memo.pop(os.path.abspath(root), None)
