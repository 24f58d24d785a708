"""Which sources built a library: its DWARF compile units' names and directories
(top entries only), read in a one-shot child process with the DWARF worker's
memory cap and the caller's time limit (`python -m sffi_lsp.binary.dwarf_units PATH`).
Never loads or runs the library."""

from __future__ import annotations

import json
import subprocess
import sys

MAX_UNITS = 20000  # compile units looked at per file


def compile_units(path: str, timeout: float = 10.0) -> list[tuple[str, str]]:
    """(name, comp_dir) of every compile unit of `path`'s DWARF; [] when there is none or it fails."""
    try:
        proc = subprocess.run([sys.executable, "-m", "sffi_lsp.binary.dwarf_units", path], capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        units = json.loads(proc.stdout or b"[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    if not isinstance(units, list):
        return []
    return [(str(u[0]), str(u[1])) for u in units if isinstance(u, list) and len(u) == 2]


def _text(attr) -> str:
    value = getattr(attr, "value", None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def main(argv: list[str]) -> int:
    from .dwarf import _close_streams, _limit_memory, _open_dwarf  # noqa: PLC0415

    _limit_memory()
    streams: list = []
    units = []
    try:
        dwarf, _source = _open_dwarf(argv[0], streams)
        for i, cu in enumerate(dwarf.iter_CUs()):
            if i >= MAX_UNITS:
                break
            attrs = cu.get_top_DIE().attributes
            units.append([_text(attrs.get("DW_AT_name")), _text(attrs.get("DW_AT_comp_dir"))])
    except Exception:  # noqa: BLE001 -- no or hostile DWARF: no units
        units = []
    finally:
        _close_streams(streams)
    sys.stdout.write(json.dumps(units))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
