"""Read one Rust file into `RustFileFacts` with tree-sitter (no compiler runs).

The grammar's queries run in C and hand back only the nodes that can carry a
fact (string-literal calls, name tests, extern functions, arrays...), so a
few MB of Rust are read without visiting every node from Python. Context
(enclosing function, `#[cfg]` guards, `#[cfg(test)]`) is found by walking up
from each such node, memoised per ancestor.

Never raises for bad input: unreadable, binary, huge or unparseable files
yield facts with a note."""

from __future__ import annotations

import os
import re

from .cfg import is_test_only
from .functions import FunctionReader
from .text import _text, literal_value, type_text
from .skim import skim
from .types import (
    CFunction,
    Include,
    MatchArm,
    ModuleDecl,
    NameTest,
    RustFileFacts,
    RustParam,
    StringArray,
    TableRow,
    TierArm,
)

MAX_FILE_BYTES = 16 * 1024 * 1024  # larger than any hand-written Rust file

_QUERIES = {
    "macro": "(macro_invocation macro: (_) @name (token_tree) @args) @inv",
    "insert": """(call_expression
        function: (field_expression field: (field_identifier) @f (#eq? @f "insert"))
        arguments: (arguments . (string_literal) @key)) @call""",
    "arm": "(match_arm) @arm",
    "prefix": """(call_expression
        function: (field_expression field: (field_identifier) @f
                    (#any-of? @f "starts_with" "strip_prefix"))
        arguments: (arguments . (string_literal) .)) @test""",
    "equals": """[(binary_expression operator: "==" right: (string_literal))
                  (binary_expression left: (string_literal) operator: "==")] @test""",
    "function": "(function_item (function_modifiers (extern_modifier)) name: (identifier) @name) @fn",
    "foreign": "(foreign_mod_item body: (declaration_list (function_signature_item) @sig))",
    "const": "[(const_item value: (_) @value) (static_item value: (_) @value)] @item",
    "mod": "(mod_item !body) @mod",
    "macro_rules": "(macro_definition name: (identifier) @name) @def",
    "tail": "(function_item name: (identifier) @name body: (block (identifier) @tail .))",
}

# What a file read for its C-ABI signatures only needs.
_SIGNATURE_KEYS = ("macro", "function", "foreign", "mod", "macro_rules")

_compiled = None


def _runtime():
    """tree-sitter and the Rust grammar, imported on first use only (never at start-up).

    All patterns go in one query per mode, so each file's tree is walked once in C."""
    global _compiled
    if _compiled is None:
        import tree_sitter
        import tree_sitter_rust

        language = tree_sitter.Language(tree_sitter_rust.language())
        queries = {}
        for mode, keys in (("full", tuple(_QUERIES)), ("signatures", _SIGNATURE_KEYS)):
            queries[mode] = (tree_sitter.Query(language, "\n".join(_QUERIES[k] for k in keys)), keys)
        _compiled = (tree_sitter, language, queries)
    return _compiled


def available() -> str | None:
    """None when the reader can run, else why not (a message for the user)."""
    try:
        _runtime()
    except Exception as exc:  # ImportError, or a grammar built for another ABI
        return f"the Rust source reader needs the tree-sitter and tree-sitter-rust packages ({exc})"
    return None


