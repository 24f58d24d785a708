"""Completion after `extern fn `: provider names not declared yet, filtered by
the typed prefix (binary search over a sorted list: fast with 60,000 names),
with the full declaration as a snippet when a signature is known."""

from __future__ import annotations

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


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" "], resolve_provider=True))
    def completion(ls: "SffiLanguageServer", params: lsp.CompletionParams) -> lsp.CompletionList | None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        try:
            document = ls.workspace.get_text_document(uri)
            line_text = document.lines[params.position.line] if params.position.line < len(document.lines) else ""
            column = document.position_codec.position_from_client_units(document.lines, params.position).character
        except Exception:  # noqa: BLE001
            return None
        match = EXTERN_PREFIX.match(line_text[:column].rstrip("\r\n"))
        if match is None:
            return None
        prefix = match.group(1) or ""
        items, names = ls.candidates()
        declared = ls.declared_names()
        start = bisect.bisect_left(names, prefix)
        result: list[lsp.CompletionItem] = []
        incomplete = False
        start_pos = lsp.Position(line=params.position.line, character=params.position.character - len(prefix))
        edit_range = lsp.Range(start=start_pos, end=params.position)
        snippet = ls.snippet_support
        profile = abi_profile(ls)
        details = ls.candidate_details
        for i in range(start, len(names)):
            name = names[i]
            if not name.startswith(prefix):
                break
            if name in declared:
                continue
            if len(result) >= MAX_ITEMS:
                incomplete = True
                break
            candidate = items[i]
            text = declaration_text(name, candidate.signature, snippet, profile) or name
            result.append(
                lsp.CompletionItem(
                    label=name,
                    kind=lsp.CompletionItemKind.Function,
                    detail=details.get(name) or details.setdefault(name, candidate.provider.describe()),
                    text_edit=lsp.TextEdit(range=edit_range, new_text=text),
                    insert_text_format=lsp.InsertTextFormat.Snippet if snippet and "${" in text else lsp.InsertTextFormat.PlainText,
                    data={"name": name, "path": path, "range": [start_pos.line, start_pos.character, params.position.character], "has_signature": candidate.signature is not None},
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
