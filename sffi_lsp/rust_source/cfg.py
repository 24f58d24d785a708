"""`#[cfg(...)]` conditions: parsed from their text and evaluated for a build.

A condition is kept as its text by the reader; whoever asks whether code
counts evaluates it against a `CfgEnvironment` (which features are on, which
target). `test` never holds: code under `#[cfg(test)]` is not the runtime."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),=]))')


@dataclass(frozen=True)
class CfgEnvironment:
    """The build a condition is judged for. `features=None` means every feature is on."""

    features: frozenset[str] | None = None
    target_os: str = "linux"
    target_family: str = "unix"
    target_arch: str = "x86_64"
    target_pointer_width: str = "64"
    extra: frozenset[str] = field(default_factory=frozenset)  # other bare flags that hold

    def holds(self, key: str, value: str | None) -> bool | None:
        if key == "test" or key == "doctest" or key == "miri":
            return False
        if value is None:
            if key in ("unix", "windows"):
                return self.target_family == key
            if key in ("debug_assertions",):
                return True
            return True if key in self.extra else None  # a custom `--cfg` flag: unknown
        if key == "feature":
            return True if self.features is None else value in self.features
        if key == "target_os":
            return value == self.target_os
        if key == "target_family":
            return value == self.target_family
        if key == "target_arch":
            return value == self.target_arch
        if key == "target_pointer_width":
            return value == self.target_pointer_width
        if key == "target_env":
            return value == "gnu"
        if key == "target_vendor":
            return value == "unknown"
        return None  # a predicate we do not model


def parse_cfg(text: str):
    """The condition inside `cfg(...)` as a tree: ("pred", key, value|None),
    ("all"|"any", [children]), ("not", child). None when it cannot be read."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            return None
        pos = m.end()
        if m.group("str") is not None:
            tokens.append(("str", m.group("str")[1:-1]))
        elif m.group("ident") is not None:
            tokens.append(("ident", m.group("ident")))
        else:
            tokens.append(("p", m.group("punct")))
    out, i = _parse(tokens, 0)
    if out is None or i != len(tokens):
        return None
    return out


def _parse(tokens, i):
    if i >= len(tokens) or tokens[i][0] != "ident":
        return None, i
    key = tokens[i][1]
    i += 1
    if key in ("all", "any", "not") and i < len(tokens) and tokens[i] == ("p", "("):
        i += 1
        children = []
        while i < len(tokens) and tokens[i] != ("p", ")"):
            child, i = _parse(tokens, i)
            if child is None:
                return None, i
            children.append(child)
            if i < len(tokens) and tokens[i] == ("p", ","):
                i += 1
        if i >= len(tokens):
            return None, i
        i += 1
        if key == "not":
            return (("not", children[0]) if len(children) == 1 else None), i
        return (key, children), i
    if i < len(tokens) and tokens[i] == ("p", "="):
        if i + 1 < len(tokens) and tokens[i + 1][0] == "str":
            return ("pred", key, tokens[i + 1][1]), i + 2
        return None, i
    return ("pred", key, None), i


def evaluate_cfg(text: str, env: CfgEnvironment) -> bool:
    """Whether code under `#[cfg(text)]` is compiled for `env`. An unreadable
    condition or one whose predicates we do not model counts as holding: the
    reader would rather know a name than invent its absence."""
    tree = parse_cfg(text)
    if tree is None:
        return True
    result = _eval(tree, env)
    return True if result is None else result


def _eval(tree, env: CfgEnvironment) -> bool | None:
    kind = tree[0]
    if kind == "pred":
        return env.holds(tree[1], tree[2])
    if kind == "not":
        inner = _eval(tree[1], env)
        return None if inner is None else not inner
    values = [_eval(c, env) for c in tree[1]]
    if kind == "all":
        if any(v is False for v in values):
            return False
        return None if any(v is None for v in values) else True
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def is_test_only(text: str) -> bool:
    """`cfg(test)` and anything that needs `test` to hold (`all(test, unix)`)."""
    tree = parse_cfg(text)
    if tree is None:
        return False
    return _eval(tree, CfgEnvironment(extra=frozenset())) is False and _mentions_test(tree)


def _mentions_test(tree) -> bool:
    kind = tree[0]
    if kind == "pred":
        return tree[1] in ("test", "doctest")
    if kind == "not":
        return False
    return any(_mentions_test(c) for c in tree[1])


def all_hold(conditions: tuple[str, ...], env: CfgEnvironment) -> bool:
    return all(evaluate_cfg(c, env) for c in conditions)
