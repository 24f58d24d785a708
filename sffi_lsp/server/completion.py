"""Completion after `extern fn `: provider names not declared yet, filtered by
the typed prefix (binary search over a sorted list: fast with 60,000 names),
with the full declaration as a snippet when a signature is known; and, at a
call site, the externs the workspace declares.

The declaration comes in the completion response itself: the LSP forbids
changing `textEdit` in `completionItem/resolve`, and clients such as Neovim 0.7
never call it. A runtime name its Rust sources define (`extern "C" fn`) shows
that definition and gets the declaration derived from it. A DWARF signature not read yet is asked for in the background
with a short wait; the list is then marked incomplete, so the next keystroke's
request has it."""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..binary.types import CSignature, CType
from ..model import ExternDecl
from . import hover

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)

MAX_ITEMS = 100  # the list is marked incomplete: the client asks again as the user types
EXTERN_PREFIX = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?extern\s+fn\s+([A-Za-z_][A-Za-z0-9_]*)?$")
# An identifier being typed where a call can go (not after `.`: a method of some value).
CALL_PREFIX = re.compile(r"(?<![\w.])([A-Za-z_]\w*)$")
# Lines where the word being typed names something new, not a call.
DECLARING = re.compile(r"^\s*(?:@\S*\s+)*(?:pub(?:\([^)]*\))?\s+)?(?:static\s+|async\s+)?(?:extern\s+)?"
                       r"(?:fn|me|struct|class|enum|trait|type|val|var|const|mod)\s+\w*$"
                       r"|^\s*(?:pub\s+|export\s+)?(?:use|export|import)\b")
SIGNATURE_WAIT_S = 0.03  # how long one completion waits for DWARF signatures it lacks

_C_TO_SIMPLE = {
    ("signed", 1): "i8", ("signed", 2): "i16", ("signed", 4): "i32", ("signed", 8): "i64",
    ("unsigned", 1): "u8", ("unsigned", 2): "u16", ("unsigned", 4): "u32", ("unsigned", 8): "u64",
    ("signed_char", 1): "i8", ("unsigned_char", 1): "u8",
    ("float", 4): "f32", ("float", 8): "f64", ("bool", 1): "bool",
}


def simple_type(ctype: CType | None, profile: Any = None, result: bool = False) -> str | None:
    """A Simple spelling of a C type (None = unit), as the checker's ABI profile sees it."""
    if ctype is None or ctype.kind == "void":
        return None
    if profile is not None:
        try:
            from ..check import abi  # noqa: PLC0415

            spelled = abi.simple_type_for_c(ctype, profile, result)
            if spelled is not None:
                return None if spelled == "()" else spelled
        except Exception:  # noqa: BLE001 - fall back to the plain mapping below
            log.debug("simple_type_for_c failed", exc_info=True)
    if ctype.kind == "pointer":
        if ctype.pointer_depth == 1 and ctype.is_const and (ctype.base_name or "").endswith("char"):
            return "text"
        return "i64"
    if ctype.encoding and ctype.size:
        return _C_TO_SIMPLE.get((ctype.encoding, ctype.size), "i64")
    return "i64"


def declaration_text(name: str, sig: Any, snippet: bool, profile: Any = None) -> str | None:
    """`name(a: i64, ...) -> T` to insert after `extern fn `."""
    if isinstance(sig, ExternDecl):
        text = sig.signature_text()
        return text[len("extern fn ") :] if text.startswith("extern fn ") else text
    if not isinstance(sig, CSignature):
        return None
    params = []
    for i, p in enumerate(sig.params, start=1):
        pname = p.name or f"arg{i}"
        ptype = simple_type(p.type, profile) or "i64"
        params.append(f"${{{i}:{pname}}}: {ptype}" if snippet else f"{pname}: {ptype}")
    ret = simple_type(sig.returns, profile, result=True)
    return f"{name}({', '.join(params)})" + (f" -> {ret}" if ret else "")


def abi_profile(ls: "SffiLanguageServer") -> Any:
    try:
        from ..check import abi  # noqa: PLC0415

        return abi.profile_for(ls.config)
    except Exception:  # noqa: BLE001
        return None


def resolve_support(ls: "SffiLanguageServer") -> bool:
    """The client asks `completionItem/resolve` (VS Code does; Neovim 0.7 and 0.10 do not)."""
    caps = ls.client_capabilities
    td = caps.text_document if caps else None
    item = td.completion.completion_item if td and td.completion else None
    return bool(item and item.resolve_support)


