"""C signatures from DWARF, read in a separate, limited worker process.

pyelftools can hang or blow up on a hostile file (see shared/elf-facts.md), so the caller
never parses DWARF itself. A `DwarfWorker` keeps one long-lived `python -m sffi_lsp.binary.dwarf
--serve` process (started on first need, so the 0.5-1.5 s start and pyelftools import are paid
once) and talks to it in JSON lines. Every request has a wall-clock limit enforced by the caller
(the worker is killed and restarted on the next request when it is exceeded, or when the worker
dies); the worker caps its address space with RLIMIT_AS and gives each request its own CPU-time
budget with RLIMIT_CPU. Within the worker, `.debug_aranges` maps a symbol's address to its
compile unit so only that unit is walked, and opened debug information is kept for the next
request while the file is unchanged.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict
from typing import Any

from .dwarf_sources import NoDwarf as _NoDwarf
from .dwarf_sources import debug_file as _debug_file
from .dwarf_sources import identity_path, open_member_dwarf
from .dwarf_sources import tolerate_unsupported_relocations as _tolerate_unsupported_relocations
from .types import CParam, CSignature, CType, NoSignature

MEMORY_LIMIT = 2 << 30  # bytes of address space for the worker
MAX_DIES = 500_000  # DIEs visited per name asked, a bound against pathological units
MAX_TYPE_DEPTH = 24
OPEN_FILES = 4  # debug information kept open in the worker between requests
MAX_ANSWER = 64 << 20  # bytes: a worker answer larger than this is refused

# DWARF constants (DWARF 5, section 7): tags and base-type encodings by name.
DW_ATE = {1: "address", 2: "bool", 3: "complex_float", 4: "float", 5: "signed", 6: "signed_char", 7: "unsigned",
          8: "unsigned_char", 0x10: "utf"}
_KIND_OF_TAG = {"DW_TAG_base_type": "base", "DW_TAG_pointer_type": "pointer", "DW_TAG_reference_type": "pointer",
                "DW_TAG_rvalue_reference_type": "pointer", "DW_TAG_structure_type": "struct",
                "DW_TAG_class_type": "struct", "DW_TAG_union_type": "union", "DW_TAG_enumeration_type": "enum",
                "DW_TAG_array_type": "array", "DW_TAG_subroutine_type": "function", "DW_TAG_unspecified_type": "void"}
_QUALIFIERS = {"DW_TAG_const_type": "const", "DW_TAG_volatile_type": "volatile", "DW_TAG_restrict_type": "restrict",
               "DW_TAG_atomic_type": "_Atomic"}


# ---------------------------------------------------------------------------- caller side
class WorkerFailure(Exception):
    """The worker gave no usable answer (timed out, died, could not start): a transient reason."""


class DwarfWorker:
    """One long-lived DWARF worker process, shared by the threads of its owner.

    Requests are serialised by a lock. A request that exceeds its time limit, or a worker that
    dies, costs that request (its names get a "timed out"/"failed" NoSignature) and the process;
    the next request starts a fresh one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._owner = os.getpid()
        self._buffer = b""
        self._next_id = 0
        self.starts = 0  # processes started so far (for tests and diagnostics)
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def request(self, targets: dict[str, tuple[str, int]], timeout: float = 10.0, *, op: str = "signatures",
                arg: float = 0.0) -> dict[str, Any]:
        """name -> raw JSON answer from the worker; raises WorkerFailure with a reason."""
        with self._lock:
            deadline = time.monotonic() + timeout
            proc = self._ensure_started()
            self._next_id += 1
            rid = self._next_id
            line = json.dumps({"id": rid, "op": op, "arg": arg, "timeout": timeout,
                               "targets": {n: [p, a] for n, (p, a) in targets.items()}}) + "\n"
            try:
                assert proc.stdin is not None
                proc.stdin.write(line.encode("utf-8", "surrogateescape"))
                proc.stdin.flush()
            except (OSError, ValueError):
                self._kill()
                raise WorkerFailure("reading debug information failed (the worker stopped)") from None
            reply = self._read_line(proc, deadline, timeout)
            try:
                answer = json.loads(reply)
            except ValueError:
                self._kill()
                raise WorkerFailure("the debug-information worker gave no answer") from None
            if not isinstance(answer, dict) or answer.get("id") != rid or not isinstance(answer.get("answer"), dict):
                self._kill()
                raise WorkerFailure("the debug-information worker gave no answer")
            if answer.get("exit"):
                self._kill()  # it asked to be replaced (e.g. after running out of memory)
            return answer["answer"]

    def _ensure_started(self) -> subprocess.Popen:
        if self._owner != os.getpid():  # a forked child: the process and its pipes are the parent's
            self._proc, self._buffer, self._owner = None, b"", os.getpid()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        self._kill()
        pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self._proc = subprocess.Popen(_worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, env=env, bufsize=0, close_fds=True)
        except OSError as e:
            raise WorkerFailure(f"the debug-information worker could not start ({e})") from None
        self.starts += 1
        self._buffer = b""
        return self._proc

    def _read_line(self, proc: subprocess.Popen, deadline: float, timeout: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        buf = self._buffer
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._kill()
                raise WorkerFailure(f"reading debug information timed out after {timeout:g} s")
            ready, _w, _x = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:  # the worker died: killed by a limit, or crashed
                code = proc.wait()
                self._proc = None
                why = "ran out of memory or CPU time" if code < 0 else "failed"
                raise WorkerFailure(f"reading debug information {why}")
            buf += chunk
            if len(buf) > MAX_ANSWER:
                self._kill()
                raise WorkerFailure("the debug-information worker gave no answer")
        line, _nl, self._buffer = buf.partition(b"\n")
        return line

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        self._buffer = b""
        if proc is None or self._owner != os.getpid():
            return  # never stop a worker that belongs to the parent of a forked process
        try:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Stop the worker (it also stops by itself when its stdin closes)."""
        with self._lock:
            self._kill()

    def __del__(self) -> None:  # best effort; atexit covers interpreter shutdown
        try:
            self._kill()
        except Exception:  # noqa: BLE001
            pass


_LIVE: "weakref.WeakSet[DwarfWorker]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for w in list(_LIVE):
        try:
            w._kill()
        except Exception:  # noqa: BLE001
            pass


def signatures_from_worker(worker: DwarfWorker, targets: dict[str, tuple[str, int]], timeout: float = 10.0
                           ) -> tuple[dict[str, CSignature | NoSignature], bool]:
    """(answers, lasting): `lasting` is False when the answers only say the worker failed."""
    if not targets:
        return {}, True
    try:
        answer = worker.request(targets, timeout)
    except WorkerFailure as e:
        return {n: NoSignature(n, str(e)) for n in targets}, False
    return {n: _from_json(n, answer.get(n)) for n in targets}, True


def read_signatures(targets: dict[str, tuple[str, int]], timeout: float = 10.0) -> dict[str, CSignature | NoSignature]:
    """name -> (object path, symbol address or -1) ==> signatures, never raising, never hanging (one-shot)."""
    if not targets:
        return {}
    worker = DwarfWorker()
    try:
        return signatures_from_worker(worker, targets, timeout)[0]
    finally:
        worker.close()


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "sffi_lsp.binary.dwarf", "--serve"]


def _from_json(name: str, d: Any) -> CSignature | NoSignature:
    if not isinstance(d, dict) or "params" not in d:
        reason = d.get("no") if isinstance(d, dict) else None
        return NoSignature(name, str(reason or "no signature information"))

    def ctype(t: dict | None) -> CType | None:
        if t is None:
            return None
        return CType(text=t["text"], kind=t["kind"], base_name=t.get("base_name"), size=t.get("size"),
                     encoding=t.get("encoding"), pointer_depth=t.get("pointer_depth", 0),
                     is_const=t.get("is_const", False), typedefs=tuple(t.get("typedefs", ())))

    params = tuple(CParam(p.get("name"), ctype(p["type"])) for p in d["params"])  # type: ignore[arg-type]
    return CSignature(name=name, params=params, returns=ctype(d.get("returns")), variadic=bool(d.get("variadic")),
                      file=d.get("file"), line=d.get("line"), library=d.get("library"))


# ---------------------------------------------------------------------------- worker side
def _limit_memory() -> None:
    try:
        import resource  # noqa: PLC0415

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def _limit_cpu(timeout: float) -> None:
    """This request's CPU budget: what the process has used so far plus the request's limit."""
    try:
        import resource  # noqa: PLC0415

        ru = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(ru.ru_utime + ru.ru_stime + timeout) + 2
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY and soft > hard:
            soft = hard
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ImportError, ValueError, OSError):
        pass


def _open_dwarf(path: str, streams: list) -> tuple[Any, str]:
    import stat  # noqa: PLC0415

    from elftools.elf.elffile import ELFFile  # noqa: PLC0415

    _tolerate_unsupported_relocations()

    member = open_member_dwarf(path, streams)
    if member is not None:
        return member
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _NoDwarf("not a regular file")
    fh = open(path, "rb")  # noqa: SIM115 -- closed by the caller
    streams.append(fh)
    elf = ELFFile(fh)
    source = path
    if not elf.has_dwarf_info(strict=True):
        dbg = _debug_file(path, elf)
        if dbg is None:
            if elf.get_section_by_name(".gnu_debuglink") is not None:
                raise _NoDwarf("no debug information (the .gnu_debuglink file was not found)")
            raise _NoDwarf("no debug information")
        fh2 = open(dbg, "rb")  # noqa: SIM115
        streams.append(fh2)
        elf = ELFFile(fh2)
        source = dbg
        if not elf.has_dwarf_info(strict=True):
            raise _NoDwarf(f"no debug information (not even in {dbg})")
    for sec in elf.iter_sections():
        if sec.name.startswith((".debug_", ".zdebug_")) and sec["sh_flags"] & 0x800:  # SHF_COMPRESSED
            ch_type = int.from_bytes(fh_bytes(elf, sec), "little" if elf.little_endian else "big")
            if ch_type == 2:  # ELFCOMPRESS_ZSTD
                raise _NoDwarf("compressed debug sections (zstd) cannot be read")
    return elf.get_dwarf_info(), source


def fh_bytes(elf: Any, sec: Any) -> bytes:
    elf.stream.seek(sec["sh_offset"])
    return elf.stream.read(4)


class _Describer:
    def __init__(self, dwarf: Any, cu: Any) -> None:
        self.dwarf = dwarf
        self.cu = cu
        self.ptr_size = cu["address_size"]

    def type_of(self, die: Any) -> Any | None:
        if "DW_AT_type" not in die.attributes:
            return None
        return die.get_DIE_from_attribute("DW_AT_type")

    def describe(self, die: Any | None) -> dict | None:
        """CType as a dict, or None for void."""
        if die is None:
            return None
        typedefs: list[str] = []
        is_const = False
        depth = 0
        base_name = None
        encoding = None
        size = None
        kind = None
        cur = die
        for _ in range(MAX_TYPE_DEPTH):  # find the value's own kind, through typedefs and qualifiers
            tag = cur.tag
            if tag == "DW_TAG_typedef":
                typedefs.append(_name(cur) or "?")
            elif tag in _QUALIFIERS:
                is_const = is_const or tag == "DW_TAG_const_type"
            else:
                kind = _KIND_OF_TAG.get(tag, "unknown")
                break
            nxt = self.type_of(cur)
            if nxt is None:
                kind = "void"
                break
            cur = nxt
        if kind is None:
            kind = "unknown"
        if kind == "pointer":
            size = _attr(cur, "DW_AT_byte_size", self.ptr_size)
            inner = cur
            for _ in range(MAX_TYPE_DEPTH):  # pointer depth and the pointee's base
                t = inner.tag
                if t in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
                    depth += 1
                elif t in _QUALIFIERS:
                    is_const = is_const or t == "DW_TAG_const_type"
                elif t != "DW_TAG_typedef":
                    base_name = _name(inner)
                    if t == "DW_TAG_base_type":
                        encoding = DW_ATE.get(_attr(inner, "DW_AT_encoding", 0))
                    elif t == "DW_TAG_subroutine_type":
                        base_name = None
                    break
                nxt = self.type_of(inner)
                if nxt is None:
                    base_name = "void"
                    break
                inner = nxt
            encoding = None  # a pointer is passed as an address whatever it points to
        elif kind in ("base", "enum"):
            base_name = _name(cur)
            size = _attr(cur, "DW_AT_byte_size", None)
            enc_die = cur if kind == "base" else self.type_of(cur)
            encoding = DW_ATE.get(_attr(enc_die, "DW_AT_encoding", 0)) if enc_die is not None else (
                "unsigned" if kind == "enum" else None)
            if kind == "enum" and encoding is None:
                encoding = "signed"
        elif kind in ("struct", "union"):
            base_name = _name(cur)
            size = _attr(cur, "DW_AT_byte_size", None)
        elif kind == "void":
            if not typedefs and not is_const:
                return None
            base_name = "void"
        return {"text": self.text(die), "kind": kind, "base_name": base_name, "size": size, "encoding": encoding,
                "pointer_depth": depth, "is_const": is_const, "typedefs": typedefs}

    def text(self, die: Any | None, depth: int = 0) -> str:
        """C spelling of a type."""
        if die is None:
            return "void"
        if depth > MAX_TYPE_DEPTH:
            return "..."
        tag = die.tag
        name = _name(die)
        if tag in ("DW_TAG_base_type", "DW_TAG_typedef", "DW_TAG_unspecified_type"):
            return name or "?"
        if tag in ("DW_TAG_structure_type", "DW_TAG_class_type"):
            return f"struct {name or '<anonymous>'}"
        if tag == "DW_TAG_union_type":
            return f"union {name or '<anonymous>'}"
        if tag == "DW_TAG_enumeration_type":
            return f"enum {name or '<anonymous>'}"
        if tag in _QUALIFIERS:
            inner_die = self.type_of(die)
            inner = self.text(inner_die, depth + 1)
            if inner_die is not None and inner_die.tag == "DW_TAG_pointer_type":
                return f"{inner}{_QUALIFIERS[tag]}"
            return f"{_QUALIFIERS[tag]} {inner}"
        if tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
            target = self.type_of(die)
            if target is not None and target.tag == "DW_TAG_subroutine_type":
                return self.function_text(target, "(*)", depth)
            inner = self.text(target, depth + 1)
            return inner + ("*" if inner.endswith("*") else " *")
        if tag == "DW_TAG_subroutine_type":
            return self.function_text(die, "", depth)
        if tag == "DW_TAG_array_type":
            n = ""
            for child in die.iter_children():
                if child.tag == "DW_TAG_subrange_type":
                    if "DW_AT_count" in child.attributes:
                        n = str(child.attributes["DW_AT_count"].value)
                    elif "DW_AT_upper_bound" in child.attributes:
                        n = str(child.attributes["DW_AT_upper_bound"].value + 1)
                    break
            return f"{self.text(self.type_of(die), depth + 1)}[{n}]"
        return name or "?"

    def function_text(self, sub: Any, middle: str, depth: int) -> str:
        ret = self.text(self.type_of(sub), depth + 1)
        args = []
        for child in sub.iter_children():
            if child.tag == "DW_TAG_formal_parameter":
                args.append(self.text(self.type_of(child), depth + 1))
            elif child.tag == "DW_TAG_unspecified_parameters":
                args.append("...")
        if not args and _attr(sub, "DW_AT_prototyped", False):
            args = ["void"]
        return f"{ret} {middle}({', '.join(args)})" if middle else f"{ret} ({', '.join(args)})"


def _name(die: Any) -> str | None:
    a = die.attributes.get("DW_AT_name")
    if a is None:
        return None
    v = a.value
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _attr(die: Any, key: str, default: Any) -> Any:
    a = die.attributes.get(key) if die is not None else None
    return a.value if a is not None else default


def _decl_file(dwarf: Any, cu: Any, die: Any) -> str | None:
    idx = _attr(die, "DW_AT_decl_file", None)
    if idx is None:
        return None
    lp = dwarf.line_program_for_CU(cu)
    if lp is None:
        return None
    files = lp["file_entry"]
    version = lp["version"]
    i = idx if version >= 5 else idx - 1  # DWARF 5 numbers files from 0, earlier versions from 1
    if not 0 <= i < len(files):
        return None
    fe = files[i]
    name = fe.name.decode("utf-8", "replace") if isinstance(fe.name, bytes) else str(fe.name)
    dirs = lp["include_directory"]
    d_index = fe.dir_index if version >= 5 else fe.dir_index - 1
    if not os.path.isabs(name):
        if 0 <= d_index < len(dirs):
            d = dirs[d_index]
            d = d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d)
            name = os.path.join(d, name)
        if not os.path.isabs(name):
            comp = _attr(cu.get_top_DIE(), "DW_AT_comp_dir", b"")
            comp = comp.decode("utf-8", "replace") if isinstance(comp, bytes) else str(comp)
            name = os.path.join(comp, name) if comp else name
    return os.path.normpath(name)


def _subprogram_in(cu: Any, name: str, budget: list[int]) -> Any | None:
    best = None
    for die in cu.iter_DIEs():
        budget[0] -= 1
        if budget[0] <= 0:
            raise _NoDwarf("debug information too large to search")
        if die.tag != "DW_TAG_subprogram":
            continue
        n = _name(die)
        link = _attr(die, "DW_AT_linkage_name", None)
        if isinstance(link, bytes):
            link = link.decode("utf-8", "replace")
        if n == name or link == name:
            if "DW_AT_low_pc" in die.attributes or "DW_AT_ranges" in die.attributes:
                return die
            best = best or die
        elif "DW_AT_specification" in die.attributes or "DW_AT_abstract_origin" in die.attributes:
            key = "DW_AT_specification" if "DW_AT_specification" in die.attributes else "DW_AT_abstract_origin"
            try:
                spec = die.get_DIE_from_attribute(key)
            except Exception:  # noqa: BLE001
                continue
            if _name(spec) == name or _attr(spec, "DW_AT_linkage_name", None) in (name, name.encode()):
                return die
    return best


def _signature(dwarf: Any, name: str, address: int, budget: list[int]) -> dict:
    cus = []
    if address > 0:
        try:
            aranges = dwarf.get_aranges()
            off = aranges.cu_offset_at_addr(address) if aranges is not None else None
        except Exception:  # noqa: BLE001 -- a broken .debug_aranges: fall back to walking units
            off = None
        if off is not None:
            cus.append(dwarf.get_CU_at(off))
    die = cu = None
    for c in cus:
        die, cu = _subprogram_in(c, name, budget), c
        if die is not None:
            break
    if die is None:
        for c in dwarf.iter_CUs():
            top = c.get_top_DIE()
            if top.tag == "DW_TAG_skeleton_unit" or "DW_AT_dwo_name" in top.attributes or "DW_AT_GNU_dwo_name" in top.attributes:
                raise _NoDwarf("split DWARF (.dwo files) is not followed")
            die, cu = _subprogram_in(c, name, budget), c
            if die is not None:
                break
    if die is None:
        return {"no": f"the debug information has no function named {name}"}
    desc = _Describer(dwarf, cu)
    origin = die
    for key in ("DW_AT_specification", "DW_AT_abstract_origin"):
        if key in die.attributes:
            try:
                origin = die.get_DIE_from_attribute(key)
            except Exception:  # noqa: BLE001
                pass
    params = []
    variadic = False
    for child in (die if any(True for _ in die.iter_children()) else origin).iter_children():
        if child.tag == "DW_TAG_formal_parameter":
            src = child
            if "DW_AT_abstract_origin" in child.attributes:
                src = child.get_DIE_from_attribute("DW_AT_abstract_origin")
            params.append({"name": _name(src), "type": desc.describe(desc.type_of(src))
                           or {"text": "void", "kind": "void"}})
        elif child.tag == "DW_TAG_unspecified_parameters":
            variadic = True
    line = _attr(origin, "DW_AT_decl_line", None) or _attr(die, "DW_AT_decl_line", None)
    return {"params": params, "returns": desc.describe(desc.type_of(origin) or desc.type_of(die)),
            "variadic": variadic, "file": _decl_file(dwarf, cu, origin if "DW_AT_decl_file" in origin.attributes else die),
            "line": line}


def _file_identity(path: str) -> tuple | None:
    path = identity_path(path)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _cached_dwarf(path: str, cache: OrderedDict) -> tuple[Any, str]:
    """Open (or reuse, while the library and its debug file are unchanged) a file's DWARF."""
    key = (path, _file_identity(path))
    held = cache.get(key)
    if held is not None:
        streams, dwarf, source, source_ident = held
        if source == path or _file_identity(source) == source_ident:
            cache.move_to_end(key)
            return dwarf, source
        _close_streams(cache.pop(key)[0])
    streams: list = []
    try:
        dwarf, source = _open_dwarf(path, streams)
    except BaseException:
        _close_streams(streams)
        raise
    if key[1] is not None:
        cache[key] = (streams, dwarf, source, _file_identity(source))
        while len(cache) > OPEN_FILES:
            _close_streams(cache.popitem(last=False)[1][0])
    return dwarf, source


def _close_streams(streams: list) -> None:
    for s in streams:
        try:
            s.close()
        except OSError:
            pass


def _answer(targets: dict, cache: OrderedDict) -> tuple[dict[str, dict], bool]:
    """Answers for name -> [path, address]; True as second item when memory ran out."""
    out: dict[str, dict] = {}
    by_path: dict[str, list[tuple[str, int]]] = {}
    for name, (path, addr) in targets.items():
        by_path.setdefault(path, []).append((name, addr))
    for path, items in by_path.items():
        try:
            dwarf, source = _cached_dwarf(path, cache)
            for name, addr in items:
                try:
                    # A budget per name, not per request: a batch of hundreds of names must not
                    # run out where the same names asked one by one would not (the "too large"
                    # answer is kept on disk).
                    sig = _signature(dwarf, name, addr, [MAX_DIES])
                    if "params" in sig:
                        sig["library"] = path
                        if source != path:
                            sig["debug_file"] = source
                    out[name] = sig
                except _NoDwarf as e:
                    out[name] = {"no": str(e)}
                except RecursionError:
                    out[name] = {"no": "the debug information nests too deeply"}
                except MemoryError:
                    raise
                except Exception as e:  # noqa: BLE001 -- hostile DWARF: ELFError, AssertionError, KeyError, ...
                    out[name] = {"no": f"the debug information could not be read ({type(e).__name__}: {e})"[:300]}
        except _NoDwarf as e:
            for name, _a in items:
                out[name] = {"no": str(e)}
        except MemoryError:
            for c in list(cache.values()):
                _close_streams(c[0])
            cache.clear()
            for name, _a in items:
                out.setdefault(name, {"no": "reading debug information ran out of memory"})
            return out, True
        except Exception as e:  # noqa: BLE001
            text = f"{type(e).__name__}: {e}"[:300]
            reason = ("compressed debug sections cannot be read" if "ompress" in text
                      else f"the debug information could not be read ({text})")
            for name, _a in items:
                out[name] = {"no": reason}
    return out, False


def serve() -> int:
    """The persistent worker: one JSON request per line on stdin, one JSON answer per line on stdout."""
    _limit_memory()
    cache: OrderedDict = OrderedDict()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = stdin.readline()
        if not line:
            return 0  # the owner closed the pipe (or died): stop
        try:
            req = json.loads(line)
            rid = req.get("id")
            timeout = float(req.get("timeout", 10.0))
        except (ValueError, AttributeError, TypeError):
            return 2
        _limit_cpu(timeout)
        op = req.get("op")
        exhausted = False
        out: dict = {}
        if op == "sleep":  # diagnostics and tests: a request that takes `arg` seconds
            time.sleep(float(req.get("arg", 0)))
        elif op == "crash":  # tests: a worker that dies mid-request
            os._exit(3)
        else:
            out, exhausted = _answer(req.get("targets") or {}, cache)
        reply: dict[str, Any] = {"id": rid, "answer": out}
        if exhausted:
            reply["exit"] = True
        stdout.write((json.dumps(reply) + "\n").encode("utf-8", "surrogateescape"))
        stdout.flush()
        if exhausted:
            return 0


def worker_main() -> int:
    """One-shot mode: one JSON request on stdin, one answer on stdout."""
    request = json.loads(sys.stdin.buffer.read())
    timeout = float(request.get("timeout", 10.0))
    _limit_memory()
    _limit_cpu(timeout)
    out, _exhausted = _answer(request["targets"], OrderedDict())
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(serve() if "--serve" in sys.argv[1:] else worker_main())
