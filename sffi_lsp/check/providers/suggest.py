"""\"Did you mean\": the offered names nearest an unresolved extern's name.

The scorer is defined by `suggest_reference` (brute force); `Suggester` gives
the same answers fast, and `NameSuggester` keeps mangled C++ names apart.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from itertools import repeat

class Suggester:
    """Near names among tens of thousands, in well under a millisecond per query.

    The answer is defined by brute force (see `suggest_reference`): among the
    names whose length is within a few edits of the query, those whose
    difflib ratio (lowercased, autojunk off, candidate as seq1) reaches
    CUTOFF, the best `max(limit * 4, 12)` by ratio (ties by name) re-ordered
    by edit distance (with transpositions). Only the filtering is fast:
    difflib's ratio is at most its quick_ratio (the character-multiset
    overlap), and that overlap is computed for every name of the length
    window at once. Names are kept sorted by length, one byte column per
    character holds each name's count of it, and the query's overlap with all
    names is the lane-wise sum of `min(column, count in query)` (a byte
    translate per character, summed as big integers: lanes never carry since
    an overlap cannot exceed the query's length, kept below 256). Only names
    whose overlap can reach CUTOFF get a real ratio: a handful per query."""

    CUTOFF = 0.7  # difflib's 0.6 lets `getopt_long` pass for `geo_lenght`
    MAX_FAST_QUERY = 255  # lanes are bytes: longer queries take the brute-force path

    def __init__(self, names: Sequence[str]):
        unique = list(dict.fromkeys(names))
        # By length, then by name: the tie order of equal ratios is then the name order.
        unique.sort(key=lambda n: (len(n), n))
        self.names = unique
        self.lowered = [n.lower() for n in unique]
        self.start: dict[int, int] = {}  # first index of each length
        self.end: dict[int, int] = {}
        for i, n in enumerate(self.lowered):
            ln = len(n)
            if ln not in self.start:
                self.start[ln] = i
            self.end[ln] = i + 1
        self._columns: dict[str, bytes] = {}

    def _column(self, ch: str) -> bytes:
        col = self._columns.get(ch)
        if col is None:
            counts = map(str.count, self.lowered, repeat(ch))
            try:
                col = bytes(counts)
            except ValueError:  # a name holding a character 256+ times
                col = bytes(min(c, 255) for c in map(str.count, self.lowered, repeat(ch)))
            self._columns[ch] = col
        return col

    def _window(self, length: int) -> tuple[int, int, int]:
        slack = max(2, length // 4)
        lo, hi = max(1, length - slack), length + slack
        present = [n for n in range(lo, hi + 1) if n in self.start]
        if not present:
            return lo, hi, -1
        return lo, hi, present[0]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if not query or not self.names or limit <= 0:
            return []
        import difflib  # noqa: PLC0415  (not for an empty candidate list: no provider offers names)

        q = query.lower()
        if len(q) > self.MAX_FAST_QUERY:
            return suggest_reference(self.names, query, limit, self.CUTOFF)
        lo, hi, first = self._window(len(q))
        if first < 0:
            return []
        last = max(n for n in range(lo, hi + 1) if n in self.start)
        a, b = self.start[first], self.end[last]
        acc = 0
        for ch, k in Counter(q).items():
            acc += int.from_bytes(self._column(ch)[a:b].translate(_MIN_TABLES[k]), "little")
        overlap = acc.to_bytes(b - a, "little")
        # Groups of names sharing (length, overlap) share the bound 2*overlap/(len(q)+length) on
        # their ratio. Visiting groups best bound first, the search stops once the bound falls
        # below the ratio of the `keep`-th best name found: nothing after it could rank.
        lq = len(q)
        groups: list[tuple[float, int, int]] = []
        for n in range(first, last + 1):
            s = self.start.get(n)
            if s is None:
                continue
            need = _min_matches(lq + n, self.CUTOFF)
            groups.extend((2.0 * v / (lq + n), n, v) for v in set(overlap[s - a: self.end[n] - a]) if v >= need)
        groups.sort(reverse=True)
        keep = max(limit * 4, 12)
        best: list[float] = []  # min-heap of the best `keep` ratios so far
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(q)
        scored = []
        for bound, n, v in groups:
            if len(best) >= keep and bound < best[0]:
                break
            s = self.start[n]
            flags = overlap[s - a: self.end[n] - a].translate(_EQUAL_TABLES[v])
            k = flags.find(1)
            while k >= 0:
                i = s + k
                name = self.names[i]
                if name != query:
                    matcher.set_seq1(self.lowered[i])
                    ratio = matcher.ratio()
                    if ratio >= self.CUTOFF:
                        scored.append((ratio, name))
                        if len(best) < keep:
                            heapq.heappush(best, ratio)
                        elif ratio > best[0]:
                            heapq.heapreplace(best, ratio)
                k = flags.find(1, k + 1)
        return _rank(scored, q, limit)


def _rank(scored: list[tuple[float, str]], q: str, limit: int) -> list[str]:
    scored.sort(key=lambda item: (-item[0], item[1]))
    best = scored[: max(limit * 4, 12)]
    best.sort(key=lambda item: (_edit_distance(q, item[1].lower()), -item[0], len(item[1]), item[1]))
    return [name for _, name in best[:limit]]


def _min_matches(total: int, cutoff: float) -> int:
    """The fewest matches M with difflib's `2.0 * M / total >= cutoff` (same float arithmetic)."""
    m = max(0, int(cutoff * total / 2.0) - 1)
    while 2.0 * m / total < cutoff:
        m += 1
    return m


class _Tables(dict):
    """256-byte translate tables made on first use (all 512 up front cost 30 ms at import)."""

    def __init__(self, make) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, k: int) -> bytes:
        table = self[k] = bytes(self._make(v, k) for v in range(256))
        return table


_MIN_TABLES = _Tables(lambda v, k: min(v, k))  # lane v -> min(v, k)
_EQUAL_TABLES = _Tables(lambda v, t: 1 if v == t else 0)  # lane v -> v == t


def suggest_reference(names: Sequence[str], query: str, limit: int = 3, cutoff: float = Suggester.CUTOFF
                      ) -> list[str]:
    """The definition of "did you mean", by brute force (tests compare the fast path with it)."""
    import difflib  # noqa: PLC0415

    if not query or limit <= 0:
        return []
    q = query.lower()
    slack = max(2, len(q) // 4)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(q)
    scored = []
    for name in dict.fromkeys(names):
        if name == query or not (max(1, len(q) - slack) <= len(name) <= len(q) + slack):
            continue
        matcher.set_seq1(name.lower())
        ratio = matcher.ratio()
        if ratio >= cutoff:
            scored.append((ratio, name))
    return _rank(scored, q, limit)


class NameSuggester:
    """C names and mangled C++ names (`_Z...`) apart: a Simple extern is almost
    never a mangled name, and libtorch has 50k of them, so they are searched
    only for a query that is itself mangled."""

    def __init__(self, names: Sequence[str]):
        self.plain = Suggester([n for n in names if not n.startswith("_Z")])
        self._mangled_names = [n for n in names if n.startswith("_Z")]
        self._mangled: Suggester | None = None

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if query.startswith("_Z"):
            if self._mangled is None:
                self._mangled = Suggester(self._mangled_names)
            return self._mangled.suggest(query, limit)
        return self.plain.suggest(query, limit)


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours counts once)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


__all__ = ["NameSuggester", "Suggester", "suggest_reference"]