async def signatures_for_items(ls: "SffiLanguageServer", names: list[str], path: str | None) -> tuple[dict, bool]:
    """{name: signature} for the names whose signature is at hand after a short wait, and
    whether some are still being read (in the background: a later request gets them)."""
    providers = ls.backend.providers if ls.backend is not None else None
    known_signature = getattr(providers, "known_signature", None)
    if known_signature is None or not names:
        return {}, False
    try:
        resolutions = providers.resolve_many(names, path)
    except Exception:  # noqa: BLE001 - a signature is a nicety
        log.debug("resolve_many failed", exc_info=True)
        return {}, False
    found: dict[str, Any] = {}
    unknown = []
    for name, res in resolutions.items():
        known, sig = known_signature(res)
        if known:
            if sig is not None:
                found[name] = sig
        else:
            unknown.append(res)
    if not unknown:
        return found, False
    asked: set = ls.__dict__.setdefault("_signatures_asked", set())
    todo = [r for r in unknown if (r.found.provider, r.name) not in asked]
    if todo:
        asked.update((r.found.provider, r.name) for r in todo)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, providers.prefetch_signatures, todo)
        try:
            await asyncio.wait_for(asyncio.shield(future), SIGNATURE_WAIT_S)
        except asyncio.TimeoutError:
            pass
        except Exception:  # noqa: BLE001
            log.debug("prefetch_signatures failed", exc_info=True)
    pending = False
    for res in unknown:
        known, sig = known_signature(res)
        if sig is not None:
            found[res.name] = sig
        pending = pending or not known
    return found, pending


def runtime_definitions(ls: "SffiLanguageServer", names: list[str]) -> dict[str, tuple[Any, str, CSignature]]:
    """{name: (Rust definition, its file, the C signature derived from it)} for the names the
    runtime's own sources define with the C ABI (`extern "C" fn`): completion shows the Rust
    definition and inserts the declaration derived from it, no DWARF needed."""
    finder = getattr(ls.backend, "runtime_definition", None) if ls.backend is not None else None
    if finder is None or not names:
        return {}
    from ..check.rust_abi import c_signature_for_rust  # noqa: PLC0415

    out: dict[str, tuple[Any, str, CSignature]] = {}
    for name in names:
        found = finder(name)
        if found is None:
            continue
        definition, path = found
        out[name] = (definition, path, c_signature_for_rust(name, definition.params, definition.returns,
                                                            path=path, line=definition.site.line))
    return out


def runtime_definition_markdown(ls: "SffiLanguageServer", definition: Any, path: str) -> str:
    """The Rust C-ABI definition and a link to where it is (1-based line, as editors show)."""
    line = definition.site.line + 1
    what = "Rust C-ABI definition" if definition.defined else "Rust C-ABI declaration (defined in C)"
    return (f"{what} (runtime sources):\n\n```rust\n{definition.signature()}\n```\n\n"
            f"Defined at [{definition.site.where()}]({ls.uri_of(path)}#L{line})")


def declared_externs(ls: "SffiLanguageServer") -> tuple[list[str], dict[str, list[ExternDecl]]]:
    """The workspace's extern names, sorted, with their declarations (cached per change)."""
    stamp = (id(ls.sources), getattr(ls, "_sources_version", None))
    cached = ls.__dict__.get("_declared_externs")
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    by_name: dict[str, list[ExternDecl]] = {}
    for path, source in ls.sources.items():
        for decl in source.externs:
            if decl.block and decl.block.startswith("class"):
                continue  # called through its class, not by bare name
            by_name.setdefault(decl.name, []).append(decl if decl.path else _with_path(decl, path))
    names = sorted(by_name)
    ls.__dict__["_declared_externs"] = (stamp, names, by_name)
    return names, by_name


def _with_path(decl: ExternDecl, path: str) -> ExternDecl:
    from dataclasses import replace  # noqa: PLC0415

    return replace(decl, path=path)


def call_text(decl: ExternDecl, snippet: bool) -> str:
    """`name(${1:a}, ${2:b})` for a client with snippets, else the name alone."""
    if not snippet:
        return decl.name
    args = ", ".join(f"${{{i}:{p.name}}}" for i, p in enumerate(decl.params, start=1))
    return f"{decl.name}({args})$0"


def call_site_items(ls: "SffiLanguageServer", path: str, before: str,
                    position: lsp.Position) -> lsp.CompletionList | None:
    """The declared externs whose name starts with the identifier being typed."""
    if DECLARING.match(before) or "#" in before:
        return None
    match = CALL_PREFIX.search(before)
    if match is None:
        return None
    prefix = match.group(1)
    names, by_name = declared_externs(ls)
    start = bisect.bisect_left(names, prefix)
    start_pos = lsp.Position(line=position.line, character=position.character - _client_len(ls, prefix))
    edit_range = lsp.Range(start=start_pos, end=position)
    snippet = ls.snippet_support
    items: list[lsp.CompletionItem] = []
    incomplete = False
    for i in range(start, len(names)):
        name = names[i]
        if not name.startswith(prefix):
            break
        if len(items) >= MAX_ITEMS:
            incomplete = True
            break
        decls = by_name[name]
        decl = next((d for d in decls if d.path == path), decls[0])
        text = call_text(decl, snippet)
        here = decl.path == path
        items.append(lsp.CompletionItem(
            label=name,
            kind=lsp.CompletionItemKind.Function,
            detail=decl.signature_text(),
            label_details=lsp.CompletionItemLabelDetails(description="this file" if here else _short(decl.path)),
            sort_text=("0" if here else "1") + name,
            text_edit=lsp.TextEdit(range=edit_range, new_text=text),
            insert_text_format=lsp.InsertTextFormat.Snippet if snippet else lsp.InsertTextFormat.PlainText,
        ))
    return lsp.CompletionList(is_incomplete=incomplete, items=items)


