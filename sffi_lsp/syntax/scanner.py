"""Read one file: chunks, declarations, calls, uses, suppressions.

The file is masked once (`lexer.mask`), then split into *top-level chunks*: a
chunk starts at a column-0 line outside any bracket, together with the
comment (doc) and attribute lines stuck to it, and runs to the next chunk.
Each chunk is read on its own (`scan_chunk`), with absolute positions, so an
editor can re-read only the chunks whose text changed (see incremental.py).

Inside a chunk, indentation gives the block structure: every `fn`/`me` and
type header owns the following lines indented deeper (bracket-balanced), which
is how calls get their enclosing function without parsing statements.
Extern declarations are located here and their text handed to `decl.py`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from sys import intern
from dataclasses import replace

from sffi_lsp.model import Suppression, SyntaxProblem, UseItem
from sffi_lsp.syntax.chunks import _is_directive_line
from sffi_lsp.syntax.externs import _extern_block, _extern_decl, _inline_attrs, _leading, _read_signature
from sffi_lsp.syntax.positions import _L_NEW, _L_SET, Anchor, LazyCallSite, lazy_function
from sffi_lsp.syntax.source import (
    Chunk,
    ChunkResult,
    MAX_PROBLEMS,
    Source,
    _N,
    _block_end,
    _decl_end,
    _matching,
)
_EXTERN = re.compile(
    # (same-line attributes may nest parentheses two deep: `@cfg(all(a, not(b))) extern fn`)
    r"([ \t]*)((?:@[\w.]+(?:\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\))?[ \t]+)*)((?:(?:pub(?:\([^()\n]*\))?|export)[ \t]+)?)extern\b[ \t]*"
)
_EXTERN_WORD = re.compile(r"extern\b")
_ASYNC_FN = re.compile(r"async[ \t]+fn(?![A-Za-z0-9_])")  # `extern async fn` (the compiler skips `async`)
_DIRECTIVE_FIND = re.compile(r"@(?:when|elif|elsewhen|else|end)\b")
_HEAD = re.compile(
    rf"^([ \t]*)((?:(?:pub(?:\([^()\n]*\))?|static|async|override|export|inline|unsafe|private|public|sync|kernel)[ \t]+)*)"
    rf"(?:(?:fn|me(?:[ \t]+fn)?)[ \t]+({_N})"
    rf"|(?:class|struct|enum|trait|impl|actor|union|extend|interface|mixin)[ \t]+({_N}(?:\.{_N})*)(?:<[^\n:]*?>)?(?:[ \t]+for[ \t]+({_N}(?:\.{_N})*))?"
    rf"|(use|mod|import)[ \t]+"
    rf"|(?<=export )(?!use\b)(?=[A-Za-z_*{{]))",
    re.M,
)
# no look-behind: `re` then skips non-identifier characters at C speed; `@name(`
# is rejected in Python. A match cannot start mid-word (the leftmost start wins).
_CALL = re.compile(rf"({_N})[ \t]*\(")
# The same calls found in the *reversed* masked text: the pattern then starts
# with the literal `(`, which `re` finds at C speed, instead of trying a match
# at every identifier character. `[A-Za-z0-9_]*[A-Za-z_]` backtracks to the
# longest name starting with a letter, exactly what `_CALL` matches leftmost.
_CALL_REV = re.compile(r"\([ \t]*([A-Za-z0-9_]*[A-Za-z_])")
# candidate header lines (first word could start a `_HEAD` match); `_HEAD` is
# then matched only there instead of at every position of the file
# (first letters checked as a set, then the words as a trie: measured 1.8x
# faster than a flat alternation; it must accept every first word of `_HEAD`)
_HEAD_LINE = re.compile(
    r"\n[ \t]*(?=[psaoeiukfmct])(?=p(?:ub|rivate|ublic)|s(?:tatic|ync|truct)|a(?:sync|ctor)|override"
    r"|e(?:xport|num|xtend)|i(?:nline|mpl|nterface|mport)|u(?:nsafe|nion|se)|kernel|fn|m(?:e|ixin|od)"
    r"|class|trait)"
)
_SUPPRESS = re.compile(r"sffi:[ \t]*ignore(-file)?\b(?:[ \t]*\[([^\]\n]*)\])?")
_NOT_CALLS = frozenset(
    "if elif while for match case return and or not in is fn me assert yield await unsafe "
    "with loop else val var print_raw catch try when elsewhen extern class struct enum trait "
    "impl use mod import export pub static type const lambda then do spawn go defer".split()
)


_NOT_CALLS = _NOT_CALLS - {"print_raw"}


# A spec block header (`it "reads":`, `describe "x":`, `before_each:`) opens a
# block that is a lambda to the compiler: an extern declared in it is local to
# that block, not to the function around it (two `it` blocks may each declare it).
_BLOCK_CALL = re.compile(r'[ \t]*(?:(?!(?:case|if|elif|while|for|match|return|with)\b)[A-Za-z_]\w*[ \t]+"[^"\n]*"|(?:before|after)_(?:each|all))[ \t]*:[ \t]*')


def _in_block_call(masked: str, at: int, floor: int) -> bool:
    """True when the nearest less-indented code line above `at` (not before
    `floor`) is a spec block header; directive/attribute and blank lines are skipped."""
    ls = masked.rfind("\n", 0, at) + 1
    line = masked[ls:at]
    indent = len(line) - len(line.lstrip(" \t"))
    end = ls - 1
    while end > floor:
        ps = masked.rfind("\n", 0, end) + 1
        text = masked[ps:end]
        end = ps - 1
        body = text.lstrip(" \t")
        if not body.strip() or body.startswith("@"):
            continue
        if len(text) - len(body) < indent:
            return _BLOCK_CALL.fullmatch(text.rstrip("\r")) is not None
    return False


def _arg_count(masked: str, open_pos: int, limit: int) -> tuple[int | None, int]:
    """(argument count, index of the closing paren or -1)."""
    close = masked.find(")", open_pos + 1, limit)
    if close < 0:
        return None, -1
    seg = masked[open_pos + 1:close]
    if "(" in seg or "[" in seg or "{" in seg:
        close = _matching(masked, open_pos, limit)
        if close < 0:
            return None, -1
        seg = masked[open_pos + 1:close]
        commas = 0
        depth = 0
        for m in _BRACKET_COMMA.finditer(seg):
            c = m.group()
            if c == ",":
                if depth == 0:
                    commas += 1
            elif c in "([{":
                depth += 1
            else:
                depth -= 1
    else:
        commas = seg.count(",")
    if "\\" in seg:
        # a lambda `\a, b: a + b` is the last argument: its commas are not separators
        lam = seg.index("\\")
        head = masked[open_pos:open_pos + 1 + lam] + ")"  # the arguments before the lambda
        return _arg_count(head, 0, len(head))[0] + 1 if seg[:lam].strip() else 1, close
    st = seg.strip()
    if not st:
        return 0, close
    if "..." in seg or st[0] == "*":
        return None, close
    return commas + 1 - (1 if st[-1] == "," else 0), close


_BRACKET_COMMA = re.compile(r"[()\[\]{},]")


def scan_chunk(src: Source, chunk: Chunk) -> ChunkResult:
    """Everything one chunk declares and calls."""
    return scan_region(src, chunk.start, chunk.end, chunk.line)


def scan_region(src: Source, cs: int, ce: int, first_line: int) -> ChunkResult:
    """Everything the text in [cs, ce) declares and calls (cs at a line start)."""
    res = ChunkResult(cs, first_line)
    _scan(src, res, [cs], [ce], [first_line])
    return res


def scan_chunks(src: Source, chunks: list[Chunk], focus: frozenset[str] | None = None) -> ChunkResult:
    """Everything `chunks` (consecutive) declare and call, in one result.

    The same as joining `scan_chunk` of each: every search is bounded by the
    end of the chunk it starts in, but the regex passes run once over the
    whole range instead of once per chunk. With `focus`, only calls and
    functions with those names are kept (see `parse_source`)."""
    if not chunks:
        return ChunkResult(0, 0)
    res = ChunkResult(chunks[0].start, chunks[0].line)
    _scan(src, res, [c.start for c in chunks], [c.end for c in chunks], [c.line for c in chunks], focus)
    return res


def _scan(src: Source, res: ChunkResult, cstarts: list[int], cends: list[int], clines: list[int],
          focus: frozenset[str] | None = None) -> None:
    masked = src.masked
    index = src.index
    cs, ce = cstarts[0], cends[-1]
    single = len(cstarts) == 1
    anchor = res.anchor = Anchor(index.starts, cs)

    def chunk_of(pos: int) -> int:
        return 0 if single else bisect_right(cstarts, pos) - 1

    # @when/@elif/@else/@end lines, at column 0 or indented (the compiler's
    # preprocessor reads trimmed lines, so a function body can hold them too)
    if masked.find("@", cs, ce) >= 0:
        for m in _DIRECTIVE_FIND.finditer(masked, cs, ce):
            p = m.start()
            if p and masked[p - 1] != "\n" and masked[masked.rfind("\n", 0, p) + 1:p].strip(" \t"):
                continue
            le = masked.find("\n", p, ce)
            le = ce if le < 0 else le
            d = _is_directive_line(masked, p, le)
            if d is not None:
                kind, cond = d
                if cond is not None:
                    a, b = map(int, cond.split(","))
                    cond = " ".join(src.text[a + 1:b].split())
                res.directives.append((p, kind, cond))

    skip_ranges: list[tuple[int, int]] = []  # extern text: no calls, no fns in there
    block_ranges: list[tuple[int, int]] = []

    # ---- externs: find the word, then check it starts a line
    for w in (_EXTERN_WORD.finditer(masked, cs, ce) if masked.find("extern", cs, ce) >= 0 else ()):
        ci = chunk_of(w.start())
        ccs, cce = cstarts[ci], cends[ci]
        ls = masked.rfind("\n", ccs, w.start()) + 1
        if ls < ccs:
            ls = ccs
        m = _EXTERN.match(masked, ls, cce)
        if m is None or m.end(3) != w.start():
            continue
        indent = len(m.group(1))
        after = m.end()
        decl_start = m.start(3)  # `pub`/`export` or `extern` itself
        is_pub = m.group(3).startswith("pub")
        line = index.line_of(decl_start)
        floor = clines[ci]
        nxt = masked[after:after + 6]
        if (nxt.startswith("fn") and not masked[after + 2:after + 3].isalnum() and masked[after + 2:after + 3] != "_"
                or nxt.startswith("async") and _ASYNC_FN.match(masked, after, cce)):
            got = _read_signature(src, res, decl_start, indent, cce, "extern declaration")
            if got is None:
                e, _ = _decl_end(masked, decl_start, indent, cce, True)
                skip_ranges.append((decl_start, e))
                continue
            sig, end = got
            skip_ranges.append((decl_start, end))
            attrs, doc = _leading(src, line, floor)
            if m.group(2):
                inline = _inline_attrs(src, m.start(2), m.start(2) + len(m.group(2)))
                attrs = attrs + inline
            res.externs.append(_extern_decl(src, sig, decl_start, end, attrs, doc, is_pub, None))
        elif nxt.startswith("struct") and not (masked[after + 6:after + 7].isalnum() or masked[after + 6:after + 7] == "_"):
            # `extern struct Name:` is a plain struct to the compiler: no externs, no problem
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            skip_ranges.append((decl_start, decl_start + len(masked[decl_start:le].rstrip())))
        elif nxt.startswith("class") or masked.startswith('"', after):
            _extern_block(src, res, m, decl_start, indent, after, cce, skip_ranges, block_ranges)
        elif nxt.startswith("type") and not (masked[after + 4:after + 5].isalnum() or masked[after + 4:after + 5] == "_"):
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            text = masked[decl_start:le].rstrip()
            res.extern_types.append(index.span(decl_start, decl_start + len(text)))
            skip_ranges.append((decl_start, decl_start + len(text)))
        elif after < cce and (masked[after].isalpha() or masked[after] == "_"):
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            text = masked[decl_start:le].rstrip()
            if len(res.problems) < MAX_PROBLEMS:
                word = re.match(r"\w+", masked[after:le])
                res.problems.append(SyntaxProblem(
                    f"malformed extern declaration: expected `fn`, `class` or a string after "
                    f"`extern`, found `{word.group() if word else masked[after]}`",
                    index.span(decl_start, decl_start + len(text)),
                ))
            skip_ranges.append((decl_start, decl_start + len(text)))

    # ---- line heads: fn and type headers, use/export/mod. `_HEAD` is tried
    # only on lines whose first word can start one (see `_HEAD_LINE`).
    block_ranges.sort()
    block_starts = [b[0] for b in block_ranges]
    headers: list[tuple[int, int, str, bool, int]] = []  # (start, end, name, is_fn, name_start)
    decl_names: set[int] = set()
    use_heads: list[tuple[int, int, str, int]] = []
    line_starts = [m.end() - len(m.group()) + 1 for m in _HEAD_LINE.finditer(masked, cs, ce)]
    if not line_starts or line_starts[0] != cs:
        line_starts.insert(0, cs)
    head_match = _HEAD.match
    for hpos in line_starts:
        if hpos >= ce:
            continue
        ci = chunk_of(hpos)
        cce = cends[ci]
        m = head_match(masked, hpos, cce)
        if m is None:
            continue
        fn_name = m.group(3)
        if fn_name is not None:
            ns = m.start(3)
            if block_ranges:
                bi = bisect_right(block_starts, ns) - 1
                if bi >= 0 and ns < block_ranges[bi][1]:
                    continue
            hs = m.start() + len(m.group(1))
            headers.append((hs, _block_end(src, hs, len(m.group(1)), cce), fn_name, True, ns))
            decl_names.add(ns)
        elif m.group(4) is not None:
            hs = m.start() + len(m.group(1))
            name = m.group(5) or m.group(4)
            headers.append((hs, _block_end(src, hs, len(m.group(1)), cce), name, False, m.start(4)))
            decl_names.add(m.start(4))
        else:
            mods = m.group(2)
            kw = m.group(6)
            if kw is None:
                if "export" in mods:
                    use_heads.append((m.start() + len(m.group(1)), m.end(), "export", cce))
            else:
                kind = "export" if "export" in mods else ("mod" if kw == "mod" else "use")
                use_heads.append((m.start() + len(m.group(1)), m.end(), kind, cce))
    headers.sort()

    stack: list[tuple[int, int, str, bool, int]] = []
    functions = res.functions
    starts = index.starts
    for h in headers:
        while stack and stack[-1][1] <= h[0]:
            stack.pop()
        if h[3]:
            ns = h[4]
            if focus is None or h[2] in focus:
                functions.append(lazy_function(intern(h[2]), stack[-1][2] if stack else None, anchor, h[4]))
        stack.append(h)

    fn_ranges = [h for h in headers if h[3]]

    # local externs get their enclosing function (one sorted walk, like calls)
    if fn_ranges and res.externs:
        fixed = []
        k = 0
        open_fns: list[tuple[int, int, str, bool, int]] = []
        for e in sorted(res.externs, key=lambda x: x.span.start):
            at = e.span.start
            while k < len(fn_ranges) and fn_ranges[k][0] < at:
                while open_fns and open_fns[-1][1] <= fn_ranges[k][0]:
                    open_fns.pop()
                open_fns.append(fn_ranges[k])
                k += 1
            while open_fns and open_fns[-1][1] <= at:
                open_fns.pop()
            if open_fns and not _in_block_call(masked, at, open_fns[-1][0]):
                e = replace(e, enclosing_fn=open_fns[-1][2])
            fixed.append(e)
        res.externs = fixed

    # ---- use / export / mod
    for start, body_start, kind, cce in use_heads:
        _use_item(src, res, start, body_start, kind, cce)
    skip_ranges.extend((u.span.start, u.span.end) for u in res.uses)

    # ---- calls (found right to left in the reversed text, walked left to right)
    calls = res.calls
    fi = 0
    nf = len(fn_ranges)
    fstack: list[tuple[int, int, str, bool, int]] = []
    skip_ranges.sort()
    si = 0
    ns_ = len(skip_ranges)
    n = len(masked)
    rev = src.reversed_masked()
    not_calls = _NOT_CALLS
    l_new, (l_name, l_count, l_enc, l_qual, l_at) = _L_NEW, _L_SET
    find = masked.find
    if focus is None:
        found = list(_CALL_REV.finditer(rev, n - ce, n - cs))
    else:
        # names are matched reversed: compare them with the reversed focus, and
        # keep only those matches (most calls of a file are not of externs)
        rfocus = _reversed_focus(focus)
        found = [m for m in _CALL_REV.finditer(rev, n - ce, n - cs) if m.group(1) in rfocus]
    found.reverse()
    ci = 0
    cce = cends[0]
    last_chunk = len(cends) - 1
    for m in found:
        e1 = m.end(1)
        s = n - e1
        name = m.group(1)
        if len(name) > 1:
            name = name[::-1]
        if name in not_calls or s in decl_names or (focus is not None and name not in focus):
            continue
        # one string per name, not per call: a tree calls the same externs thousands of times
        name = intern(name)
        prev = masked[s - 1] if s else "\n"
        if prev == "@" or prev == "$":
            continue
        while si < ns_ and skip_ranges[si][1] <= s:
            si += 1
        if si < ns_ and skip_ranges[si][0] <= s:
            continue
        if prev == "[" and s >= 2 and masked[s - 2] == "#":
            continue
        while ci < last_chunk and cends[ci] <= s:
            ci += 1
            cce = cends[ci]
        open_pos = n - 1 - m.start()
        # `_arg_count`, inlined for the common flat argument list
        close = find(")", open_pos + 1, cce)
        seg = masked[open_pos + 1:close] if close >= 0 else "("
        if "(" in seg or "[" in seg or "{" in seg or "\\" in seg:
            count, close = _arg_count(masked, open_pos, cce)
        else:
            st = seg.strip()
            if not st:
                count = 0
            elif "..." in seg or st[0] == "*":
                count = None
            else:
                count = seg.count(",") + (0 if st[-1] == "," else 1)
        while fi < nf and fn_ranges[fi][0] <= s:
            while fstack and fstack[-1][1] <= fn_ranges[fi][0]:
                fstack.pop()
            fstack.append(fn_ranges[fi])
            fi += 1
        while fstack and fstack[-1][1] <= s:
            fstack.pop()
        # filled in place (see positions.lazy_call): this loop runs once per
        # call of every file, the hottest code of a cold run
        o = l_new(LazyCallSite)
        l_name(o, name)
        l_count(o, count)
        l_enc(o, fstack[-1][2] if fstack else None)
        l_qual(o, prev == ".")
        l_at(o, (anchor, s, open_pos, close))
        calls.append(o)

    # ---- suppressions
    i = bisect_left(src.comment_starts, cs)
    comments = src.comments
    while i < len(comments) and comments[i].start < ce:
        c = comments[i]
        if "sffi:" in c.text:
            for sm in _SUPPRESS.finditer(c.text):
                codes = tuple(x.strip().upper() for x in (sm.group(2) or "").split(",") if x.strip())
                begin, stop = _suppression_extent(src.text, c, sm)
                res.suppressions.append(Suppression(
                    codes, index.line_of(c.start), sm.group(1) is not None, index.span(begin, stop),
                    begin != c.start + sm.start(),
                ))
        i += 1


def _suppression_extent(text: str, comment, sm: re.Match) -> tuple[int, int]:
    """Where a suppression is written: the directive; or, when the comment holds nothing
    else, the whole comment with the blanks before it (and its line end, when it has
    the line to itself), which is what removing the suppression removes."""
    start, end = comment.start + sm.start(), comment.start + sm.end()
    if comment.text[1:sm.start()].strip() or comment.text[sm.end():].strip() or not comment.text.startswith("#"):
        return start, end
    begin = comment.start
    while begin > 0 and text[begin - 1] in " \t":
        begin -= 1
    stop = comment.end
    if (begin == 0 or text[begin - 1] == "\n") and text.startswith("\n", stop):
        stop += 1
    return begin, stop


_RFOCUS: list = [None, frozenset()]  # (focus, its names reversed): one set per run, not per file


def _reversed_focus(focus: frozenset[str]) -> frozenset[str]:
    if _RFOCUS[0] is not focus:
        _RFOCUS[:] = [focus, frozenset(n[::-1] for n in focus)]
    return _RFOCUS[1]


_USE_BODY = re.compile(r"[A-Za-z_][\w]*(?:(?:\.|::)[A-Za-z_*][\w]*)*")


def _use_item(src: Source, res: ChunkResult, start: int, body_start: int, kind: str, ce: int) -> None:
    masked = src.masked
    end, _ = _decl_end(masked, start, 10**9, ce, stop_at_colon=False)
    body = " ".join(masked[body_start:end].split())
    if not body:
        return
    span = src.index.span(start, start + len(masked[start:end].rstrip()))
    if kind == "mod":
        m = re.match(r"[A-Za-z_]\w*", body)
        if m:
            res.uses.append(UseItem("mod", m.group(), (), span))
        return
    if masked[body_start - 1:body_start] != " " and kind == "export" and masked[start:body_start].strip() != "export":
        pass
    low = masked[start:body_start].split()
    if kind == "export" and low and low[0] == "export" and (len(low) == 1):
        # `export a, b, C`
        names = tuple(n.strip() for n in body.split(",") if n.strip())
        res.uses.append(UseItem("export", "", names, span))
        return
    # use paths: a.b.{x, y as z} | a.b.* | a.b* | a.b.item | a::b::{c} | a.b (c)
    brace = re.search(r"(\.|::)?\s*\{([^}]*)\}?", body)
    if brace:
        path = body[:brace.start()].strip()
        names = tuple(n.strip().split(" as ")[0].strip() for n in brace.group(2).split(",") if n.strip())
    elif "(" in body:
        path = body[:body.index("(")].strip()
        inner = body[body.index("(") + 1:].rstrip(")")
        names = tuple(n.strip().split(" as ")[0].strip() for n in inner.split(",") if n.strip())
    else:
        target = body.split(" as ")[0].strip()
        if target.endswith("*"):
            path = target[:-1].rstrip(".:")
            names = ("*",)
        else:
            sep = "::" if "::" in target and "." not in target else "."
            if sep in target:
                path, _, last = target.rpartition(sep)
                names = (last,)
            else:
                path, names = target, ()
    res.uses.append(UseItem(kind, path, names, span))
