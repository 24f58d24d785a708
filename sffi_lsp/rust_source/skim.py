"""Blank what a signature reader does not need, keeping every line where it was."""

from __future__ import annotations

import re

_ITEM_START = re.compile(rb"[A-Za-z_]")
_FN_HEAD = re.compile(rb"(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"[^\"]*\"\s+)?fn\s")
_SIGNATURE_MARKERS = (b"extern", b"macro_rules!", b"include!", b"mod ")
_MACRO_CALL = re.compile(rb"[A-Za-z_][\w:]*!\s*[({\[]")  # an item-level macro call may generate functions


_ANCHOR = re.compile(rb"^[^ \t\r\n][^\n]*", re.M)


def skim(data: bytes) -> bytes:
    """`data` with what a signature reader does not need turned into blank lines:
    top-level items (rustfmt style: they start and end at column 0) that hold no
    marker, and the bodies of top-level functions. Lines keep their numbers and
    kept lines their columns, so every position read from the result is right.
    Only column-0 lines are looked at, so this costs a fraction of the parse."""
    anchors = [(m.start(), m.end(), m.group()) for m in _ANCHOR.finditer(data)]
    blank: list[tuple[int, int]] = []  # byte ranges to blank (newlines kept)
    i, n = 0, len(anchors)
    while i < n:
        start_pos, _end, text = anchors[i]
        if text[:1] in b"}])":
            i += 1
            continue
        if text.startswith(b"#!"):
            i += 1
            continue
        j = i
        while j < n and (anchors[j][2].startswith(b"#[") or anchors[j][2].startswith(b"//")):
            j += 1
        if j >= n or not _ITEM_START.match(anchors[j][2][:1]):
            i = max(j, i + 1)
            continue
        head_start, head_end, head = anchors[j]
        first = head.rstrip()
        if first.endswith(b";") or (first.endswith(b"}") and first.count(b"{") == first.count(b"}")):
            k = j
        else:
            k = j + 1
            while k < n:
                t = anchors[k][2]
                if t.startswith(b"}") or (t[:1] in b")]" and t.rstrip().endswith(b";")):
                    break
                if t[:1] not in b")]":
                    return data  # column-0 text inside an item: not the layout we understand
                k += 1
            if k >= n:
                return data
        item_end = anchors[k][1]
        chunk = data[start_pos:item_end]
        if not any(marker in chunk for marker in _SIGNATURE_MARKERS) and not _MACRO_CALL.match(head):
            blank.append((start_pos, item_end))
        elif k > j and _FN_HEAD.match(head) and anchors[k][2].startswith(b"}"):
            body_open = data.find(b"{\n", head_start, anchors[k][0])
            if body_open != -1:
                blank.append((body_open + 2, anchors[k][0]))
        i = k + 1
    if not blank:
        return data
    pieces, pos = [], 0
    for a, b in blank:
        pieces.append(data[pos:a])
        pieces.append(b"\n" * data.count(b"\n", a, b))
        pos = b
    pieces.append(data[pos:])
    return b"".join(pieces)
