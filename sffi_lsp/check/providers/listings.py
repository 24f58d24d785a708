"""Directory listings and ld.so cache names, shared by satellite discovery and the deferred index."""

from __future__ import annotations

import os
import re

# Every directory glibc's ld.so searches by default for any target the binary layer knows
# (`binary.loader.default_dirs`; a test keeps the two in step), and its cache file.
_TRIPLES = ("x86_64-linux-gnu", "i386-linux-gnu", "aarch64-linux-gnu", "x86_64-linux-gnux32",
            "arm-linux-gnueabihf", "riscv64-linux-gnu")
ANY_DEFAULT_DIRS = (*(f"{root}/{t}" for t in _TRIPLES for root in ("/lib", "/usr/lib")), "/lib", "/usr/lib")
LD_CACHE = "/etc/ld.so.cache"


WINDOW = 0.002  # seconds a directory listing or stat is reused (as binary.index.STAT_WINDOW)


class Listings:
    """Directory listings and ld.so cache names, re-validated by stat identity once their
    `WINDOW` has passed: one listing answers hundreds of "is libspl_<p>.so there?"
    questions, and a file created since is still seen (the directory's mtime changes)."""

    def __init__(self) -> None:
        self._dirs: dict[str, tuple[float, tuple | None, frozenset[str] | None]] = {}
        self._by_ident: dict[tuple, frozenset[str]] = {}  # listings by directory identity (incl. mtime)
        self._cache: tuple[float, tuple | None, frozenset[bytes]] = (-1.0, None, frozenset())

    def entries(self, directory: str, now: float) -> frozenset[str] | None:
        """The names in `directory` (empty when it does not exist); None when it cannot be listed."""
        held = self._dirs.get(directory)
        if held is not None and now - held[0] < WINDOW:
            return held[2]
        try:
            st = os.stat(directory)
            ident: tuple | None = (st.st_mtime_ns, st.st_ino, st.st_dev, st.st_size)
        except (FileNotFoundError, NotADirectoryError):
            ident = None
        except OSError:
            self._dirs[directory] = (now, None, None)
            return None
        if held is not None and ident is not None and held[1] == ident:
            names = held[2]
        elif ident is None:
            names = frozenset()
        elif ident in self._by_ident:  # the same directory by another name (/lib -> /usr/lib)
            names = self._by_ident[ident]
        else:
            try:
                names = frozenset(os.listdir(directory))
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()
            except OSError:  # unreadable but perhaps searchable: cannot tell
                names = None
            else:
                if len(self._by_ident) >= 256:  # a long-lived server: forget old directory states
                    self._by_ident.clear()
                self._by_ident[ident] = names
        self._dirs[directory] = (now, ident, names)
        return names

    def cache_may_hold(self, name: str, now: float) -> bool:
        """False when no string of the ld.so cache ends in `name` (so no entry's key is
        `name`: a key is a NUL-terminated string at some offset of the file). Only names
        starting with "lib" are judged (every "lib..." tail of every string is known)."""
        if not name.startswith("lib"):
            return True
        checked, ident, tails = self._cache
        if now - checked >= WINDOW:
            try:
                st = os.stat(LD_CACHE)
                now_ident: tuple | None = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                now_ident = None
            if now_ident != ident or checked < 0:
                data = b""
                if now_ident is not None:
                    try:
                        with open(LD_CACHE, "rb") as fh:
                            data = fh.read(64 << 20)  # as binary.ldcache reads it
                    except OSError:  # the index reads no entries from a cache it cannot read
                        data = b""
                # From every "lib" to the string's end (overlapping: "/usr/lib/libm.so" gives
                # "lib/libm.so" and "libm.so"): a key equal to a lib... name is one of them.
                tails = frozenset(re.findall(rb"(?=(lib[^\0]*))", data))
            self._cache = (now, now_ident, tails)
        return name.encode("utf-8", "surrogateescape") in tails

    def cache_identity(self) -> tuple | None:
        return self._cache[1]
