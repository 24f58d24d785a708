"""SFFI004 compat-or-hidden-symbol."""

from __future__ import annotations

from ..types import ResolutionStatus, Rule, Severity
from ._common import short, with_status

RULE = Rule(
    code="SFFI004",
    name="compat-or-hidden-symbol",
    severity=Severity.ERROR,
    summary="Only a compat (non-default) version or a hidden/local definition of the symbol exists.",
    doc="""
## What it does
Reports an extern that a library defines only in a form `dlsym` cannot return:
a compatibility version (`name@VERSION`, no `@@` default), or a definition with
hidden/internal visibility or local binding.

## Why is this bad?
`nm` shows the name, so it looks available, but the runtime's `dlsym` returns
NULL and the call fails with "unknown extern function". glibc keeps old
functions such as `pthread_atfork` only as compat symbols.

## Example
```simple
extern fn pthread_atfork(prepare: i64, parent: i64, child: i64) -> i32
```
Call a supported replacement, or export a wrapper with default visibility.
""",
)


def check(ctx):
    for status in (ResolutionStatus.COMPAT_ONLY, ResolutionStatus.HIDDEN):
        for _, decl, res in with_status(ctx, status):
            details = [f"{short(lib)}: {a.detail or a.reason.value}" for lib, a in res.absences if a.reason.value in ("compat-only", "hidden", "local")]
            what = "only a compat (non-default) version" if status is ResolutionStatus.COMPAT_ONLY else "only a hidden or local definition"
            lib = res.provider.library if res.provider else None
            where = f" in {short(lib)}" if lib else ""
            msg = f"`{decl.name}` exists{where} as {what}, which dlsym cannot return"
            if details:
                msg += f" ({'; '.join(details)})"
            elif res.note:
                msg += f" ({res.note.rstrip('.')})"
            yield RULE.finding(decl.path, decl.name_span, msg, symbol=decl.name)
