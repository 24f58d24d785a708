"""Real libraries built by gcc once per session, and the real dynamic linker as the oracle."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

GCC = shutil.which("gcc")
CTOR_MARK_ENV = "SFFI_CTOR_MARK"

ORACLE_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* oracle LIB NAME...: dlopen(RTLD_LAZY|RTLD_LOCAL) then dlsym each name on the handle. */
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    if (!h) { const char *e = dlerror(); printf("LOADFAIL\t%s\n", e ? e : "?"); return 0; }
    printf("LOADED\n");
    for (int i = 2; i < argc; i++) {
        dlerror();
        void *p = dlsym(h, argv[i]);
        const char *err = dlerror();
        if (err) { printf("ABSENT\t%s\n", argv[i]); continue; }
        Dl_info info;
        const char *where = "?";
        if (p && dladdr(p, &info) && info.dli_fname) where = info.dli_fname;
        printf("FOUND\t%s\t%s\n", argv[i], where);
    }
    return 0;
}
"""

SOURCES: dict[str, str] = {
    "basic.c": r"""
        #include <stddef.h>
        int basic_add(int a, int b) { return a + b; }
        int basic_data = 7;
        const char *basic_name = "basic";
        __thread int basic_tls = 3;
        __attribute__((visibility("hidden"))) int basic_hidden(void) { return 1; }
        __attribute__((visibility("protected"))) int basic_protected(void) { return 2; }
        __attribute__((weak)) int basic_weak(void) { return 3; }
        __attribute__((used, noinline)) static int basic_static(void) { return 4; }
        int basic_uses_static(void) { return basic_static() + basic_hidden(); }
        static int impl_fast(int x) { return x * 2; }
        static void *resolve_twice(void) { return (void *)impl_fast; }
        int basic_twice(int) __attribute__((ifunc("resolve_twice")));
        void basic_void(void) {}
    """,
    "ver.c": r"""
        int foo_v1(void) { return 1; }
        int foo_v2(void) { return 2; }
        int old_only(void) { return 3; }
        int bar(void) { return 4; }
        __asm__(".symver foo_v1,foo@V1");
        __asm__(".symver foo_v2,foo@@V2");
        __asm__(".symver old_only,old_only@V1");
    """,
    "ver.map": "V1 { global: bar; foo; old_only; local: *; };\nV2 { global: foo; } V1;\n",
    "dep3.c": "int dep3_fn(void) { return 3; }\nint dep3_data = 3;\n",
    "dep2.c": "int dep3_fn(void);\nint dep2_fn(void) { return dep3_fn() + 2; }\n",
    "dep1.c": "int dep2_fn(void);\nint dep1_fn(void) { return dep2_fn() + 1; }\n",
    "lazy.c": "int not_defined_anywhere(int);\nint lazy_ok(void) { return 1; }\n"
              "int lazy_bad(void) { return not_defined_anywhere(2); }\n",
    "eager.c": "extern int no_such_variable;\nint eager_get(void) { return no_such_variable; }\n",
    "needsmissing.c": "int nope_fn(void);\nint needs_missing_fn(void) { return nope_fn(); }\n",
    "nope.c": "int nope_fn(void) { return 0; }\n",
    "ctor.c": r"""
        #include <stdio.h>
        #include <stdlib.h>
        __attribute__((constructor)) static void mark(void) {
            const char *p = getenv("SFFI_CTOR_MARK");
            FILE *f = fopen(p ? p : "/tmp/sffi-ctor-mark", "w");
            if (f) { fputs("ran", f); fclose(f); }
        }
        int ctor_fn(void) { return 1; }
    """,
    "sig.c": r"""
        #include <stdbool.h>
        #include <stdint.h>
        #include <stddef.h>
        #include <stdarg.h>
        struct point { int x, y; };
        typedef int (*callback_t)(int, void *);
        int sig_add(int a, int b) { return a + b; }
        size_t sig_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
        void sig_void(void) {}
        bool sig_bool(double d, float f) { return d > f; }
        unsigned long long sig_unsigned(unsigned int a, unsigned char b, uint16_t c) { return a + b + c; }
        int64_t sig_int64(int8_t a, int64_t *out) { *out = a; return a; }
        int sig_callback(callback_t cb, void *data) { return cb(1, data); }
        int sig_fnptr(int (*f)(double), char **argv) { return f(argv != 0); }
        int sig_printf(const char *fmt, ...) { va_list ap; va_start(ap, fmt); int r = va_arg(ap, int); va_end(ap); return r; }
        double sig_point(struct point *p, const struct point *q) { return p->x + q->y; }
        void *sig_ptr(void **pp) { return *pp; }
    """,
    "m32.c": "int m32_fn(int x) { return x + 1; }\n",
    "exe.c": "int exe_fn(void) { return 1; }\nint main(void) { return exe_fn(); }\n",
    "link.c": "int link_fn(void) { return 5; }\n",
    "sysv.c": "int sysv_fn(void) { return 6; }\nint sysv_data = 6;\n",
}