def read_rust_file(path: str, *, signatures_only: bool = False) -> RustFileFacts:
    """Facts of the Rust file at `path`; problems become notes. With
    `signatures_only`, only C-ABI functions, `mod`, `include!` and
    `macro_rules!` are read, and function bodies are skipped (see `skim`)."""
    facts = RustFileFacts(path=path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            facts.notes.append(f"{path}: skipped, {size} bytes is larger than the {MAX_FILE_BYTES}-byte limit")
            return facts
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        facts.notes.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return facts
    return parse_rust(data, path, facts, signatures_only=signatures_only)


def parse_rust(
    data: bytes | str, path: str = "<text>", facts: RustFileFacts | None = None, *, signatures_only: bool = False
) -> RustFileFacts:
    facts = facts or RustFileFacts(path=path)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_FILE_BYTES:
        facts.notes.append(f"{path}: skipped, larger than the {MAX_FILE_BYTES}-byte limit")
        return facts
    if b"\x00" in data[:8192]:
        facts.notes.append(f"{path}: skipped, binary content (NUL bytes)")
        return facts
    problem = available()
    if problem:
        facts.notes.append(problem)
        return facts
    try:
        _Extractor(data, path, facts, "signatures" if signatures_only else "full").run()
    except RecursionError:
        facts.notes.append(f"{path}: nesting too deep to read; facts from this file are incomplete")
    except Exception as exc:  # a reader bug must not cost the user the rest of the tree
        facts.notes.append(f"{path}: could not be read completely ({type(exc).__name__}: {exc})")
    return facts


_SKIP_MACROS = frozenset(
    "format println print eprintln eprint write writeln panic assert assert_eq assert_ne debug_assert "
    "debug_assert_eq vec matches concat env include include_str include_bytes unreachable todo "
    "unimplemented format_args stringify cfg compile_error dbg trace debug info warn error line file".split()
)
class _Extractor(FunctionReader):
    def __init__(self, data: bytes, path: str, facts: RustFileFacts, mode: str = "full"):
        self.data = data
        self.path = path
        self.facts = facts
        self.mode = mode
        self._context: dict[int, tuple] = {}
        self._local_macros: set[str] = set()
        self._groups: dict[str, list] = {}

    def run(self) -> None:
        tree_sitter, language, queries = _runtime()
        parser = tree_sitter.Parser(language)
        tree = None
        if self.mode == "signatures":
            tree = parser.parse(skim(self.data))
            if tree.root_node.has_error:
                tree = None  # skimming cut something it should not have: read the whole file
        if tree is None:
            tree = parser.parse(self.data)
        root = tree.root_node
        self.cursor = tree_sitter.QueryCursor
        query, keys = queries[self.mode]
        self.queries = queries
        for index, groups in self.cursor(query).matches(root):
            self._groups.setdefault(keys[index], []).append(groups)
        if root.has_error:
            first = self._first_error(root)
            self.facts.notes.append(
                f"{self.path}:{first + 1}: syntax error (tree-sitter recovered; facts near it may be missing)"
            )
        for child in root.children:
            if child.type == "inner_attribute_item":
                cond = self._cfg_of_attribute(child)
                if cond is not None:
                    self.facts.file_cfg += (cond,)
        if any(is_test_only(c) for c in self.facts.file_cfg):
            return
        self._macro_rules(root)
        self._macros(root)
        self._functions(root, via_macro="", line_override=None)
        self._foreign(root)
        self._mods(root)
        if self.mode == "full":
            self._inserts(root)
            self._arms(root)
            self._name_tests(root)
            self._consts(root)
            self._tails(root)

    # -- context -----------------------------------------------------------

    def _captures(self, key: str, node) -> dict:
        """Every capture of pattern `key` (from the one query run over the file)."""
        out: dict[str, list] = {}
        for groups in self._matches(key):
            for name, nodes in groups.items():
                out.setdefault(name, []).extend(nodes)
        return out

    def _matches(self, key: str) -> list:
        return self._groups.get(key, [])

    @staticmethod
    def _first_error(root) -> int:
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "ERROR" or node.is_missing:
                return node.start_point[0]
            stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing or c.type == "ERROR"]))
        return root.start_point[0]

    def _cfg_of_attribute(self, attr_item) -> str | None:
        for attr in attr_item.named_children:
            if attr.type != "attribute":
                continue
            head = attr.named_children[0] if attr.named_children else None
            if head is None:
                return None
            name = head.text.decode("utf-8", "replace")
            args = attr.child_by_field_name("arguments")
            if name == "cfg" and args is not None:
                inner = _text(args)
                return inner[1:-1].strip() if inner.startswith("(") else inner
            if name == "test":
                return "test"
        return None

    def _attributes(self, node) -> list:
        """The outer attributes written before `node` (siblings), plus those a match arm holds."""
        attrs = []
        if node.type == "match_arm":
            attrs.extend(c for c in node.children if c.type == "attribute_item")
        prev = node.prev_sibling
        while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
            if prev.type == "attribute_item":
                attrs.append(prev)
            prev = prev.prev_sibling
        return attrs

    def _own_cfg(self, node) -> tuple[str, ...]:
        out = []
        for attr in self._attributes(node):
            cond = self._cfg_of_attribute(attr)
            if cond is not None:
                out.append(cond)
        return tuple(reversed(out))

    def context(self, node) -> tuple[str, tuple[str, ...], bool]:
        """(enclosing function name, cfg conditions outermost first, under cfg(test))."""
        chain = []
        cur = node
        while cur is not None and cur.id not in self._context:
            chain.append(cur)
            cur = cur.parent
        function, cfg, test = self._context[cur.id] if cur is not None else ("", self.facts.file_cfg, False)
        for n in reversed(chain):
            own = self._own_cfg(n) if n.type not in ("source_file",) else ()
            if own:
                cfg = cfg + own
                test = test or any(is_test_only(c) for c in own)
            if n.type == "function_item":
                name = n.child_by_field_name("name")
                function = name.text.decode("utf-8", "replace") if name is not None else function
            self._context[n.id] = (function, cfg, test)
        return self._context[node.id]

    def _live(self, node):
        """Context of `node`, or None when it is test-only code."""
        function, cfg, test = self.context(node)
        return None if test else (function, cfg)

    # -- table rows --------------------------------------------------------

    def _macro_rules(self, root) -> None:
        caps = self._captures("macro_rules", root)
        self._generators: dict[str, list] = {}
        for definition in caps.get("def", []):
            name_node = definition.child_by_field_name("name")
            if name_node is None:
                continue
            name = name_node.text.decode("utf-8", "replace")
            rules = [c for c in definition.named_children if c.type == "macro_rule"]
            for rule in rules:
                left = rule.child_by_field_name("left")
                right = rule.child_by_field_name("right")
                if left is None or right is None:
                    continue
                bindings = [c for c in left.named_children if c.type == "token_binding_pattern"]
                if bindings:
                    first_kind = bindings[0].child_by_field_name("type")
                    if first_kind is not None and first_kind.text in (b"literal", b"expr"):
                        self._local_macros.add(name)
                body = right.text.decode("utf-8", "replace")
                if re.search(r'extern\s+"C"', body) and re.search(r"\bfn\s+\$", body):
                    self._generators.setdefault(name, []).append((left, right))

    def _macros(self, root) -> None:
        caps = self._captures("macro", root)
        invocations = caps.get("inv", [])
        for inv in invocations:
            name_node = inv.child_by_field_name("macro")
            if name_node is None:
                continue
            macro = name_node.text.decode("utf-8", "replace").split("::")[-1]
            args = next((c for c in inv.children if c.type == "token_tree"), None)
            if args is None:
                continue
            if macro == "include":
                self._include(inv, args)
                continue
            if macro in getattr(self, "_generators", {}):
                self._expand_generator(inv, macro, args)
                continue
            if macro in _SKIP_MACROS:
                continue
            if macro not in self._local_macros and "insert" not in macro and "register" not in macro:
                continue
            tokens = [c for c in args.children if c.type not in ("(", ")", "[", "]", "{", "}")]
            if len(tokens) < 3 or tokens[0].type != "string_literal" or tokens[1].type != ",":
                continue
            live = self._live(inv)
            if live is None:
                continue
            handler = " ".join(t.text.decode("utf-8", "replace") for t in tokens[2:]).replace(" :: ", "::")
            handler = handler.rstrip(", ").strip()
            self.facts.table_rows.append(
                TableRow(
                    name=literal_value(tokens[0]),
                    handler=handler,
                    line=tokens[0].start_point[0],
                    function=live[0],
                    via=macro + "!",
                    cfg=live[1],
                )
            )

    def _inserts(self, root) -> None:
        for groups in self._matches("insert"):
            call, key = groups["call"][0], groups["key"][0]
            live = self._live(call)
            if live is None:
                continue
            args = call.child_by_field_name("arguments")
            rest = [c for c in args.named_children][1:] if args is not None else []
            handler = ""
            if rest and rest[0].type in ("identifier", "scoped_identifier"):
                handler = _text(rest[0])
            self.facts.table_rows.append(
                TableRow(literal_value(key), handler, key.start_point[0], live[0], "insert", live[1])
            )

    def _include(self, inv, args) -> None:
        live = self._live(inv)
        if live is None:
            return
        literal = next((c for c in args.children if c.type == "string_literal"), None)
        simple = literal is not None and len([c for c in args.named_children]) == 1
        self.facts.includes.append(
            Include(literal_value(literal) if simple else "", _text(inv), inv.start_point[0], live[1])
        )

    # -- match arms and name tests -------------------------------------------

    def _arms(self, root) -> None:
        for arm in self._captures("arm", root).get("arm", []):
            pattern = arm.child_by_field_name("pattern")
            if pattern is None:
                continue
            literals, paths = [], []
            for alt in self._alternatives(pattern):
                if alt.type == "string_literal":
                    literals.append(alt)
                elif alt.type == "scoped_identifier":
                    paths.append(alt)
                else:
                    literals, paths = [], []
                    break
            if not literals and not paths:
                continue
            live = self._live(arm)
            if live is None:
                continue
            if paths and not literals:
                value = arm.child_by_field_name("value")
                self.facts.tier_arms.append(
                    TierArm(
                        tuple(p.text.decode("utf-8", "replace").split("::")[-1] for p in paths),
                        _text(value) if value is not None else "",
                        arm.start_point[0],
                        live[0],
                    )
                )
                continue
            match = arm.parent.parent if arm.parent is not None else None
            scrutinee = ""
            if match is not None and match.type == "match_expression":
                value = match.child_by_field_name("value")
                scrutinee = _text(value) if value is not None else ""
            within = self._enclosing_name_test(arm)
            for lit in literals:
                self.facts.match_arms.append(
                    MatchArm(literal_value(lit), scrutinee, lit.start_point[0], live[0], within, live[1])
                )

    @staticmethod
    def _alternatives(pattern):
        out = []
        stack = [pattern]
        while stack:
            node = stack.pop()
            if node.type in ("match_pattern", "or_pattern"):
                named = [c for c in node.named_children]
                if node.type == "match_pattern" and node.child_by_field_name("condition") is not None:
                    named = named[:1]  # `"a" if guard =>`: the guard is not a pattern
                stack.extend(reversed(named))
            else:
                out.append(node)
        return out

    def _enclosing_name_test(self, node) -> int:
        cur = node.parent
        while cur is not None and cur.type != "function_item":
            if cur.type == "if_expression":
                cond = cur.child_by_field_name("condition")
                if cond is not None and self._has_name_test(cond):
                    return cur.start_point[0]
            elif cur.type == "match_arm":
                pattern = cur.child_by_field_name("pattern")
                cond = pattern.child_by_field_name("condition") if pattern is not None else None
                if cond is not None and self._has_name_test(cond):
                    return pattern.start_point[0]
            cur = cur.parent
        return -1

    @staticmethod
    def _has_name_test(cond) -> bool:
        text = cond.text
        return b"starts_with(" in text or b"strip_prefix(" in text or b'== "' in text or b'" ==' in text

    def _name_tests(self, root) -> None:
        seen: set[int] = set()
        for key in ("prefix", "equals"):
            for test in self._captures(key, root).get("test", []):
                if_node = self._if_of_condition(test)
                if if_node is None or if_node.id in seen:
                    continue
                seen.add(if_node.id)
                live = self._live(if_node)
                if live is None:
                    continue
                self._if_name_tests(if_node, live)

    @staticmethod
    def _if_of_condition(node):
        """The `if` (or match guard) whose condition `node` is part of (None for other uses)."""
        cur = node
        while cur.parent is not None:
            parent = cur.parent
            if parent.type in ("if_expression", "match_pattern"):
                return parent if parent.child_by_field_name("condition") == cur else None
            if parent.type not in ("binary_expression", "unary_expression", "parenthesized_expression", "let_condition", "let_chain"):
                return None
            cur = parent
        return None

    def _if_name_tests(self, if_node, live) -> None:
        cond = if_node.child_by_field_name("condition")
        if if_node.type == "match_pattern":  # `_ if name.starts_with("p") => body`
            arm = if_node.parent
            body = arm.child_by_field_name("value") if arm is not None else None
        else:
            body = if_node.child_by_field_name("consequence")
        calls, returns = self._body_summary(body)
        for conjuncts in self._disjuncts(cond):
            positives, excludes, other = [], [], []
            for c in conjuncts:
                test = self._simple_test(c)
                if test is not None:
                    positives.append(test)
                    continue
                neg = self._negated_prefix(c)
                if neg is not None:
                    excludes.append(neg)
                    continue
                other.append(_text(c))
            for kind, literal, subject, node in positives:
                self.facts.name_tests.append(
                    NameTest(
                        kind=kind,
                        literal=literal,
                        subject=subject,
                        excludes=tuple(excludes),
                        other=tuple(other),
                        line=node.start_point[0],
                        if_line=if_node.start_point[0],
                        function=live[0],
                        calls=calls,
                        returns=returns,
                        cfg=live[1],
                    )
                )

    def _disjuncts(self, cond):
        cond = self._unparen(cond)
        if cond.type == "binary_expression" and self._op(cond) == "||":
            return self._disjuncts(cond.child_by_field_name("left")) + self._disjuncts(cond.child_by_field_name("right"))
        return [self._conjuncts(cond)]

    def _conjuncts(self, cond):
        cond = self._unparen(cond)
        if cond.type in ("binary_expression",) and self._op(cond) == "&&":
            return self._conjuncts(cond.child_by_field_name("left")) + self._conjuncts(cond.child_by_field_name("right"))
        if cond.type == "let_chain":
            return [c for c in cond.named_children]
        return [cond]

    @staticmethod
    def _op(node) -> str:
        op = node.child_by_field_name("operator")
        return op.type if op is not None else ""

    @staticmethod
    def _unparen(node):
        while node is not None and node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        return node

    def _simple_test(self, node):
        node = self._unparen(node)
        if node.type == "let_condition":
            value = node.child_by_field_name("value")
            return self._simple_test(value) if value is not None else None
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is None or fn.type != "field_expression" or args is None:
                return None
            field = fn.child_by_field_name("field")
            if field is None or field.text not in (b"starts_with", b"strip_prefix"):
                return None
            named = args.named_children
            if len(named) != 1 or named[0].type != "string_literal":
                return None
            subject = fn.child_by_field_name("value")
            return ("prefix", literal_value(named[0]), _text(subject) if subject is not None else "", node)
        if node.type == "binary_expression" and self._op(node) == "==":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and right.type == "string_literal" and left is not None:
                return ("equals", literal_value(right), _text(left), node)
            if left is not None and left.type == "string_literal" and right is not None:
                return ("equals", literal_value(left), _text(right), node)
        return None

    def _negated_prefix(self, node):
        node = self._unparen(node)
        if node.type != "unary_expression" or not node.children or node.children[0].type != "!":
            return None
        inner = self._simple_test(node.named_children[0]) if node.named_children else None
        if inner is None or inner[0] != "prefix":
            return None
        return inner[1]

    @staticmethod
    def _body_summary(body):
        if body is None:
            return (), ()
        calls: list[str] = []
        returns: list[str] = []
        stack = [body]
        visited = 0
        while stack and visited < 20000:
            node = stack.pop()
            visited += 1
            if node.type == "call_expression":
                fn = node.child_by_field_name("function")
                if fn is not None and fn.type == "scoped_identifier":
                    text = _text(fn)
                    if text not in calls:
                        calls.append(text)
            elif node.type == "return_expression":
                named = node.named_children
                if len(named) == 1 and named[0].type in ("identifier", "scoped_identifier"):
                    ident = named[0].text.decode("utf-8", "replace").split("::")[-1]
                    if ident not in returns:
                        returns.append(ident)
            if node.type in ("function_item", "closure_expression"):
                continue
            stack.extend(reversed(node.named_children))
        return tuple(calls), tuple(returns)

    # -- arrays, modules, tails ------------------------------------------------

    def _consts(self, root) -> None:
        caps = self._captures("const", root)
        for item in caps.get("item", []):
            value = item.child_by_field_name("value")
            if value is None or b'"' not in value.text:
                continue
            node = value
            if node.type == "reference_expression":
                node = node.child_by_field_name("value")
            if node is None or node.type != "array_expression":
                continue
            items = []
            for element in node.named_children:
                if element.type == "string_literal":
                    items.append((literal_value(element), element.start_point[0]))
                elif element.type == "tuple_expression" and element.named_children:
                    first = element.named_children[0]
                    if first.type == "string_literal":
                        items.append((literal_value(first), first.start_point[0]))
            if not items:
                continue
            live = self._live(item)
            if live is None:
                continue
            name_node = item.child_by_field_name("name")
            self.facts.string_arrays.append(
                StringArray(
                    name_node.text.decode("utf-8", "replace") if name_node is not None else "",
                    tuple(items),
                    item.start_point[0],
                    live[1],
                )
            )

    def _mods(self, root) -> None:
        for mod in self._captures("mod", root).get("mod", []):
            # Test-only modules are kept (with their cfg) so that their files are known to be tests.
            _function, cfg, _test = self.context(mod)
            live = (_function, cfg)
            name_node = mod.child_by_field_name("name")
            if name_node is None:
                continue
            path_attr = ""
            for attr_item in self._attributes(mod):
                m = re.search(rb'\bpath\s*=\s*"([^"]+)"', attr_item.text)
                if m:
                    path_attr = m.group(1).decode("utf-8", "replace")
            self.facts.modules.append(
                ModuleDecl(name_node.text.decode("utf-8", "replace"), path_attr, mod.start_point[0], live[1])
            )

    def _tails(self, root) -> None:
        for groups in self._matches("tail"):
            name = groups.get("name", [None])[0]
            tail = groups.get("tail", [None])[0]
            if name is not None and tail is not None:
                self.facts.tails[name.text.decode("utf-8", "replace")] = tail.text.decode("utf-8", "replace")

    def _read_expansion(self, body: str, macro: str, line: int, cfg) -> None:
        tree_sitter, language, _queries = _runtime()
        tree = tree_sitter.Parser(language).parse(body.encode("utf-8"))
        sub = _Extractor(tree.root_node.text, self.path, RustFileFacts(path=self.path), "signatures")
        query, keys = self.queries["signatures"]
        for index, groups in self.cursor(query).matches(tree.root_node):
            sub._groups.setdefault(keys[index], []).append(groups)
        sub._functions(tree.root_node, via_macro=macro + "!", line_override=line, cfg_prefix=cfg)
        self.facts.functions.extend(sub.facts.functions)
