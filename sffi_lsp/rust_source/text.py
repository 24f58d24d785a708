"""Text of tree-sitter nodes: string literal values, normalised type spellings."""

from __future__ import annotations

import re

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_SPACE = re.compile(r"\s+")
_SPACE_PUNCT = re.compile(r"\s*([*&,()<>\[\];:])\s*")


def literal_value(node) -> str:
    """The value of a string_literal node (simple escapes resolved)."""
    text = node.text.decode("utf-8", "replace")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    if "\\" in text:
        text = re.sub(r"\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)", _unescape, text)
    return text


def _unescape(m: re.Match) -> str:
    seq = m.group(1)
    if seq.startswith("u{"):
        try:
            return chr(int(seq[2:-1], 16))
        except ValueError:
            return seq
    if seq.startswith("x") and len(seq) == 3:
        return chr(int(seq[1:], 16))
    return _ESCAPES.get(seq, "\\" + seq)


def type_text(node) -> str:
    """A type's text with whitespace normalised: `*const u8`, `&mut [u8]`, `Option<i64>`."""
    text = node.text.decode("utf-8", "replace")
    if "\n" not in text and "  " not in text and "," not in text and "( " not in text and "[ " not in text:
        return text.replace("& ", "&")
    text = _SPACE.sub(" ", text).strip()
    text = re.sub(r"\s+([,>)\]])", r"\1", text)
    text = re.sub(r"([<(\[])\s+", r"\1", text)
    text = re.sub(r",(?=\S)", ", ", text)
    return text.replace("& ", "&")


def _text(node) -> str:
    return _SPACE.sub(" ", node.text.decode("utf-8", "replace")).strip()
