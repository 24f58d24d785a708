"""Configured objects and archives (`.o`, `.a`): what a static link of the program binds.

A bare-metal or compiled Simple program (SimpleOS, the runtime's "Path B") gets its externs
from objects linked statically, not from `dlsym`. Every configured library whose file is a
relocatable object or an archive (by magic; by suffix while it is not built) is an input of
that link, in the configured order, after the program's own references (`ld program.o
FILES...`; see `binary.static_link` for what ld pulls from archives). The link for a source
file takes the inputs serving it (`files` globs), for one machine: the inputs' `target`, else
the configured runtime `target`, else the first object's. An input of another machine is
refused (SFFI002) and provides nothing.

The link binds at build time, whatever the runtime's mode, so this provider answers in the
table phase, before any `dlsym` handle.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...config_paths import path_matches
from ...config_types import TARGET_MACHINES, LibrarySpec
from ..types import ProviderKind, ProviderRef, Resolution, ResolutionStatus
from .protocol import LibraryProblem, Offer, Phase, ProviderBase, ProviderContext

if TYPE_CHECKING:
    from ...binary.static_link import StaticFile, StaticLink
    from ...binary.types import Library, Target

_STATIC_SUFFIXES = (".o", ".a", ".obj", ".lo")


def is_static_spec(spec: LibrarySpec) -> bool:
    """An object or archive by its magic, or by its suffix while the file does not exist."""
    path = spec.spec
    if "/" not in path:
        return False  # a bare name is found by the dynamic linker's search: a shared object
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or a device: it may block
            return path.endswith(_STATIC_SUFFIXES)
        with open(path, "rb", buffering=0) as fh:
            head = fh.read(18)
    except (OSError, ValueError):
        return path.endswith(_STATIC_SUFFIXES)
    if head.startswith((b"!<arch>\n", b"!<thin>\n")):
        return True
    if len(head) == 18 and head.startswith(b"\x7fELF") and head[5] in (1, 2):
        return int.from_bytes(head[16:18], "little" if head[5] == 1 else "big") == 1  # ET_REL
    return False


@dataclass
class StaticScope:
    """The link of the source files served by the same inputs."""

    inputs: tuple[int, ...]  # indices into StaticObjects.specs
    target: Target | None
    link: StaticLink | None = None
    wanted: tuple[str, ...] = ()


class StaticObjects(ProviderBase):
    phase = Phase.TABLE

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self.specs: list[LibrarySpec] = [s for s in ctx.config.libraries if is_static_spec(s)]
        self._reader = None
        self._scopes: dict[tuple[int, ...], StaticScope] = {}
        self._limited = any(s.files for s in self.specs)
        self._libraries: dict[int, Library] = {}
        self._members: dict[tuple, Library] = {}

    # ------------------------------------------------------------------ reading
    @property
    def reader(self):  # noqa: ANN201 -- StaticReader, imported only when there are static inputs
        if self._reader is None:
            from ...binary.static_link import StaticReader  # noqa: PLC0415

            self._reader = StaticReader(self.ctx.config.cache_dir)
        return self._reader

    def file(self, i: int) -> StaticFile:
        return self.reader.read(self.specs[i].spec)

    def _serving(self, source_path: str | None) -> tuple[int, ...]:
        if not self._limited:
            return tuple(range(len(self.specs)))
        src = os.path.abspath(source_path) if source_path else None
        return tuple(i for i, s in enumerate(self.specs)
                     if not s.files or (src is not None and path_matches(src, s.files)))

    def scope_key(self, source_path: str | None) -> tuple[int, ...]:
        # Negative: told apart from the configured (dynamic) libraries' indices in one memo key.
        return tuple(-1 - i for i in self._serving(source_path)) if self._limited else ()

    def _target(self, inputs: Sequence[int]) -> Target | None:
        from ...binary.static_link import target_of  # noqa: PLC0415
        from ...binary.types import Target  # noqa: PLC0415

        for i in inputs:
            t = self.specs[i].target
            if t is None:
                continue
            if t in TARGET_MACHINES:
                return Target(*TARGET_MACHINES[t])
            taken = _target_from_file(t)
            if taken is not None:
                return taken
        if self.ctx.config.target:
            return self.ctx.index.target
        return target_of([self.file(i) for i in inputs])

    def groups(self, inputs: Sequence[int]) -> list[int | None]:
        """Per input, its `--start-group` run: consecutive `group = true` entries among
        `inputs` share a number; None outside any group."""
        out: list[int | None] = []
        run = 0
        for at, i in enumerate(inputs):
            if not self.specs[i].group:
                out.append(None)
                continue
            if at and out[-1] is None:
                run += 1
            out.append(run)
        return out

    def scope(self, source_path: str | None) -> StaticScope:
        inputs = self._serving(source_path)
        sc = self._scopes.get(inputs)
        if sc is None:
            sc = self._scopes[inputs] = StaticScope(inputs, self._target(inputs) if inputs else None)
        return sc

    def link_for(self, source_path: str | None, names: Sequence[str] = ()) -> StaticLink | None:
        """The link of the inputs serving `source_path`, for every name asked of it so far and `names`."""
        sc = self.scope(source_path)
        if not sc.inputs or sc.target is None:
            return None
        new = [n for n in names if n not in sc.wanted]
        if sc.link is None or new:
            from ...binary.static_link import link  # noqa: PLC0415

            sc.wanted = (*sc.wanted, *dict.fromkeys(new))
            sc.link = link([self.file(i) for i in sc.inputs], sc.wanted, sc.target, groups=self.groups(sc.inputs))
        return sc.link

    # ------------------------------------------------------------------ answers
    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        if not self.specs:
            return {}
        result = self.link_for(source_path, names)
        if result is None:
            return {}
        from ...binary.listing import make_found, make_symbol  # noqa: PLC0415
        from ...binary.types import SymbolKind  # noqa: PLC0415

        out: dict[str, Resolution] = {}
        config_file = self.ctx.config.config_file
        for name in names:
            d = result.resolve(name)
            if d is None:
                continue
            sym = d.symbol
            i = self._input_of(d.path)
            lib = self.library(i) if i is not None else None
            shown = f"{os.path.basename(d.path)}({d.member})" if d.member else os.path.basename(d.path)
            provider_path = d.path
            if d.member is not None and lib is not None:
                lib = self._member_library(lib, d.member)
                provider_path = lib.path or d.path
            ref = ProviderRef(ProviderKind.LIBRARY, library=d.path, detail=f"linked statically from {shown}",
                              source=config_file, member=d.member)
            info = _STT_OF_KIND[sym.kind] | ((2 if sym.binding == "weak" else 1) << 4)
            found = make_found(make_symbol(name, info, 0, None, sym.size, sym.value), provider_path, ())
            if sym.kind in (SymbolKind.DATA, SymbolKind.TLS):
                what = "a thread-local variable" if sym.kind is SymbolKind.TLS else "a data object"
                out[name] = Resolution(name, ResolutionStatus.DATA_NOT_FUNCTION, ref, found, lib,
                                       note=f"{shown} defines {name} as {what} ({sym.size} bytes), not a function")
                continue
            note = f"{shown} defines {name}; a static link binds it"
            if sym.binding == "weak":
                note += " (a weak definition: a strong one elsewhere would win)"
            if sym.kind is SymbolKind.OTHER:
                note += "; the symbol has no type (STT_NOTYPE), assumed callable"
            out[name] = Resolution(name, ResolutionStatus.RESOLVED, ref, found, lib, note=note)
        return out

    def _input_of(self, path: str) -> int | None:
        for i, s in enumerate(self.specs):
            if s.spec == path:
                return i
        return None

    def library(self, i: int) -> Library:
        """The input as a `Library` (what findings and hovers name), with its problem if any."""
        lib = self._libraries.get(i)
        if lib is None:
            from ...binary.types import Library  # noqa: PLC0415

            sf = self.file(i)
            problem = sf.problem
            if problem is None:
                problem = self._machine_problem(i, sf)
            ident = sf.watched[0][1] if sf.watched and sf.watched[0][1] else ()
            lib = self._libraries[i] = Library(self.specs[i].spec, sf.real if sf.watched[0][1] else None, problem,
                                               identity=(sf.real, *ident) if ident else ())
        return lib

    def _member_library(self, lib: Library, member: str) -> Library:
        """An archive member as a `Library` named `lib.a(member.o)`: what DWARF is read from."""
        from ...binary.types import Library  # noqa: PLC0415

        key = (lib.path, member)
        held = self._members.get(key)
        if held is None:
            path = f"{lib.path}({member})" if lib.path else None
            held = self._members[key] = Library(f"{lib.spec}({member})", path, None,
                                                identity=(*lib.identity, member) if lib.identity else ())
        return held

    def _machine_problem(self, i: int, sf: StaticFile):  # noqa: ANN202
        from ...binary.relocatable import machine_problem  # noqa: PLC0415

        target = None
        for sc in self._scopes.values():
            if i in sc.inputs and sc.target is not None:
                target = sc.target
                break
        if target is None:
            target = self.scope(None).target if not self.specs[i].files else self._target([i])
        if target is None:
            return None
        for obj in sf.objects:
            if obj is not None:
                p = machine_problem(obj, target)
                if p is not None:
                    return p
        return None

    def problems(self) -> list[LibraryProblem]:
        return [(self.specs[i], self.library(i)) for i in range(len(self.specs))]

    def offers(self) -> Iterator[Offer]:
        for i in range(len(self.specs)):
            lib = self.library(i)
            if lib.problem is not None:
                continue
            sf = self.file(i)
            names = [s.name for o in sf.objects if o is not None for s in o.defined if s.kind.is_function
                     or s.kind.value == "other"]
            yield names, ProviderRef(ProviderKind.LIBRARY, library=sf.path, detail="linked statically",
                                     source=self.ctx.config.config_file)

    def fingerprint(self) -> dict[str, object]:
        if not self.specs:
            return {}
        return {"static": [[s.spec, s.group, [list(i) if i else None for _p, i in self.file(k).watched]]
                           for k, s in enumerate(self.specs)]}

    def stale(self) -> bool:
        return self._reader is not None and self.reader.stale()

    def links(self, source_paths: Sequence[str | None], names_of) -> list[tuple[StaticScope, list[str | None]]]:  # noqa: ANN001
        """Each distinct link of the checked files, linked for all the externs of its files
        (`names_of(path)`), with the files it serves (for the link-level findings)."""
        by_scope: dict[tuple[int, ...], list[str | None]] = {}
        for p in source_paths:
            inputs = self._serving(p)
            if inputs:
                by_scope.setdefault(inputs, []).append(p)
        out = []
        for _inputs, paths in by_scope.items():
            names = [n for p in paths for n in names_of(p)]
            self.link_for(paths[0], names)
            out.append((self.scope(paths[0]), paths))
        return out


_STT_OF_KIND = {"function": 2, "ifunc": 10, "data": 1, "tls": 6, "other": 0}


def _target_from_file(path: str):  # noqa: ANN202 -- Target | None
    from ...binary.elf import read_target  # noqa: PLC0415
    from ...binary.static_link import read_static_file, target_of  # noqa: PLC0415
    from ...binary.types import Target  # noqa: PLC0415

    sf = read_static_file(path)
    t = target_of([sf]) if sf.problem is None else None
    if t is not None:
        return t
    answer = read_target(path)
    return answer if isinstance(answer, Target) else None
