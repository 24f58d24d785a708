"""SFFI002 library-not-loadable."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._libraries import display_name, lead, library_issues, placements, affected_by_unloadable

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


def check(ctx):
    for issue in library_issues(ctx):
        problem = issue.library.problem
        if problem is None:
            continue
        chain = f" (chain: {' -> '.join(problem.chain)})" if problem.chain else ""
        message = f"{lead(issue)}library `{display_name(issue)}` cannot be loaded: {problem.message}{chain}"
        related = (Related(problem.path, None, f"reason: {problem.reason.value}"),) if problem.path else ()
        for path, span, symbol in placements(ctx, issue, affected_by_unloadable(issue)):
            yield RULE.finding(path, span, message, symbol=symbol, related=related)
