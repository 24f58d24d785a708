"""SFFI001 unresolved-extern."""

from __future__ import annotations

from ..types import Related, ResolutionStatus, Rule, Severity, _new_finding
from ._common import rename_fix, short, with_status
from ._libraries import unloadable_names

RULE = Rule(
    code="SFFI001",
    name="unresolved-extern",
    severity=Severity.ERROR,
    summary="No provider (built-ins, manifest, satellite or configured library) exports this extern.",
    doc="""
## What it does
Resolves every `extern fn` the way a Simple runtime configured like this project
would: the built-in table and prefix families, the plugin manifest, satellite
libraries `libspl_<prefix>.so`, then the configured libraries (and their
dependencies, as `dlsym` searches them). Reports the externs nobody provides,
with "did you mean" suggestions taken from the real exports and built-ins.
An extern that a library could not be loaded for is left to that library's
SFFI002 finding, which lists it, unless a "did you mean" suggests a typo.
Methods of `extern class` blocks are bound through their class, not by bare
name, so this rule (and the other resolution rules) skip them.

## Why is this bad?
The program compiles, then fails at the first call with
`semantic: unknown extern function: NAME`, often far from where it was declared.

## Example
```simple
extern fn rt_file_exsts(path: text) -> bool   # typo: the runtime has rt_file_exists
```
Use instead:
```simple
extern fn rt_file_exists(path: text) -> bool
```
""",
)


def unresolved_reason(res) -> str:
    """The resolution's note as the rest of a sentence that already names the extern."""
    note = res.note.rstrip(".")
    if note.startswith(res.name + " "):
        note = "it " + note[len(res.name) + 1:]
    return note


def check(ctx):
    waiting_on_sffi002 = None
    for source, decl, res in with_status(ctx, ResolutionStatus.UNRESOLVED):
        related: tuple[Related, ...] = ()
        broken: list[str] = []
        suggestions = ctx.suggestions(decl.name)
        if res.absences:  # some library was asked (so the binary layer is loaded already)
            from ...binary.types import AbsenceReason  # noqa: PLC0415

            broken = sorted({lib for lib, a in res.absences if a.reason is AbsenceReason.LIBRARY_NOT_LOADABLE})
            if broken and not suggestions:  # with a "did you mean", a typo rather than the library's
                # The library is what to fix: SFFI002 reports it once and lists this extern.
                if waiting_on_sffi002 is None:
                    waiting_on_sffi002 = unloadable_names(ctx) if ctx.rule_selected("SFFI002") else frozenset()
                if all(b in waiting_on_sffi002 for b in broken):
                    continue
            related = tuple(
                Related(lib, None, f"not in {short(lib)}: {a.detail or a.reason.value}")
                for lib, a in res.absences
                if a.reason not in (AbsenceReason.NOT_PRESENT, AbsenceReason.LIBRARY_NOT_LOADABLE)
            )
        message = f"`{decl.name}` is not provided by any provider"
        if res.note:
            message += f": {unresolved_reason(res)}"
        elif broken:
            message += f" ({', '.join(short(b) for b in broken)} could not be loaded)"
        if suggestions:
            message += "; did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"
        fixes: tuple = ()
        if suggestions:
            fixes = tuple(rename_fix(source, decl, s, ctx.workspace) for s in suggestions)
            fixes = (fixes[0].__class__(fixes[0].title, fixes[0].edits, preferred=True),) + fixes[1:]
        # RULE.finding(...) without the method call and keywords: one per unresolved extern
        yield _new_finding(RULE.code, RULE.name, RULE.severity, decl.path, decl.name_span, message, decl.name,
                           related, fixes, suggestions)
