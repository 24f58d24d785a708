"""SFFI011 call-arity-mismatch."""

from __future__ import annotations

from ..types import Related, Rule, Severity, _new_finding
from ._common import is_class_member

RULE = Rule(
    code="SFFI011",
    cross_file=True,
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
    # Tens of thousands of calls: per call only dictionary look-ups; arity ranges and
    # declaration texts are computed once per declaration.
    memo: dict = {}
    ranges: dict[int, tuple[int, int]] = {}
    related_for: dict[int, tuple[Related, ...]] = {}
    declared = set(ctx.workspace.extern_names())  # most calls are to other functions: skip them first
    messages: dict[tuple[str, int, int], str] = {}
    # RULE.finding without the method call and keywords (thousands of findings on a big tree)
    new_finding, code, rule_name, severity = _new_finding, RULE.code, RULE.name, RULE.severity
    for source in ctx.workspace.files:
        local_externs: dict[str, object] = {}
        ambiguous: set[str] = set()
        for e in source.externs:
            if is_class_member(e):
                continue  # called as `Class.method(...)`, which this rule does not follow
            first = local_externs.setdefault(e.name, e)
            if first is not e and _arity_range(first) != _arity_range(e):
                ambiguous.add(e.name)  # SFFI010 reports the disagreement
        local_fns: set[str] | None = None
        for call in source.calls:
            name = call.name
            if name not in declared or call.qualified:
                continue
            count = call.arg_count
            if count is None or name in ambiguous:
                continue
            decl = local_externs.get(name)
            if decl is None:
                if local_fns is None:
                    local_fns = {f.name for f in source.functions}
                if name in local_fns:
                    continue
                decl = _workspace_arity(ctx, name, memo)
                if decl is None:
                    continue
            key = id(decl)
            arity = ranges.get(key)
            if arity is None:
                arity = ranges[key] = _arity_range(decl)
            low, high = arity
            if low <= count <= high:
                continue
            message = messages.get((name, count, key))
            if message is None:
                want = str(high) if low == high else f"{low} to {high}"
                noun = "argument" if count == 1 else "arguments"
                message = messages[(name, count, key)] = \
                    f"`{name}` is called with {count} {noun} but its extern declares {want}"
            related = related_for.get(key)
            if related is None:
                related = related_for[key] = (
                    Related(decl.path, decl.name_span, f"declared as `{decl.signature_text()}`"),)
            yield new_finding(code, rule_name, severity, source.path, call.args_span or call.span, message, name,
                              related, (), ())
