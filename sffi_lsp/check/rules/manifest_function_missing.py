"""SFFI014 manifest-function-missing."""

from __future__ import annotations

from ...model import Span
from ..types import Related, Rule, Severity, zero_span
from ._common import short

RULE = Rule(
    code="SFFI014",
    name="manifest-function-missing",
    severity=Severity.ERROR,
    summary="A plugin manifest lists a function that its library does not export.",
    doc="""
## What it does
Reads the plugin manifest (`$SIMPLE_PLUGIN_MANIFEST`, by default
`~/.simple/plugins/manifest.sdn`, or `manifest` in the configuration) and checks
that each function listed under a plugin is exported, as a function, by that
plugin's `library`.

The finding is placed on the manifest line when the manifest lies inside the
checked tree; otherwise on each declaration of that function in the checked
files, or on the manifest itself when nothing declares it.

## Why is this bad?
The runtime trusts the manifest to route the name to the plugin, then fails
to bind it: the call errors out although the manifest says it is provided.

## Example
```sdn
plugins:
    -
        name: demo
        library: /opt/demo/libspl_demo.so
        functions: [rt_demo_open, rt_demo_clsoe]   # typo: the library has rt_demo_close
```
""",
)


def _entries(ctx):
    try:
        return list(ctx.providers.manifest_entries() or ())
    except Exception:  # an unreadable manifest is reported by the providers as a library problem
        return []


def _missing(ctx, entry) -> list[tuple[str, str]]:
    """(function, why) for each listed function the library does not export."""
    explicit = getattr(entry, "missing", None)
    if explicit is not None:
        out = []
        for item in explicit:
            if isinstance(item, tuple):
                name, why = item[0], item[1]
                out.append((name, getattr(why, "detail", None) or getattr(getattr(why, "reason", None), "value", None) or str(why)))
            else:
                out.append((str(item), "not exported"))
        return out
    index = getattr(ctx.providers, "index", None)
    library = getattr(entry, "library", None)
    functions = tuple(getattr(entry, "functions", ()) or ())
    if index is None or not library or not functions:
        return []
    from ...binary.types import Absent, Found  # noqa: PLC0415

    lib = index.library(library)
    if not lib.loadable:
        return []  # SFFI002 reports the library itself
    answers = index.lookup(lib, functions)
    out = []
    for name in functions:
        ans = answers.get(name) if isinstance(answers, dict) else None
        if isinstance(ans, Found):
            if not ans.symbol.kind.is_function:
                out.append((name, f"it is a {ans.symbol.kind.value} symbol, not a function"))
        elif isinstance(ans, Absent):
            out.append((name, ans.detail or ans.reason.value))
    return out


def check(ctx):
    for entry in _entries(ctx):
        missing = _missing(ctx, entry)
        if not missing:
            continue
        manifest = getattr(entry, "source", None) or getattr(entry, "path", None) or ctx.config.manifest or "manifest.sdn"
        fn_lines = getattr(entry, "function_lines", None) or {}
        plugin = getattr(entry, "plugin", None) or getattr(entry, "name", None) or "?"
        library = getattr(entry, "library", None)
        in_tree = ctx.workspace.contains_path(manifest) if ctx.workspace.roots else False
        for name, why in missing:
            at = fn_lines.get(name, 1) if isinstance(fn_lines, dict) else 1
            message = f"manifest plugin '{plugin}' lists `{name}`, but {short(library)} does not export it ({why})"
            related = (Related(manifest, zero_span(max(at - 1, 0)), f"listed by plugin '{plugin}' in {short(manifest)}"),)
            decls = ctx.workspace.externs_named(name)
            if in_tree or not decls:
                column = getattr(entry, "column", 0) if len(getattr(entry, "functions", ())) == 1 else 0
                line0 = max(at - 1, 0)
                span = Span(0, 0, line0, column, line0, column + len(name)) if column else zero_span(line0)
                yield RULE.finding(manifest, span, message, symbol=name)
            else:
                for decl in decls:
                    yield RULE.finding(decl.path, decl.name_span, message, symbol=name, related=related)
