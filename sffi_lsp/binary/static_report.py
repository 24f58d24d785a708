"""`sffi-check symbols FILE.o|FILE.a [NAME...]`: what a static link can bind from objects and archives."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from . import elfspec as S
from .relocatable import ObjectSymbol, RelocatableObject
from .report import _table
from .static_link import StaticFile, StaticReader, link


def is_static_input(path: str) -> bool:
    """A regular file that is an archive or an ET_REL object (read by magic, never by suffix)."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb", buffering=0) as fh:
            head = fh.read(S.EI_NIDENT + 2)
    except OSError:
        return False
    if head.startswith(S.ARMAG) or head.startswith(S.THIN_ARMAG):
        return True
    if len(head) == S.EI_NIDENT + 2 and head.startswith(S.ELFMAG) and head[S.EI_DATA] in (S.ELFDATA2LSB, S.ELFDATA2MSB):
        order = "little" if head[S.EI_DATA] == S.ELFDATA2LSB else "big"
        return int.from_bytes(head[S.EI_NIDENT:], order) == S.ET_REL
    return False


def _machine(obj: RelocatableObject) -> str:
    name = S.MACHINE_NAMES.get(obj.machine, f"machine {obj.machine}")
    return f"{name} {obj.elf_class}-bit {'little' if obj.little_endian else 'big'}-endian"


def _row(sym: ObjectSymbol, obj: RelocatableObject) -> dict:
    return {"name": sym.name, "kind": sym.kind.value, "binding": "common" if sym.common else sym.binding,
            "size": sym.size, "library": obj.path, "member": obj.member}


def _head(sf: StaticFile) -> list[str]:
    out = [f"library: {sf.path}", f"kind: {'thin archive' if sf.thin else 'archive' if sf.archive else 'relocatable object'}"]
    if sf.problem is not None:
        out.append(f"NOT USABLE [{sf.problem.reason.value}]: {sf.problem.message}")
    machines = sorted({_machine(o) for o in sf.objects if o is not None})
    if machines:
        out.append("machine: " + ", ".join(machines))
    if sf.archive:
        out.append(f"members: {len(sf.members)}, symbol index: {len(sf.index)} entries")
    for p in sf.member_problems:
        if p is not None:
            out.append(f"unreadable member [{p.reason.value}]: {p.message}")
    return out


def render_static_symbols(reader: StaticReader, path: str, names: Sequence[str], *, as_json: bool = False
                          ) -> tuple[str, bool]:
    """Every definition a static link can bind (no names), or per name what `ld` would bind it to.

    Returns the text and whether everything asked for is there (for the exit status)."""
    text, ok = _render(reader, path, names, as_json)
    # Names that are not UTF-8 are kept as surrogates (to match them exactly); shown, they are replaced.
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), ok


def _render(reader: StaticReader, path: str, names: Sequence[str], as_json: bool) -> tuple[str, bool]:
    sf = reader.read(path)
    objs = [o for o in sf.objects if o is not None]
    if names:
        target = objs[0].target if objs else None
        result = link([sf], names, target) if target is not None else None
        items = []
        for n in names:
            d = result.resolve(n) if result is not None else None
            if d is not None:
                obj = next(o for o in result.linked if o.path == d.path and o.member == d.member)
                items.append({**_row(d.symbol, obj), "found": True})
            else:
                why = (f"{sf.problem.message}" if sf.problem is not None else
                       f"no linkable object of {sf.path} defines {n} as a global or weak symbol")
                items.append({"name": n, "found": False, "detail": why})
        ok = sf.problem is None and all(i["found"] for i in items)
        if as_json:
            return json.dumps({"library": _file_json(sf), "names": items}, indent=2, ensure_ascii=False), ok
        rows = [[i["name"], i["kind"], i["binding"], str(i["size"]), i["member"] or "-", "found"] if i["found"] else
                [i["name"], "-", "-", "-", "-", f"absent: {i['detail']}"] for i in items]
        return "\n".join(_head(sf) + ["", _table(rows, ["NAME", "KIND", "BINDING", "SIZE", "MEMBER", "RESULT"])]), ok
    pairs = sorted(((s, o) for o in objs for s in o.defined), key=lambda p: (p[0].name, p[1].member or ""))
    if as_json:
        return json.dumps({"library": _file_json(sf), "symbols": [_row(s, o) for s, o in pairs]}, indent=2, ensure_ascii=False), sf.usable
    funcs = sum(1 for s, _o in pairs if s.kind.is_function)
    rows = [[s.name, s.kind.value, "common" if s.common else s.binding, str(s.size), o.member or "-"] for s, o in pairs]
    summary = f"{len(pairs)} linkable definitions ({funcs} functions, {len(pairs) - funcs} data/other)"
    return "\n".join(_head(sf) + [summary, "", _table(rows, ["NAME", "KIND", "BINDING", "SIZE", "MEMBER"])]), sf.usable


def _file_json(sf: StaticFile) -> dict:
    return {"path": sf.path, "archive": sf.archive, "thin": sf.thin, "usable": sf.usable,
            "problem": None if sf.problem is None else {"reason": sf.problem.reason.value, "message": sf.problem.message},
            "members": list(sf.members) if sf.archive else [],
            "unreadable_members": [{"reason": p.reason.value, "message": p.message}
                                   for p in sf.member_problems if p is not None]}