@dataclass
class Built:
    root: Path
    libs: dict[str, Path]
    oracle: Path

    def __getitem__(self, key: str) -> Path:
        return self.libs[key]


def _run(cmd: list[str], cwd: Path) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stderr}")


def patch_header(src: Path, dst: Path, **fields: int) -> Path:
    """Copy an ELF64 LE file and overwrite e_machine / e_shoff / e_shnum / e_shstrndx."""
    data = bytearray(src.read_bytes())
    offsets = {"e_machine": (18, "<H"), "e_shoff": (40, "<Q"), "e_shnum": (60, "<H"), "e_shstrndx": (62, "<H"),
               "e_type": (16, "<H")}
    for k, v in fields.items():
        off, fmt = offsets[k]
        struct.pack_into(fmt, data, off, v)
    dst.write_bytes(bytes(data))
    return dst


def build_all(root: Path) -> Built:
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in SOURCES.items():
        (src / name).write_text(textwrap.dedent(text))
    L = root / "lib"
    for d in ("lib", "lib/rdeps", "lib/rundeps", "lib/elsewhere", "lib/real"):
        (root / d).mkdir(parents=True, exist_ok=True)
    so = ["gcc", "-shared", "-fPIC", "-O1"]
    jobs: list[list[str]] = [
        so + ["-o", str(L / "libbasic.so"), "-Wl,-soname,libbasic.so", str(src / "basic.c")],
        so + ["-o", str(L / "libver.so"), f"-Wl,--version-script={src / 'ver.map'}", str(src / "ver.c")],
        so + ["-o", str(L / "rdeps/libdep3.so"), "-Wl,-soname,libdep3.so", str(src / "dep3.c")],
        so + ["-o", str(L / "rundeps/libdep3.so"), "-Wl,-soname,libdep3.so", str(src / "dep3.c")],
        so + ["-o", str(L / "elsewhere/libnope.so"), str(src / "nope.c")],
        so + ["-o", str(L / "liblazy.so"), str(src / "lazy.c")],
        so + ["-o", str(L / "libeager.so"), str(src / "eager.c")],
        so + ["-o", str(L / "libctor.so"), str(src / "ctor.c")],
        so + ["-g", "-O0", "-o", str(L / "libsig.so"), str(src / "sig.c")],
        so + ["-o", str(L / "real/liblink.so.1.0"), "-Wl,-soname,liblink.so.1", str(src / "link.c")],
        so + ["-o", str(L / "libsysv.so"), "-Wl,--hash-style=sysv", str(src / "sysv.c")],
        ["gcc", "-O1", "-no-pie", "-o", str(L / "exe-nopie"), str(src / "exe.c")],
        ["gcc", "-O1", "-pie", "-fPIE", "-o", str(L / "exe-pie"), str(src / "exe.c")],
        ["gcc", "-O1", "-o", str(root / "oracle"), "-x", "c", "-", "-ldl"],
    ]

    def run(cmd: list[str]) -> None:
        if cmd[-2:] == ["-", "-ldl"]:
            r = subprocess.run(cmd, input=ORACLE_C, capture_output=True, text=True, cwd=root)
            if r.returncode:
                raise RuntimeError(r.stderr)
            return
        _run(cmd, root)

    with ThreadPoolExecutor(max_workers=2) as ex:
        list(ex.map(run, jobs))
    # Dependency chains: DT_RPATH is inherited down the chain, DT_RUNPATH is not.
    for kind, flag, sub in (("r", "--disable-new-dtags", "rdeps"), ("run", "--enable-new-dtags", "rundeps")):
        _run(so + ["-o", str(L / sub / f"libdep2.so"), "-Wl,-soname,libdep2.so", str(src / "dep2.c"),
                   f"-L{L / sub}", "-ldep3"], root)
        _run(so + ["-o", str(L / f"lib{kind}chain.so"), str(src / "dep1.c"), f"-L{L / sub}", "-ldep2",
                   f"-Wl,{flag}", f"-Wl,-rpath,$ORIGIN/{sub}"], root)
    _run(so + ["-o", str(L / "libneedsmissing.so"), str(src / "needsmissing.c"), f"-L{L / 'elsewhere'}", "-lnope"], root)
    # 32-bit object, when an i386 assembler/linker is around; else a patched e_machine stands in.
    libs: dict[str, Path] = {}
    try:
        _run(["gcc", "-m32", "-fPIC", "-c", "-o", str(root / "m32.o"), str(src / "m32.c")], root)
        _run(["ld", "-m", "elf_i386", "-shared", "-o", str(L / "libm32.so"), str(root / "m32.o")], root)
        libs["m32"] = L / "libm32.so"
    except RuntimeError:
        pass
    basic = L / "libbasic.so"
    libs.update({
        "basic": basic, "ver": L / "libver.so", "lazy": L / "liblazy.so", "eager": L / "libeager.so",
        "ctor": L / "libctor.so", "sig": L / "libsig.so", "sysv": L / "libsysv.so",
        "rchain": L / "librchain.so", "runchain": L / "librunchain.so", "needsmissing": L / "libneedsmissing.so",
        "exe_nopie": L / "exe-nopie", "exe_pie": L / "exe-pie",
    })
    libs["aarch64"] = patch_header(basic, L / "libaarch64.so", e_machine=183)
    libs["noshdr"] = patch_header(basic, L / "libnoshdr.so", e_shoff=0, e_shnum=0, e_shstrndx=0)
    libs["reltype"] = patch_header(basic, L / "libreltype.so", e_type=1)
    stripped = L / "libstripped.so"
    shutil.copy(basic, stripped)
    _run(["strip", str(stripped)], root)
    libs["stripped"] = stripped
    # Symlink chains (as installed libraries look) and a dangling one.
    os.symlink("real/liblink.so.1.0", L / "liblink.so.1")
    os.symlink("liblink.so.1", L / "liblink.so")
    libs["link"] = L / "liblink.so"
    os.symlink("does-not-exist.so", L / "libdangle.so")
    libs["dangle"] = L / "libdangle.so"
    (L / "libscript.so").write_text("/* GNU ld script */\nGROUP ( libbasic.so )\n")
    libs["script"] = L / "libscript.so"
    (L / "libarchive.so").write_bytes(b"!<arch>\n" + b"\0" * 60)
    libs["archive"] = L / "libarchive.so"
    (L / "libempty.so").write_bytes(b"")
    libs["empty"] = L / "libempty.so"
    (L / "libtrunc.so").write_bytes(basic.read_bytes()[:40])
    libs["trunc"] = L / "libtrunc.so"
    (L / "libhalf.so").write_bytes(basic.read_bytes()[: basic.stat().st_size // 3])
    libs["half"] = L / "libhalf.so"
    (L / "libdir.so").mkdir()
    libs["dir"] = L / "libdir.so"
    os.mkfifo(L / "libfifo.so")
    libs["fifo"] = L / "libfifo.so"
    return Built(root, libs, root / "oracle")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if GCC is None:
        pytest.skip("gcc is needed to build the test libraries")
    return build_all(tmp_path_factory.mktemp("sffi-binary"))


@dataclass
class OracleAnswer:
    loaded: bool
    error: str
    found: dict[str, str]  # name -> object path (dladdr)
    absent: set[str]


def ask_oracle(built: Built, lib: str, names: list[str], env_extra: dict[str, str] | None = None) -> OracleAnswer:
    """dlopen/dlsym in a separate process: the real dynamic linker decides."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    env[CTOR_MARK_ENV] = str(built.root / "oracle-ctor-mark")
    env.update(env_extra or {})
    r = subprocess.run([str(built.oracle), lib, *names], capture_output=True, text=True, env=env, timeout=30)
    found: dict[str, str] = {}
    absent: set[str] = set()
    loaded = False
    error = ""
    for line in r.stdout.splitlines():
        parts = line.split("\t")
        if parts[0] == "LOADED":
            loaded = True
        elif parts[0] == "LOADFAIL":
            error = parts[1] if len(parts) > 1 else ""
        elif parts[0] == "FOUND":
            found[parts[1]] = parts[2]
        elif parts[0] == "ABSENT":
            absent.add(parts[1])
    return OracleAnswer(loaded, error, found, absent)
