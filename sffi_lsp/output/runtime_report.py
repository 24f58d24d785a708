"""`sffi-check runtime`: the runtime's own audit of its externs, for people and CI.

Renders a `RuntimeView` (see `runtime_model`) as text (counts and lists, like
the Simple project's audit table) or as the JSON contract:

    {"version": 1, "source": DIR,
     "interpreter": {"names": [...], "families": [{"prefix", "except", "names"}], "refused_families": [...]},
     "native": {"registered": [...], "definitions": [{"name", "params": [{"name", "type"}], "returns", "path", "line"}]},
     "gaps": {"native_only": [...], "interpreter_only": [...], "declared_native_only": [...]}}

Lines are 1-based, paths relative to DIR. Also writes a built-ins list
(`--write-builtins`) with Simple signatures derived from the Rust definitions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

AUDIT_VERSION = 1


def audit(view, source: str, declared: Iterable[str] = ()) -> dict:
    families = []
    family_names: set[str] = set()
    for index, family in enumerate(view.families):
        names = view.family_names(index)
        family_names.update(names)
        families.append({"prefix": family.prefix, "except": list(family.excludes), "names": names})
    direct = view.interpreter_names()
    registered = view.registered_names()
    native_only = [n for n in registered if not view.interpreter(n).handled]
    interpreter_all = sorted(set(direct) | family_names)
    registered_set = set(registered)
    interpreter_only = [n for n in interpreter_all if n not in registered_set]
    declared_set = set(declared)
    return {
        "version": AUDIT_VERSION,
        "source": source,
        "interpreter": {
            "names": direct,
            "families": families,
            "refused_families": [r.prefix for r in view.refused],
        },
        "native": {
            "registered": registered,
            "definitions": [
                {
                    "name": d.name,
                    "params": [{"name": n, "type": t} for n, t in d.params],
                    "returns": d.returns,
                    "path": d.site.path,
                    "line": d.site.line + 1,
                }
                for d in view.definitions()
            ],
        },
        "gaps": {
            "native_only": native_only,
            "interpreter_only": interpreter_only,
            "declared_native_only": [n for n in native_only if n in declared_set],
        },
    }


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_text(data: dict, notes: Iterable[str] = ()) -> str:
    interp, native, gaps = data["interpreter"], data["native"], data["gaps"]
    family_total = sum(len(f["names"]) for f in interp["families"])
    rows = [
        ("interpreter table / arms / name tests", len(interp["names"])),
        (f"interpreter families ({len(interp['families'])} prefixes)", family_total),
        ("refused families (capability gap)", len(interp["refused_families"])),
        ("registered for compiled code", len(native["registered"])),
        ("C-ABI definitions in the runtime crate", len(native["definitions"])),
        ("registered, reachable by no interpreter path", len(gaps["native_only"])),
        ("handled by the interpreter, not registered", len(gaps["interpreter_only"])),
        ("  of the first, declared by an extern fn in PATHs", len(gaps["declared_native_only"])),
    ]
    width = max(len(label) for label, _ in rows)
    out = [f"runtime sources: {data['source']}", ""]
    out += [f"  {label.ljust(width)}  {count:>6}" for label, count in rows]
    for family in interp["families"]:
        excl = f" except {', '.join(family['except'])}" if family["except"] else ""
        out.append(f"  family {family['prefix']}*{excl}: {len(family['names'])} names")
    if interp["refused_families"]:
        out.append(f"  refused: {', '.join(p + '*' for p in interp['refused_families'])}")

    def listing(title: str, names: list[str]) -> None:
        if names:
            out.append("")
            out.append(f"{title} ({len(names)}):")
            out.extend(f"  {n}" for n in names)

    listing("declared in PATHs, registered for compiled code, reachable by no interpreter path "
            "(fails in bin/simple with `unknown extern function`)", gaps["declared_native_only"])
    listing("registered for compiled code, reachable by no interpreter path", gaps["native_only"])
    listing("handled by the interpreter, not registered for compiled code (`Undefined symbol` compiled)",
            gaps["interpreter_only"])
    notes = list(notes)
    if notes:
        out.append("")
        out.append("notes:")
        out.extend(f"  {n}" for n in notes)
    return "\n".join(out) + "\n"


# -- a built-ins list for users with a runtime installed but not its sources -------------

_INT_TYPES = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize"}
_FLOAT_TYPES = {"f32": "f32", "f64": "f64"}
_TEXT_PTR = ("*const u8", "*const c_char", "*const i8")


def simple_signature(d) -> str | None:
    """`name(a: text, n: i64) -> bool` from a Rust definition, or None when a type has no
    Simple spelling we can be sure of (raw pointers other than text, RuntimeValue, structs)."""
    params: list[str] = []
    items = list(d.params)
    i = 0
    while i < len(items):
        name, rtype = items[i]
        if rtype in _TEXT_PTR and i + 1 < len(items) and items[i + 1][1] in ("u64", "usize", "i64"):
            base = re.sub(r"_(ptr|data|bytes)$", "", name) or name
            params.append(f"{base}: text")
            i += 2
            continue
        simple = _scalar(rtype)
        if simple is None:
            return None
        params.append(f"{name}: {simple}")
        i += 1
    ret = d.returns
    if ret in ("", "()", "!"):
        tail = ""
    else:
        simple = _scalar(ret)
        if simple is None:
            return None
        tail = f" -> {simple}"
    return f"{d.name}({', '.join(params)}){tail}"


def _scalar(rtype: str) -> str | None:
    if rtype in _INT_TYPES:
        return rtype
    if rtype in _FLOAT_TYPES:
        return _FLOAT_TYPES[rtype]
    if rtype == "bool":
        return "bool"
    return None


def builtins_list(view, source: str) -> str:
    names = sorted(view.all_names())
    out = [
        f"# Built-ins of the Simple runtime read from its sources at {source}",
        "# (sffi-check runtime --write-builtins). Use as builtins.lists in sffi.toml.",
    ]
    for name in names:
        d = view.definition(name)
        sig = simple_signature(d) if d is not None else None
        out.append(sig or name)
    return "\n".join(out) + "\n"
