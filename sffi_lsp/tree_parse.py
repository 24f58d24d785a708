"""Parsing a whole tree for `sffi-check`: focused models (calls of possible externs only),
forked workers on idle cores, and the model store (`cache.ModelStore`) kept in step.

`parse_all(files, store, jobs, quiet)` is the entry point: `store=None` for `--no-cache`.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Sequence

from .cache import FileKey, ModelStore
from .model import SourceFile, Span, SyntaxProblem

SERIAL_BELOW = 48  # files to parse; below this a process pool costs more than it saves
PROGRESS_ABOVE = 200  # files; progress bar only for runs this long, and only on a terminal
# problems that say nothing about the file's text: not stored, and the run's result not kept
_TRANSIENT_PROBLEMS = ("cannot read", "internal parser error")


def _parser():
    try:
        from .syntax import parse_file  # noqa: PLC0415
    except ImportError:  # older layout: the function lives in the parser module
        from .syntax.parser import parse_file  # noqa: PLC0415
    return parse_file


def _parse_path(path: str, focus: frozenset[str] | None = None) -> SourceFile:
    """Parse one file; never raises (a worker crash must not take the run with it)."""
    try:
        return _parser()(path, focus) if focus is not None else _parser()(path)
    except OSError as exc:
        problem = f"cannot read file: {exc.strerror or exc}"
    except Exception as exc:  # the parser promises not to raise; keep a bug visible but contained
        problem = f"internal parser error ({type(exc).__name__}: {exc}); externs in this file were not read"
    return SourceFile(path=path, problems=[SyntaxProblem(problem, Span(0, 0, 0, 0, 0, 0))])


class Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and total > 0
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def parse_all(files: Sequence[str], store: ModelStore | None, jobs: int, quiet: bool) -> list[SourceFile]:
    try:
        if store is None:
            return _parse_focused(files, jobs)
        return _parse_stored(files, store, jobs, quiet)
    finally:
        gc.freeze()  # the models live until exit: keep later collections from rescanning them


# A store whose focus has grown past this many names beyond what the tree can declare
# (externs renamed or deleted over many runs) is rebuilt rather than grown further.
_STALE_FOCUS = 2_000


def _parse_stored(files: Sequence[str], store: ModelStore, jobs: int, quiet: bool) -> list[SourceFile]:
    """Models of `files` from the model store where unchanged, parsed otherwise; the store is
    rewritten (once) when anything changed.

    Every model is parsed as `--no-cache` parses (read all texts of the files to parse,
    focus on the names the tree could declare as externs) and encoded with
    `syntax.codec` (forked workers encode their own share), so an empty store costs the
    run little more than `--no-cache`: no second parse, one file written."""
    # Models, stored entries and texts are hundreds of thousands of small acyclic objects:
    # the cyclic GC would rescan them all again and again (measured: a third of a run
    # that loads a big store). The parser pauses it per file anyway.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_stored_gc_off(files, store, jobs, quiet)
    finally:
        if enabled:
            gc.enable()


def _parse_stored_gc_off(files: Sequence[str], store: ModelStore, jobs: int, quiet: bool) -> list[SourceFile]:
    import re  # noqa: PLC0415

    from .cache import StoredModel  # noqa: PLC0415
    from .syntax.parser import extern_name_candidates, read_text  # noqa: PLC0415

    n = len(files)
    stored = store.load()
    keys = [FileKey.of(p) for p in files]
    fresh: dict[int, StoredModel] = {}
    for i, key in enumerate(keys):
        entry = stored.fresh(key) if key is not None else None
        if entry is not None:
            fresh[i] = entry
    texts: list[str | None] = [None] * n

    def read(i: int) -> None:
        try:
            texts[i] = read_text(files[i])
        except (OSError, ValueError):
            texts[i] = None  # parse_file reports it

    for i in range(n):
        if i not in fresh:
            read(i)
    candidates = [fresh[i].candidates if i in fresh else
                  (extern_name_candidates([texts[i]]) or frozenset()) if texts[i] is not None else frozenset()
                  for i in range(n)]
    wanted = frozenset().union(*candidates)
    focus = wanted
    if stored.focus is not None and fresh:
        if len(stored.focus - wanted) > _STALE_FOCUS:
            for i in fresh:
                read(i)
            fresh.clear()
        else:
            focus = stored.focus | wanted
            new = wanted - stored.focus
            if new:
                # Names no stored model kept calls of: the files that mention one are re-parsed.
                mention = re.compile("|".join(map(re.escape, sorted(new, key=len, reverse=True))))
                for i in list(fresh):
                    read(i)
                    if texts[i] is None or mention.search(texts[i]):
                        del fresh[i]
    todo = [i for i in range(n) if i not in fresh]
    store.hits, store.misses = len(fresh), len(todo)
    progress = Progress(len(todo), not quiet and sys.stderr.isatty() and n > PROGRESS_ABOVE)
    models: list[SourceFile | None] = [None] * n
    encoded: list[bytes | None] = [None] * n
    try:
        for i, entry in fresh.items():
            models[i] = entry.model(files[i])
            encoded[i] = entry.blob
            if models[i] is None:  # undecodable entry: parse it too
                read(i)
                todo.append(i)
        todo.sort()
        done = None
        todo_files = [files[i] for i in todo]
        todo_texts = [texts[i] for i in todo]
        texts = []  # (each text is let go once parsed: `_parse_texts`)
        if jobs > 1 and len(todo) >= SERIAL_BELOW:
            done = _parse_forked(todo_files, todo_texts, focus, jobs, progress, encode=True)
        if done is None:
            from .syntax.codec import dumps  # noqa: PLC0415

            done = []
            for k in range(len(todo)):
                m = _parse_texts(todo_files, todo_texts, focus, range(k, k + 1))[0]
                done.append((m, dumps(m)))
                progress.step()
    finally:
        progress.close()
    for i, (m, enc) in zip(todo, done):
        models[i], encoded[i] = m, enc
    entries: dict[str, StoredModel] = {}
    for i, key in enumerate(keys):
        m = models[i]
        if key is None or encoded[i] is None or m is None:
            continue
        if any(p.message.startswith(_TRANSIENT_PROBLEMS) for p in m.problems):
            continue  # an unreadable file now may be readable next time
        entries[key.path] = StoredModel(key.size, key.mtime_ns, candidates[i], encoded[i])
    store.focus = focus  # what the models of this run keep calls of (the incremental record's too)
    if todo or len(stored.entries) != len(entries) or focus != stored.focus:
        ok = store.save(focus, entries)
    else:
        ok = True  # the store already holds exactly these
    # whether every model with externs can be read back from the store (the result cache
    # then refers to it instead of writing the externs again)
    store.saved_all = ok and all(not m.externs or keys[i] is not None and keys[i].path in entries
                                 for i, m in enumerate(models) if m is not None)
    return models  # type: ignore[return-value]


# (paths, texts or None to read, focus, encode) for forked workers: inherited, not sent
_FORKED: tuple[Sequence[str], list[str | None], frozenset[str] | None, bool] | None = None


def _parse_focused(files: Sequence[str], jobs: int) -> list[SourceFile]:
    """Models for a run that stores none (--no-cache): only what the check reads.

    Every text is read first; the names that could be externs anywhere in the
    tree (`extern_name_candidates`) then bound which calls and functions the
    models keep: rules look at calls of externs only, and most calls are not
    (bench_syntax tree: 26,660 calls, 3,673 kept). Workers are forked with the
    texts in memory and send back these smaller models as `syntax.codec` bytes."""
    # (the cyclic GC off for the whole parse, as in `_parse_stored`: measured on the
    # issue-14 tree, --jobs 1, 8.6 -> 7.1 CPU s; parse_source pauses it per file only,
    # and the collections between files rescanned every model made so far)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_focused_gc_off(files, jobs)
    finally:
        if enabled:
            gc.enable()


def _parse_focused_gc_off(files: Sequence[str], jobs: int) -> list[SourceFile]:
    from .syntax.parser import extern_name_candidates, parse_file, read_text  # noqa: PLC0415

    texts: list[str | None] = []
    for path in files:
        try:
            texts.append(read_text(path))
        except (OSError, ValueError):
            texts.append(None)  # parse_file reports it
    focus = extern_name_candidates(t for t in texts if t is not None)
    models: list[SourceFile] | None = None
    if jobs > 1 and len(files) >= SERIAL_BELOW:
        forked = _parse_forked(files, texts, focus, jobs, Progress(0, False))
        models = None if forked is None else [m for m, _ in forked]
    if models is None:
        models = _parse_texts(files, texts, focus, range(len(files)))
    if focus is not None and any(e.name not in focus for m in models for e in m.externs):
        # (cannot happen by construction; if it ever did, calls would be missing)
        models = [parse_file(p) for p in files]
    return models


def _parse_forked(files: Sequence[str], texts: list[str | None], focus: frozenset[str] | None, jobs: int,
                  progress: "Progress", encode: bool = False) -> list[tuple[SourceFile, bytes | None]] | None:
    """(model, encoded model or None) of `files` (`texts`: already read, or None to read),
    parsed by `jobs - 1` forked workers and this process; None where processes cannot be
    forked (the caller parses serially). `encode`: also encode each model for the store
    (`syntax.codec`); workers then send encoded models, which this process decodes.

    The parent parses the first share itself (its models need no transfer);
    a worker sends its models as `syntax.codec` bytes, which the parent decodes,
    so workers get a bigger share each (measured on 4,000 files of the issue-14 tree:
    pickling the models 1.55 CPU s, unpickling 0.76; codec dumps 0.30, loads 0.71)."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    from .syntax.positions import register_process_pickling  # noqa: PLC0415

    global _FORKED
    n = len(files)
    workers = jobs - 1
    # parent's share: a worker's file costs the parent a decode (~0.2x of its parse)
    # and the worker an encode (~0.08x); the shares are balanced on what each process spends
    own = int(n * 0.9 / (0.9 + workers))
    step = max(1, -(-(n - own) // workers))
    batches = [range(i, min(n, i + step)) for i in range(own, n, step)]
    _FORKED = (files, texts, focus, encode)
    try:
        register_process_pickling()
        ctx = multiprocessing.get_context("fork")  # ValueError where there is no fork
        from .syntax.codec import dumps, loads  # noqa: PLC0415

        # (workers keep the parent's GC state: the models are acyclic, and a collection in
        # a fork would also touch, and so copy, every page the parent left behind)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_parse_batch, b) for b in batches]
            # (the workers are forked by now, with their own copies of the texts)
            for i in range(own, n):
                texts[i] = None
            mine = _parse_texts(files, texts, focus, range(own))
            if encode:
                out: list[tuple[SourceFile, bytes | None]] = [(m, dumps(m)) for m in mine]
            else:
                out = [(m, None) for m in mine]
            progress.step(len(out))
            for batch, f in zip(batches, futures):
                got = [(_decoded(b, files[i]), b if encode and isinstance(b, bytes) else None) for i, b in zip(batch, f.result())]
                out.extend(got)
                progress.step(len(got))
        return out
    except (OSError, RuntimeError, ImportError, ValueError):  # no process support here (sandbox)
        return None
    finally:
        _FORKED = None


def _parse_batch(indices: range) -> list[bytes | SourceFile]:
    """A worker's share: its models' store bytes (`syntax.codec.dumps`), which are all
    the parent needs: it decodes them (and, with `encode`, stores them as they are).
    A model the codec cannot write is sent as it is (pickled)."""
    assert _FORKED is not None
    files, texts, focus, _ = _FORKED
    from .syntax.codec import dumps  # noqa: PLC0415

    out: list[bytes | SourceFile] = []
    for m in _parse_texts(files, texts, focus, indices):
        try:
            out.append(dumps(m))
        except Exception:  # (never seen; a model must still arrive)
            out.append(m)
    return out


def _decoded(sent: "bytes | SourceFile", path: str) -> SourceFile:
    if isinstance(sent, SourceFile):
        return sent
    from .syntax.codec import loads  # noqa: PLC0415

    try:
        return loads(sent, path)
    except ValueError:  # cannot happen for bytes `dumps` just wrote; parse it here then
        return _parse_path(path)


def _parse_texts(files: Sequence[str], texts: list[str | None], focus: frozenset[str] | None,
                 indices: range) -> list[SourceFile]:
    """Models of `files[i]` for i in `indices`; each text is let go once parsed (the
    models are all that is kept: 47 MB of text on the issue-14 tree), so a text that
    is None by then is read again."""
    from .syntax.parser import parse_source  # noqa: PLC0415

    out = []
    for i in indices:
        text = texts[i]
        texts[i] = None
        out.append(parse_source(text, files[i], focus) if text is not None else _parse_path(files[i], focus))
    return out


def idle_cores() -> int:
    """Cores not already busy (count minus the 1-minute load average), at least 1.

    A worker on a busy core only adds process start-up and model transfer to
    the run (measured: 2 workers on a loaded 2-core machine took 1.6x the
    serial time), so by default the pool only uses cores that are idle."""
    n = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on this platform
        return n
    # a core counts as idle unless it is at least three quarters busy (the
    # 1-minute average lags: a command run just before still weighs ~0.5)
    return max(1, min(n, -int(-(n - load - 0.25) // 1)))
