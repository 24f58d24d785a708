"""`[[libraries]] target`: the machine a group of static objects and archives is linked for."""

from __future__ import annotations

import os
from collections.abc import Callable

from .config_types import TARGET_MACHINES

LIBRARY_KEYS = ("path", "name", "files", "linked", "sources", "target", "group")
TARGET_DOC = ("Static objects and archives (`.o`, `.a`, linked in the order given, as `ld program.o FILES...`): "
              "the machine they are linked for, as a name (" + ", ".join(f"`{m}`" for m in TARGET_MACHINES)
              + ") or an ELF file to take it from; default: the configured `target`, else the first object's. "
              "An object of another machine is reported (SFFI002) and provides nothing.")


def library_target(text: str, as_path: Callable[[str], str], error: Callable[[str], Exception]) -> str:
    """A known machine name, or (with a `/` or a `.`) a file path; anything else is a config error."""
    if text in TARGET_MACHINES:
        return text
    if "/" in text or os.sep in text or "." in text:
        return as_path(text)
    from difflib import get_close_matches  # noqa: PLC0415

    near = get_close_matches(text, list(TARGET_MACHINES), n=1)
    raise error(f"unknown machine `{text}`" + (f" (did you mean `{near[0]}`?)" if near else "") + "; use one of "
                + ", ".join(TARGET_MACHINES) + " or a file to take it from")


def library_target_of(reader, epath: tuple, fields: dict) -> str | None:  # noqa: ANN001 -- config._Reader
    """The `target` of one `[[libraries]]` table as the config reader validates it (None: not given)."""
    raw, v = fields.get("target", ("target", None))
    if v is None:
        return None
    return library_target(reader._str((*epath, raw), v), lambda t: reader._path((*epath, raw), t),  # noqa: SLF001
                          lambda m: reader.error((*epath, raw), m))
