"""\"Did you mean\": the offered names nearest an unresolved extern's name.

Scoring is rapidfuzz's (C++): `fuzz.ratio`, the normalised InDel similarity
`2 * LCS / (len(a) + len(b))` of the lowercased names, for the shortlist, and
the optimal-string-alignment distance (`distance.OSA`, a swap of neighbours
counts once) to order it. `suggest_reference` scores every name of the length
window; `Suggester` narrows first:

- prefix and suffix families: names sharing the query's first or last k
  characters (case-insensitive; k = 8 for queries of 17+ characters, 4 from
  9). A slip (one wrong, missing, extra or swapped character) in a query
  longer than 2k leaves one of the two intact, so the intended name is
  always among them. A family is one slice of the names sorted (the suffix
  family: of the reversed names, scored against the reversed query; an LCS
  does not change when both strings are reversed), handed to
  `rapidfuzz.process.extract` with `score_cutoff` as it is: no Python loop
  over its names. Hits outside the query's length window are dropped after.
- for short queries (the families would be most of the window anyway), a
  length index: names sorted by length, so the window is one slice.

The sorted views are built on first need (the CLI asks about a hundred names
once: a view nobody asks for costs nothing). `NameSuggester` keeps mangled C++
names apart. Without rapidfuzz (a platform whose wheel is absent), the same
scores come from a pure-Python bit-parallel LCS, after a one-time notice on
stderr: slower (measured in bench/bench_suggest.py), never silently empty.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence

CUTOFF = 70.0  # fuzz.ratio, 0..100: 60 lets `getopt_long` pass for `geo_lenght`
FAMILIES = (8, 4)  # characters of the prefix / suffix a family shares: the longest the query allows
_TOP = "\U0010ffff"  # sorts after every character: `key + _TOP` bounds the names starting with key


def _window(length: int) -> tuple[int, int]:
    """Lengths a suggestion may have: within a few edits of the query's."""
    slack = max(2, length // 4)
    return max(1, length - slack), length + slack


# ---------------------------------------------------------------- scorers: rapidfuzz, else pure Python
class _Scorer:
    """`extract(query, choices, cutoff)` -> [(choice, score, index into choices)] at or above
    cutoff, best first;
    `ratio(a, b)` and `osa(a, b)` for one pair."""

    def __init__(self, name: str, extract: Callable, ratio: Callable, osa: Callable) -> None:
        self.name, self.extract, self.ratio, self.osa = name, extract, ratio, osa


_SCORER: _Scorer | None = None
FALLBACK_NOTICE = ("sffi-lsp: rapidfuzz cannot be imported here ({why}); \"did you mean\" uses a slower "
                   "pure-Python scorer (the same suggestions)")


def scorer() -> _Scorer:
    """The scorer of this process: rapidfuzz's, else the pure-Python one (said once on stderr)."""
    global _SCORER
    if _SCORER is None:
        try:
            from rapidfuzz import fuzz, process  # noqa: PLC0415
            from rapidfuzz.distance import OSA  # noqa: PLC0415
        except Exception as exc:  # noqa: BLE001  (ImportError, or a wheel built for another platform)
            _SCORER = _python_scorer()
            try:
                sys.stderr.write(FALLBACK_NOTICE.format(why=f"{type(exc).__name__}: {exc}") + "\n")
            except (OSError, ValueError):
                pass
        else:
            def extract(q: str, choices: Sequence[str], cutoff: float) -> list[tuple[str, float, int]]:
                return process.extract(q, choices, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff,
                                       limit=None)

            _SCORER = _Scorer("rapidfuzz", extract, lambda a, b: fuzz.ratio(a, b), OSA.distance)
    return _SCORER


def _lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence (Hyyrö's bit-parallel algorithm on Python ints)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, c in enumerate(a):
        masks[c] = masks.get(c, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    get = masks.get
    for c in b:
        u = v & get(c, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def _py_ratio(a: str, b: str) -> float:
    """fuzz.ratio: the normalised InDel similarity, computed as rapidfuzz does."""
    total = len(a) + len(b)
    if not total:
        return 100.0
    dist = total - 2 * _lcs(a, b)
    return (1.0 - dist / total) * 100


def _py_osa(a: str, b: str) -> int:
    """Optimal string alignment distance (a swap of neighbours counts once)."""
    la, lb = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ca = a[i - 1]
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                d = min(d, prev2[j - 2] + 1)
            cur[j] = d
        prev2, prev = prev, cur
    return prev[lb]


def _python_scorer() -> _Scorer:
    def extract(q: str, choices: Sequence[str], cutoff: float) -> list[tuple[str, float, int]]:
        lq = len(q)
        out = []
        for k, c in enumerate(choices):
            lc = len(c)
            # the best ratio two lengths allow (all of the shorter in common): skip what cannot pass
            if lq + lc and 200.0 * min(lq, lc) / (lq + lc) < cutoff:
                continue
            score = _py_ratio(q, c)
            if score >= cutoff:
                out.append((c, score, k))
        out.sort(key=lambda hit: (-hit[1], hit[2]))
        return out

    return _Scorer("python", extract, _py_ratio, _py_osa)


def _rank(scored: list[tuple[float, str]], q: str, limit: int) -> list[str]:
    """The best `max(limit * 4, 12)` by ratio (ties by name), ordered by edit distance."""
    osa = scorer().osa
    scored.sort(key=lambda item: (-item[0], item[1]))
    best = scored[: max(limit * 4, 12)]
    best.sort(key=lambda item: (osa(q, item[1].lower()), -item[0], len(item[1]), item[1]))
    return [name for _, name in best[:limit]]


def _lowered(names: list[str]) -> list[str]:
    """The names lowercased, in one C pass when no name holds a NUL (ELF names cannot)."""
    joined = "\0".join(names)
    if names and joined.count("\0") == len(names) - 1:
        return joined.lower().split("\0")
    return [n.lower() for n in names]


class _SortedView:
    """Indices of the names in the order of `keys`, and the keys so ordered (one slice per family)."""

    __slots__ = ("keys", "order")

    def __init__(self, keys: list[str]) -> None:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.order = order
        self.keys = list(map(keys.__getitem__, order))

    def family(self, key: str) -> tuple[int, int]:
        keys = self.keys
        return bisect_left(keys, key), bisect_right(keys, key + _TOP)


class Suggester:
    """Near names among tens of thousands: the query's families in its length window,
    scored by rapidfuzz (`families=False`: the whole window, as `suggest_reference`)."""

    CUTOFF = CUTOFF
    FAMILY_BUDGET = 1000  # names a family may hold before it is narrowed to a longer shared prefix/suffix

    def __init__(self, names: Sequence[str], families: bool = True):
        self.names = list(dict.fromkeys(names))
        self.lowered = _lowered(self.names)
        self._use_families = families
        self._prefix: _SortedView | None = None
        self._suffix: _SortedView | None = None
        self._by_length: tuple[list[int], list[int], list[str]] | None = None  # order, lengths, lowered

    # ------------------------------------------------------------------ views, built on first need
    def _prefix_view(self) -> _SortedView:
        if self._prefix is None:
            self._prefix = _SortedView(self.lowered)
        return self._prefix

    def _suffix_view(self) -> _SortedView:
        if self._suffix is None:
            self._suffix = _SortedView([n[::-1] for n in self.lowered])
        return self._suffix

    def _length_view(self) -> tuple[list[int], list[int], list[str]]:
        if self._by_length is None:
            lengths = list(map(len, self.names))
            order = sorted(range(len(lengths)), key=lengths.__getitem__)
            self._by_length = (order, list(map(lengths.__getitem__, order)), list(map(self.lowered.__getitem__, order)))
        return self._by_length

    # ------------------------------------------------------------------ scoring
    def _hits(self, q: str, keep: int) -> list[tuple[float, int]]:
        """(ratio, name index) of the best `keep` candidates in the query's length window (and
        any tied with the keep-th), from each family: the best of their union are among them."""
        lo, hi = _window(len(q))
        extract = scorer().extract
        cutoff = self.CUTOFF
        k = next((k for k in FAMILIES if len(q) > 2 * k), 0) if self._use_families else 0
        if not k:
            order, lengths, lowered = self._length_view()
            a, b = bisect_left(lengths, lo), bisect_right(lengths, hi)
            return [(score, order[a + j]) for _c, score, j in extract(q, lowered[a:b], cutoff)]
        names = self.names
        found: dict[int, float] = {}
        widest = (len(q) - 1) // 2  # any longer and one slip could break both families
        for view, query in ((self._prefix_view(), q), (self._suffix_view(), q[::-1])):
            a, b = view.family(query[:k])
            kk = k
            while b - a > self.FAMILY_BUDGET and kk < widest:
                # a crowded family (libtorch's 7,000 `mkl_spblas_...`): share one more character
                kk += 1
                a, b = view.family(query[:kk])
            if a == b:
                continue
            order = view.order
            taken, floor = 0, -1.0
            for _c, score, j in extract(query, view.keys[a:b], cutoff):  # best first
                if score < floor:
                    break
                i = order[a + j]
                if lo <= len(names[i]) <= hi:
                    found[i] = score
                    taken += 1
                    if taken == keep:
                        floor = score
        return [(score, i) for i, score in found.items()]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if not query or not self.names or limit <= 0:
            return []
        q = query.lower()
        # only those tied with or above the keep-th can rank
        keep = max(limit * 4, 12) + 1  # (+1: the query itself may be among them)
        hits = self._hits(q, keep)
        if not hits:
            return []
        if len(hits) > keep:
            hits.sort(key=lambda hit: -hit[0])
            floor = hits[keep - 1][0]
            end = keep
            while end < len(hits) and hits[end][0] >= floor:
                end += 1
            hits = hits[:end]
        names = self.names
        scored = [(score, names[i]) for score, i in hits if names[i] != query]
        return _rank(scored, q, limit)


def suggest_reference(names: Sequence[str], query: str, limit: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """The definition of "did you mean": every name scored (tests compare the index with it)."""
    if not query or limit <= 0:
        return []
    ratio = scorer().ratio
    q = query.lower()
    lo, hi = _window(len(q))
    scored = []
    for name in dict.fromkeys(names):
        if name == query or not (lo <= len(name) <= hi):
            continue
        score = ratio(q, name.lower())
        if score >= cutoff:
            scored.append((score, name))
    return _rank(scored, q, limit)


class NameSuggester:
    """C names and mangled C++ names (`_Z...`) apart: a Simple extern is almost
    never a mangled name, and libtorch has 50k of them, so they are searched
    only for a query that is itself mangled."""

    def __init__(self, names: Sequence[str]):
        self._names = names
        self.plain = Suggester([n for n in names if n[:2] != "_Z"])
        self._mangled: Suggester | None = None

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if query.startswith("_Z"):
            if self._mangled is None:
                self._mangled = Suggester([n for n in self._names if n[:2] == "_Z"])
            return self._mangled.suggest(query, limit)
        return self.plain.suggest(query, limit)


__all__ = ["FALLBACK_NOTICE", "NameSuggester", "Suggester", "scorer", "suggest_reference"]
