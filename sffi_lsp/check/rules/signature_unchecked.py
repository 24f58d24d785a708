"""SFFI025 signature-unchecked."""

from __future__ import annotations

from ..types import ResolutionStatus, Rule, Severity
from ._common import with_status

RULE = Rule(
    code="SFFI025",
    name="signature-unchecked",
    severity=Severity.INFO,
    summary="Opt-in: the extern resolves, but no signature was found to check it against (no DWARF entry, no Rust definition).",
    default_enabled=False,
    doc="""
## What it does
Opt-in. Lists the externs that resolve but whose declaration could not be
compared with anything: the library has no debug information or no DWARF entry
for the function (LLVM merges functions with identical code, and the merged
ones lose theirs), the crate of a Rust library is not known (`libraries.sources`)
or does not define it, or the runtime's sources have no C-ABI definition of a
built-in. The summary of every run counts them; this rule names them.

## Why is this bad?
An extern nobody checked can pass the wrong widths or a missing length word,
and nothing says so. Knowing which ones lets you add debug information, point
`libraries.sources` at the crate, or review them by hand.

## Example
```simple
extern fn rt_torchlike_version() -> i64   # merged by LLVM: no DWARF entry of its own
```
""",
)


def unchecked(ctx):
    """(decl, reason) for each resolved extern whose signature could not be checked."""
    from ...binary.types import CSignature  # noqa: PLC0415

    answer_of = getattr(ctx.providers, "signature_answer", None)
    runtime = getattr(ctx.providers, "runtime_source", None)
    runtime = runtime() if callable(runtime) else None
    for _source, decl, res in with_status(ctx, ResolutionStatus.RESOLVED):
        if res.builtin_signature is not None:
            continue
        if res.found is not None and answer_of is not None:
            try:
                answer = answer_of(res)
            except Exception:  # noqa: BLE001
                answer = None
            if not isinstance(answer, CSignature):
                reason = getattr(answer, "reason", "no signature information")
                yield decl, f"no signature to check it against ({reason})"
        elif runtime is not None and res.provider is not None and res.provider.source == runtime.source \
                and (res.provider.detail or "").startswith("runtime sources:"):
            v = runtime.verdicts(decl.name)
            if v is not None and v.definition is None:
                yield decl, "the runtime's sources have no C-ABI definition of it"


def check(ctx):
    for decl, reason in unchecked(ctx):
        yield RULE.finding(decl.path, decl.name_span, f"the signature of `{decl.name}` could not be checked: {reason}",
                           symbol=decl.name)


def count_unchecked(ctx) -> int | None:
    """How many resolved externs had no signature to check (for the CLI summary). Answers
    are memoised by the providers: this asks nothing the rules did not. None on trouble."""
    try:
        return sum(1 for _ in unchecked(ctx))
    except Exception:  # noqa: BLE001  (a count for the summary must not fail a check)
        return None
