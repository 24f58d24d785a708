"""SFFI002 library-not-loadable."""

from __future__ import annotations

import os

from ..types import Related, Rule, Severity
from ._common import where
from ._libraries import affected_externs, display_name, lead, library_issues, placements, waiting_on

# Related notes listed per finding: enough to see which externs wait on the library, few
# enough that an editor's problem view stays readable on a tree with hundreds of them.
MAX_RELATED_EXTERNS = 20

RULE = Rule(
    code="SFFI002",
    name="library-not-loadable",
    severity=Severity.ERROR,
    summary="A configured, manifest or satellite library cannot be loaded (missing dependency, linker script, wrong machine, ...).",
    doc="""
## What it does
Reads each library the runtime would open the way the dynamic linker does and
reports why it cannot be loaded: not found, a dangling symlink, a directory or
FIFO, unreadable, empty, a linker script (`GROUP ( ... )`), a static archive,
not ELF, truncated or corrupt, the wrong ELF class, byte order or machine, not
a shared object, or a `DT_NEEDED` dependency that cannot be found (with the
whole chain).

Every extern the broken library was asked for is listed with the finding (as
related information, and by name in the message); those externs are not each
reported as unresolved (SFFI001) as well, since the library, not each name, is
what to fix (with SFFI002 switched off they are). An extern with a "did you
mean" among the providers that do load keeps its SFFI001: it is more likely a
typo than the broken library's.

A library configured in an `sffi.toml` inside the checked tree is reported on
its configuration line. Otherwise the finding is placed on the first
unresolved extern of each file the library serves (or, failing that, on the
library path itself).

## Why is this bad?
A library that cannot be loaded provides nothing: every extern it was meant to
provide fails at run time, and the error message the runtime prints rarely
says why.

## Example
```toml
libraries = ["/usr/lib/x86_64-linux-gnu/libc.so"]   # a linker script, not a library
```
Use the real shared object (`libc.so.6`).
""",
)


def reason_text(problem, names) -> str:
    """The loader's sentence without the library's name repeated at its start."""
    text = problem.message
    for name in sorted(names, key=len, reverse=True):
        for lead_in in (f"{name} cannot be loaded: ", f"{name}: "):
            if text.startswith(lead_in):
                return text[len(lead_in):]
        if text.startswith(name + " "):
            return "it " + text[len(name) + 1:]
    return text


def _waiting(decls) -> str:
    names = list(dict.fromkeys(d.name for d in decls))
    if not names:
        return ""
    shown = ", ".join(f"`{n}`" for n in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"; {len(names)} extern{'s' if len(names) != 1 else ''} it was asked for stay unresolved: {shown}{more}"


def check(ctx):
    for issue in library_issues(ctx):
        problem = issue.library.problem
        if problem is None:
            continue
        lib = issue.library
        names = {x for x in (lib.spec, lib.path, problem.path) if x}
        names |= {os.path.basename(x) for x in names}
        chain = f" (chain: {' -> '.join(problem.chain)})" if problem.chain else ""
        affected = waiting_on(ctx, issue)
        waiting = affected_externs(ctx, issue, affected)
        message = (f"{lead(issue)}library `{display_name(issue)}` cannot be loaded: {reason_text(problem, names)}"
                   f"{chain}{_waiting(waiting)}")
        reason = (Related(problem.path, None, f"reason: {problem.reason.value}"),) if problem.path else ()
        for path, span, symbol in placements(ctx, issue, affected):
            others = [d for d in waiting if not (d.path == path and d.name == symbol)]
            related = reason + tuple(
                Related(d.path, d.name_span, f"`{d.name}` is unresolved until the library loads")
                for d in others[:MAX_RELATED_EXTERNS]
            )
            if len(others) > MAX_RELATED_EXTERNS:
                last = others[MAX_RELATED_EXTERNS]
                related += (Related(last.path, last.name_span,
                                    f"and {len(others) - MAX_RELATED_EXTERNS} more externs "
                                    f"(first: `{last.name}`, {where(last.path, last.name_span)})"),)
            yield RULE.finding(path, span, message, symbol=symbol, related=related)