def _short(path: str) -> str:
    import os  # noqa: PLC0415

    return os.path.basename(path)


def _client_len(ls: "SffiLanguageServer", text: str) -> int:
    """Length of an identifier in the client's position units (identifiers may be non-ASCII)."""
    if text.isascii():
        return len(text)
    if ls.encoding == lsp.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if ls.encoding == lsp.PositionEncodingKind.Utf16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" "], resolve_provider=True))
    async def completion(ls: "SffiLanguageServer", params: lsp.CompletionParams) -> lsp.CompletionList | None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        try:
            document = ls.workspace.get_text_document(uri)
            line_text = document.lines[params.position.line] if params.position.line < len(document.lines) else ""
            column = document.position_codec.position_from_client_units(document.lines, params.position).character
        except Exception:  # noqa: BLE001
            return None
        before = line_text[:column].rstrip("\r\n")
        match = EXTERN_PREFIX.match(before)
        if match is None:
            try:
                return call_site_items(ls, path, before, params.position)
            except Exception:  # noqa: BLE001 - completion must never fail the request
                log.warning("call-site completion failed", exc_info=True)
                return None
        prefix = match.group(1) or ""
        items, names = ls.candidates()
        declared = ls.declared_names()
        start = bisect.bisect_left(names, prefix)
        chosen = []
        incomplete = False
        for i in range(start, len(names)):
            name = names[i]
            if not name.startswith(prefix):
                break
            if name in declared:
                continue
            if len(chosen) >= MAX_ITEMS:
                incomplete = True
                break
            chosen.append(items[i])
        start_pos = lsp.Position(line=params.position.line, character=params.position.character - len(prefix))
        edit_range = lsp.Range(start=start_pos, end=params.position)
        snippet = ls.snippet_support
        profile = abi_profile(ls)
        details = ls.candidate_details
        eager: dict[str, Any] = {}
        try:
            runtime = runtime_definitions(ls, [c.name for c in chosen if c.signature is None])
        except Exception:  # noqa: BLE001 - the Rust definition is a nicety
            log.warning("runtime definitions for completion failed", exc_info=True)
            runtime = {}
        eager.update((name, found[2]) for name, found in runtime.items())
        if not resolve_support(ls):  # the declaration must be in this response
            lacking = [c.name for c in chosen if c.signature is None and c.name not in runtime]
            from_binaries, pending = await signatures_for_items(ls, lacking, path)
            eager.update(from_binaries)
            incomplete = incomplete or pending
        result: list[lsp.CompletionItem] = []
        for candidate in chosen:
            name = candidate.name
            signature = candidate.signature if candidate.signature is not None else eager.get(name)
            text = declaration_text(name, signature, snippet, profile) or name
            rust = runtime.get(name)
            result.append(
                lsp.CompletionItem(
                    label=name,
                    kind=lsp.CompletionItemKind.Function,
                    detail=rust[0].signature() if rust is not None
                    else details.get(name) or details.setdefault(name, candidate.provider.describe()),
                    documentation=None if rust is None else lsp.MarkupContent(
                        kind=lsp.MarkupKind.Markdown, value=runtime_definition_markdown(ls, rust[0], rust[1])),
                    text_edit=lsp.TextEdit(range=edit_range, new_text=text),
                    insert_text_format=lsp.InsertTextFormat.Snippet if snippet and "${" in text else lsp.InsertTextFormat.PlainText,
                    data={"name": name, "path": path, "range": [start_pos.line, start_pos.character, params.position.character], "has_signature": signature is not None},
                )
            )
        return lsp.CompletionList(is_incomplete=incomplete, items=result)

    @ls.feature(lsp.COMPLETION_ITEM_RESOLVE)
    async def resolve(ls: "SffiLanguageServer", item: lsp.CompletionItem) -> lsp.CompletionItem:
        """Fetch the DWARF signature lazily for the one item the user looks at."""
        data = item.data if isinstance(item.data, dict) else {}
        name = data.get("name")
        if not name or ls.backend is None:
            return item
        resolution = ls.resolve_name(name, data.get("path"))
        rust = runtime_definitions(ls, [name]).get(name)
        if rust is not None:  # the runtime's own sources: no DWARF to read
            sig: Any = rust[2]
            lines = [hover.status_line(resolution), runtime_definition_markdown(ls, rust[0], rust[1])]
        else:
            sig = await hover.signature_of(ls, resolution)
            lines = [hover.status_line(resolution)] + hover.c_signature_lines(ls, sig)
        item.documentation = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n".join(lines))
        if sig is not None and not data.get("has_signature") and "range" in data:
            text = declaration_text(name, sig, ls.snippet_support, abi_profile(ls))
            if text:
                line, start, end = data["range"]
                rng = lsp.Range(start=lsp.Position(line=line, character=start), end=lsp.Position(line=line, character=end))
                item.text_edit = lsp.TextEdit(range=rng, new_text=text)
                if ls.snippet_support and "${" in text:
                    item.insert_text_format = lsp.InsertTextFormat.Snippet
        return item
