"""SFFI011 call-arity-mismatch."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._common import is_class_member

RULE = Rule(
    code="SFFI011",
    name="call-arity-mismatch",
    severity=Severity.ERROR,
    summary="A call passes a different number of arguments than its extern declares.",
    doc="""
## What it does
Matches unqualified calls (`rt_x(a, b)`) with the extern they call: the
declaration in the same file, else the declarations elsewhere in the tree when
they all agree on the arity. Calls to a same-named local function, calls
without parentheses and calls with spread arguments are skipped.

## Why is this bad?
An extern call is not checked like a normal call: missing arguments are read
from whatever the registers hold.

## Example
```simple
extern fn rt_buf_copy(dst: i64, src: i64, n: i64)
fn copy(a: i64, b: i64):
    rt_buf_copy(a, b)        # 2 arguments, 3 declared
```
""",
)


def _arity_range(decl) -> tuple[int, int]:
    required = sum(1 for p in decl.params if p.default_text is None)
    return required, len(decl.params)


def _workspace_arity(ctx, name: str, memo: dict):
    """The one declaration that fixes the arity of `name` across the tree, or None."""
    if name not in memo:
        decls = [d for d in ctx.workspace.externs_named(name) if not is_class_member(d)]
        memo[name] = decls[0] if decls and len({_arity_range(d) for d in decls}) == 1 else None
    return memo[name]


def check(ctx):
    memo: dict = {}
    for source in ctx.workspace.files:
        local_externs: dict[str, object] = {}
        ambiguous: set[str] = set()
        for e in source.externs:
            if is_class_member(e):
                continue  # called as `Class.method(...)`, which this rule does not follow
            first = local_externs.setdefault(e.name, e)
            if first is not e and _arity_range(first) != _arity_range(e):
                ambiguous.add(e.name)  # SFFI010 reports the disagreement
        local_fns = {f.name for f in source.functions}
        for call in source.calls:
            if call.qualified or call.arg_count is None or call.name in ambiguous:
                continue
            decl = local_externs.get(call.name)
            if decl is None:
                if call.name in local_fns:
                    continue
                decl = _workspace_arity(ctx, call.name, memo)
                if decl is None:
                    continue
            low, high = _arity_range(decl)
            if low <= call.arg_count <= high:
                continue
            want = str(high) if low == high else f"{low} to {high}"
            noun = "argument" if call.arg_count == 1 else "arguments"
            yield RULE.finding(
                source.path,
                call.args_span or call.span,
                f"`{call.name}` is called with {call.arg_count} {noun} but its extern declares {want}",
                symbol=call.name,
                related=(Related(decl.path, decl.name_span, f"declared as `{decl.signature_text()}`"),),
            )
