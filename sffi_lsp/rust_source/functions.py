"""C-ABI functions of a Rust file: `#[no_mangle]`/`#[export_name]` `extern "C" fn`
definitions, `extern "C" { fn ...; }` declarations, and functions a local
`macro_rules!` generates with a literal name (expanded as text, then read).

A mixin of the reader's extractor: it uses the extractor's context (enclosing
`#[cfg]`, tests) and its query matches."""

from __future__ import annotations

import re

from .cfg import is_test_only
from .text import _text, literal_value, type_text
from .types import CFunction, RustParam


class FunctionReader:
    # -- C-ABI functions ---------------------------------------------------------

    def _functions(self, root, *, via_macro: str, line_override: int | None, cfg_prefix=()) -> None:
        caps = self._captures("function", root)
        for fn in caps.get("fn", []):
            modifiers = next((c for c in fn.children if c.type == "function_modifiers"), None)
            if modifiers is None:
                continue
            extern = next((c for c in modifiers.children if c.type == "extern_modifier"), None)
            abi = next((c for c in extern.children if c.type == "string_literal"), None) if extern else None
            if abi is not None and literal_value(abi) not in ("C", "C-unwind", "system", "sysv64"):
                continue
            attrs = self._attributes(fn)
            export = self._export_name(attrs)
            if export is None:
                continue
            if via_macro:
                function, cfg, test = "", cfg_prefix + self._own_cfg(fn), False
                test = any(is_test_only(c) for c in cfg)
            else:
                function, cfg, test = self.context(fn)
            if test:
                continue
            name_node = fn.child_by_field_name("name")
            rust_name = name_node.text.decode("utf-8", "replace")
            self.facts.functions.append(
                CFunction(
                    name=export or rust_name,
                    rust_name=rust_name,
                    params=self._params(fn),
                    returns=self._returns(fn),
                    line=line_override if line_override is not None else fn.start_point[0],
                    unsafe=any(c.type == "unsafe" for c in modifiers.children),
                    defined=True,
                    via_macro=via_macro,
                    cfg=cfg,
                )
            )

    def _export_name(self, attrs) -> str | None:
        """"" for `#[no_mangle]`, the name for `#[export_name = "..."]`, None when not exported."""
        for attr_item in attrs:
            for attr in attr_item.named_children:
                if attr.type != "attribute" or not attr.named_children:
                    continue
                head = attr.named_children[0].text
                if head == b"unsafe":  # Rust 2024: #[unsafe(no_mangle)], #[unsafe(export_name = "x")]
                    args = attr.child_by_field_name("arguments")
                    inner = args.text.decode("utf-8", "replace") if args is not None else ""
                    m = re.search(r'export_name\s*=\s*"([^"]+)"', inner)
                    if m:
                        return m.group(1)
                    if "no_mangle" in inner:
                        return ""
                    continue
                if head == b"no_mangle":
                    return ""
                if head == b"export_name":
                    value = attr.child_by_field_name("value")
                    if value is not None and value.type == "string_literal":
                        return literal_value(value)
        return None

    @staticmethod
    def _params(fn) -> tuple[RustParam, ...]:
        params = fn.child_by_field_name("parameters")
        out = []
        if params is None:
            return ()
        for i, p in enumerate(params.named_children):
            if p.type == "parameter":
                pattern = p.child_by_field_name("pattern")
                ptype = p.child_by_field_name("type")
                name = _text(pattern) if pattern is not None else f"arg{i}"
                name = name.removeprefix("mut ").strip()
                out.append(RustParam(name, type_text(ptype) if ptype is not None else ""))
            elif p.type == "variadic_parameter":
                out.append(RustParam("...", "..."))
        return tuple(out)

    @staticmethod
    def _returns(fn) -> str:
        ret = fn.child_by_field_name("return_type")
        if ret is None:
            return ""
        text = type_text(ret)
        return "" if text == "()" else text

    def _foreign(self, root) -> None:
        for sig in self._captures("foreign", root).get("sig", []):
            block = sig.parent.parent if sig.parent is not None else None
            if block is not None and block.type == "foreign_mod_item":
                extern = next((c for c in block.children if c.type == "extern_modifier"), None)
                abi = next((c for c in extern.children if c.type == "string_literal"), None) if extern else None
                if abi is not None and literal_value(abi) not in ("C", "C-unwind", "system"):
                    continue
            function, cfg, test = self.context(sig)
            if test:
                continue
            name_node = sig.child_by_field_name("name")
            if name_node is None:
                continue
            rust_name = name_node.text.decode("utf-8", "replace")
            link_name = rust_name
            for attr_item in self._attributes(sig):
                m = re.search(rb'link_name\s*=\s*"([^"]+)"', attr_item.text)
                if m:
                    link_name = m.group(1).decode("utf-8", "replace")
            self.facts.functions.append(
                CFunction(
                    name=link_name,
                    rust_name=rust_name,
                    params=self._params(sig),
                    returns=self._returns(sig),
                    line=sig.start_point[0],
                    unsafe=True,
                    defined=False,
                    cfg=cfg,
                )
            )

    def _expand_generator(self, inv, macro: str, args) -> None:
        """Functions a local `macro_rules!` generates with its name taken from a literal argument."""
        live = self._live(inv)
        if live is None:
            return
        values = self._split_args(args)
        for left, right in self._generators[macro]:
            bindings = [c for c in left.named_children if c.type == "token_binding_pattern"]
            if any(c.type == "token_repetition_pattern" for c in left.named_children):
                continue
            if len(bindings) != len(values):
                continue
            subst = {}
            for b, v in zip(bindings, values):
                var = b.child_by_field_name("name")
                if var is None:
                    break
                subst[var.text.decode("utf-8", "replace")] = v
            else:
                body = right.text.decode("utf-8", "replace")
                body = body[1:-1] if body[:1] in "({[" else body
                if "$(" in body:
                    self.facts.notes.append(
                        f"{self.path}:{inv.start_point[0] + 1}: {macro}! repeats its arguments; its functions are not read"
                    )
                    return
                for var in sorted(subst, key=len, reverse=True):
                    body = re.sub(re.escape(var) + r"\b", lambda _m, v=subst[var]: v, body)
                self._read_expansion(body, macro, inv.start_point[0], live[1])
                return

    @staticmethod
    def _split_args(args) -> list[str]:
        parts, current = [], []
        for c in args.children[1:-1]:
            if c.type == ",":
                parts.append(" ".join(current))
                current = []
            else:
                current.append(c.text.decode("utf-8", "replace"))
        if current:
            parts.append(" ".join(current))
        return [p.strip() for p in parts if p.strip()]
