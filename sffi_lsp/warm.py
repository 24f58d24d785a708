"""Warm `sffi-check` runs: the last run's printed answer, served without building findings.

A run on an unchanged tree (same sources by size and mtime, same code, configuration,
provider fingerprint and watched files: `cli._result_key`) prints exactly what the run
before printed. So besides its findings (`cache.ResultCache`), a run keeps what it wrote
to stdout, per way of printing (`render_key`: format, colour, `--statistics`), in
`<cache>/answer-<render>.bin`:

    b"SFFIANSW" | header length (8 bytes, big-endian) | header (plain pickle) | text

    header: (ANSWER_FORMAT, result key, render key, watched files, severity counts,
             suppressed, unchecked, files checked, text length, crc32 of the text)

A warm unchanged run then reads one file and writes its text: no model, no finding, no
rendering (on the issue-14 tree the findings alone took 0.7 s to unpickle and 0.2 s to
render). A missing, truncated, corrupt, foreign or outdated file is a miss: the run
checks as it would have without it. The header is read by an unpickler that may name no
class, so a planted file cannot run code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ANSWER_FORMAT = 1  # bump when the layout above changes
_MAGIC = b"SFFIANSW"
_MAX_HEADER = 1 << 26  # a watched-files dict is small; anything bigger is not ours


def render_key(fmt: str, color: bool, statistics: bool) -> str:
    """The way of printing a stored answer is kept for ("concise", "full-color", "json-statistics")."""
    return fmt + ("-color" if color else "") + ("-statistics" if statistics else "")


def answer_path(directory: str, render: str) -> str:
    return os.path.join(directory, f"answer-{render}.bin")


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What a run printed and the figures of its summary line."""

    text: bytes  # stdout, UTF-8 (already made valid: output.encoding)
    counts: dict[str, int]  # severity value -> findings
    suppressed: int
    unchecked: int | None
    files: int

    @property
    def has_errors(self) -> bool:
        return self.counts.get("error", 0) > 0


def read_answer(directory: str, key: str, render: str) -> StoredAnswer | None:
    """The answer stored under `key` for `render` whose watched files are unchanged; else None.
    Never raises."""
    try:
        import pickle  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        from .atomic_file import stat_identity  # noqa: PLC0415
        from .cache import _unpickler_classes  # noqa: PLC0415

        with open(answer_path(directory, render), "rb") as fh:
            data = fh.read()
        if data[:8] != _MAGIC:
            return None
        size = int.from_bytes(data[8:16], "big")
        if size > _MAX_HEADER or 16 + size > len(data):
            return None
        import io  # noqa: PLC0415

        header = _unpickler_classes()["plain"](io.BytesIO(data[16:16 + size])).load()
        fmt, stored_key, stored_render, watch, counts, suppressed, unchecked, files, length, crc = header
        if fmt != ANSWER_FORMAT or stored_key != key or stored_render != render:
            return None
        text = data[16 + size:]
        if len(text) != length or zlib.crc32(text) != crc:
            return None
        if not isinstance(watch, dict) or not isinstance(counts, tuple):
            return None
        for path, ident in watch.items():
            if stat_identity(path) != ident:
                return None
        by = {}
        for sev, n in counts:
            if not isinstance(sev, str) or type(n) is not int:
                return None
            by[sev] = n
        if type(suppressed) is not int or type(files) is not int or not (unchecked is None or type(unchecked) is int):
            return None
        return StoredAnswer(text, by, suppressed, unchecked, files)
    except Exception:  # noqa: BLE001  (missing, corrupt, planted: check instead)
        return None


def write_answer(directory: str, key: str, render: str, watch: dict, answer: StoredAnswer) -> bool:
    """Keep `answer` for the next run with the same key and way of printing. A cache that
    cannot be written only costs speed (False)."""
    import pickle  # noqa: PLC0415
    import zlib  # noqa: PLC0415

    from .atomic_file import replace_atomically  # noqa: PLC0415

    header = pickle.dumps((ANSWER_FORMAT, key, render, dict(watch), tuple(sorted(answer.counts.items())),
                           answer.suppressed, answer.unchecked, answer.files, len(answer.text),
                           zlib.crc32(answer.text)), protocol=pickle.HIGHEST_PROTOCOL)

    def write(fh) -> None:
        fh.write(_MAGIC)
        fh.write(len(header).to_bytes(8, "big"))
        fh.write(header)
        fh.write(answer.text)

    try:
        return replace_atomically(answer_path(directory, render), write, suffix=".bin")
    except (OSError, ValueError):
        return False
