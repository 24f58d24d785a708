"""Where a file's DWARF is: its own sections, a `.gnu_debuglink` file, or a relocatable member of
an archive (read in memory from the mapped archive, never extracted to disk). Used inside the
DWARF worker process only (it imports pyelftools)."""

from __future__ import annotations

import os
from typing import Any


class NoDwarf(Exception):
    """No usable debug information (the reason is the message)."""


def debug_file(path: str, elf: Any) -> str | None:
    """The .gnu_debuglink target, looked up where gdb looks: same dir, .debug/, /usr/lib/debug."""
    sec = elf.get_section_by_name(".gnu_debuglink")
    if sec is None:
        return None
    from .debug_sections import find_debug_file  # noqa: PLC0415  (the same places as the in-process test)

    name = sec.data().split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return find_debug_file(path, name)


def archive_member_path(path: str) -> tuple[str, str] | None:
    """`/x/libk.a(uart.o)` -> (`/x/libk.a`, `uart.o`) when that names a member of an existing archive
    (how the static-link provider names an object inside an archive)."""
    if not path.endswith(")") or "(" not in path or os.path.exists(path):
        return None
    archive, _, member = path[:-1].partition("(")
    return (archive, member) if os.path.isfile(archive) and member else None


def member_stream(archive: str, member: str) -> Any:
    """The member's bytes in memory (read in place from the mapped archive, never extracted to disk)."""
    import io  # noqa: PLC0415

    from .archive import Archive  # noqa: PLC0415
    from .elf import ElfFormatError  # noqa: PLC0415

    try:
        ar = Archive(archive)
    except ElfFormatError as e:
        raise NoDwarf(e.message) from None
    try:
        m = next((m for m in ar.members if m.name == member), None)
        if m is None:
            raise NoDwarf(f"{archive} has no member {member}")
        if m.external is not None:
            with open(m.external, "rb") as fh:
                return io.BytesIO(fh.read(m.size + 1)[: m.size])
        return io.BytesIO(ar.mm[m.data_offset: m.data_offset + m.size])
    finally:
        ar.close()


_RELOCATION_PATCHED = False


def tolerate_unsupported_relocations() -> None:
    """Relocating an ET_REL object's DWARF, pyelftools gives up on the whole file at the first
    relocation type it has no recipe for (R_X86_64_DTPOFF32 on a `__thread` variable's location).
    Such a relocation is left unapplied instead: it touches a variable's location expression,
    never a function's name, parameters or types."""
    global _RELOCATION_PATCHED
    if _RELOCATION_PATCHED:
        return
    from elftools.common.exceptions import ELFRelocationError  # noqa: PLC0415
    from elftools.elf.relocation import RelocationHandler  # noqa: PLC0415

    apply = RelocationHandler._do_apply_relocation

    def apply_known(self, stream, reloc, symtab):  # noqa: ANN001, ANN202
        try:
            return apply(self, stream, reloc, symtab)
        except ELFRelocationError as e:
            if "Unsupported relocation type" not in str(e):
                raise
            return None

    RelocationHandler._do_apply_relocation = apply_known
    _RELOCATION_PATCHED = True


def open_member_dwarf(path: str, streams: list) -> tuple[Any, str] | None:
    """The DWARF of `lib.a(member.o)` (pyelftools applies its `.rela.debug_*`); None for a plain path."""
    inside = archive_member_path(path)
    if inside is None:
        return None
    from elftools.elf.elffile import ELFFile  # noqa: PLC0415

    stream = member_stream(*inside)
    streams.append(stream)
    elf = ELFFile(stream)
    if not elf.has_dwarf_info(strict=True):
        raise NoDwarf("no debug information")
    return elf.get_dwarf_info(), path


def identity_path(path: str) -> str:
    """The file whose identity stands for `path` (a member changes with its archive)."""
    inside = archive_member_path(path)
    return inside[0] if inside is not None else path
