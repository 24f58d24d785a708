"""The forms configuration values take: `~` and `$VAR` expansion, absolute paths, path globs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
GLOB_CHARS = re.compile(r"[*?\[]")


def expand_text(value: str, env: Mapping[str, str]) -> str:
    """`~` and `$VAR`/`${VAR}` expanded with `env`; an undefined variable is an error."""

    def var(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in env:
            raise ValueError(f"environment variable ${name} is not set")
        return env[name]

    value = _VAR_RE.sub(var, value)
    if value == "~" or value.startswith("~/"):
        home = env.get("HOME") or os.path.expanduser("~")
        value = home + value[1:]
    return value


def absolute_path(value: str, base_dir: str, env: Mapping[str, str]) -> str:
    value = expand_text(value, env)
    if not os.path.isabs(value):
        value = os.path.join(base_dir, value)
    return os.path.normpath(value)


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A path glob: `**` spans directories, `*` and `?` stay inside one."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(path: str, patterns: Sequence[str]) -> bool:
    """True when `path` matches one of the globs (same form: both absolute or both relative)."""
    norm = path.replace(os.sep, "/")
    return any(glob_to_regex(p.replace(os.sep, "/")).match(norm) for p in patterns)


__all__ = ["GLOB_CHARS", "absolute_path", "expand_text", "glob_to_regex", "path_matches"]
