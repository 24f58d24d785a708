"""Reading a Simple checkout's Rust sources: cold (tree-sitter over every file)
and warm (the on-disk model, checked against file identities), against a
reference measured in the same run: `grep -c` over the same files (the
cheapest full read of the bytes, what a regex audit costs at least).

Usage: python bench/bench_runtime_source.py [--mb 4] [--runs 3]
Builds a synthetic checkout of about --mb megabytes from the test sample's
shapes (tests/runtime_source/checkout) in a temp dir; prints figures and ratios."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sffi_lsp.runtime_model import cache as model_cache  # noqa: E402
from sffi_lsp.runtime_model import load_runtime_model  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(HERE), "tests", "runtime_source", "checkout")

# About 1 KB per C-ABI definition, as in the real runtime's value/sffi files
# (a doc comment, a guard, a loop or match, a helper call); helpers that are not
# exported sit between them, as they do there.
DEFINITION = '''
/// Generated definition {i} of module {m}: looks a key up and returns its value.
///
/// Returns NIL when the key is not valid UTF-8 or is longer than the limit.
#[no_mangle]
pub unsafe extern "C" fn rt_bench{m}_fn{i}(key_ptr: *const u8, key_len: u64, flags: i64) -> RuntimeValue {{
    let Some(key) = ptr_string(key_ptr, key_len, 4095) else {{
        return RuntimeValue::NIL;
    }};
    if flags > {i} {{
        return rt_string_new(key.as_ptr(), key.len() as u64);
    }}
    let mut total = 0_i64;
    for (index, byte) in key.bytes().enumerate() {{
        if byte == b'=' || byte == 0 {{
            return RuntimeValue::NIL;
        }}
        total = total.wrapping_mul(31).wrapping_add(byte as i64 + index as i64);
    }}
    match key.as_str() {{
        "alpha" | "beta" => RuntimeValue::from_int({i}),
        "gamma" => helper_{m}_{i}(total),
        _ => RuntimeValue::from_int(total),
    }}
}}

fn helper_{m}_{i}(seed: i64) -> RuntimeValue {{
    // Not exported: a helper as the runtime has many.
    let value = if seed < 0 {{ -seed }} else {{ seed }};
    RuntimeValue::from_int(value % 1024)
}}
'''

ROW = '    insert_simple!("rt_bench_row{i}", bench::row{i});\n'
ARM = '        "rt_benchfam_{i}" => Ok(Value::Int({i})),\n'


def build_tree(target_bytes: int) -> str:
    root = tempfile.mkdtemp(prefix="sffi-bench-runtime-")
    shutil.copytree(SAMPLE, root, dirs_exist_ok=True)
    base = os.path.join(root, "src", "compiler_rust")
    interp = os.path.join(base, "compiler", "src", "interpreter_extern")
    # A big dispatch table and a big family module, as the real runtime has.
    with open(os.path.join(interp, "mod.rs"), encoding="utf-8") as fh:
        text = fh.read()
    rows = "".join(ROW.format(i=i) for i in range(2000))
    text = text.replace('    insert_simple!("abs", conv::abs);\n', '    insert_simple!("abs", conv::abs);\n' + rows)
    text = text.replace("pub mod pix;", "pub mod pix;\npub mod benchfam;")
    text = text.replace('    if name.starts_with("rt_pix_") {',
                        '    if name.starts_with("rt_benchfam_") {\n        return benchfam::dispatch(name, evaluated);\n    }\n\n    if name.starts_with("rt_pix_") {')
    with open(os.path.join(interp, "mod.rs"), "w", encoding="utf-8") as fh:
        fh.write(text)
    with open(os.path.join(interp, "benchfam.rs"), "w", encoding="utf-8") as fh:
        fh.write("pub fn dispatch(name: &str, args: &[Value]) -> Result<Value, Error> {\n    match name {\n")
        fh.write("".join(ARM.format(i=i) for i in range(500)))
        fh.write("        _ => Err(unknown(name)),\n    }\n}\n")
    sffi = os.path.join(base, "runtime", "src", "value", "sffi")
    with open(os.path.join(sffi, "mod.rs"), "a", encoding="utf-8") as fh:
        fh.write("pub mod bench;\n")
    bench_dir = os.path.join(sffi, "bench")
    os.makedirs(bench_dir)
    module_lines = []
    written = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    m = 0
    while written < target_bytes:
        body = "".join(DEFINITION.format(i=i, m=m) for i in range(40))
        path = os.path.join(bench_dir, f"gen{m}.rs")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(body)
        written += len(body)
        module_lines.append(f"pub mod gen{m};\n")
        m += 1
    with open(os.path.join(bench_dir, "mod.rs"), "w", encoding="utf-8") as fh:
        fh.write("".join(module_lines))
    return root


def _cpu() -> float:
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_usage.ru_utime + self_usage.ru_stime + children.ru_utime + children.ru_stime


def rust_files(root: str) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".rs"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="processes for the cold read (default: CPUs, at most 4)")
    args = ap.parse_args()
    root = build_tree(int(args.mb * 1024 * 1024))
    cache_dir = tempfile.mkdtemp(prefix="sffi-bench-cache-")
    try:
        files = rust_files(root)
        size = sum(os.path.getsize(f) for f in files)
        print(f"synthetic checkout: {len(files)} .rs files, {size / 1e6:.2f} MB ({root})")
        grep_times, cold_times, warm_times, memo_times, view_times, cold_cpu = [], [], [], [], [], []
        model = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(["grep", "-c", "extern \"C\"", *files], stdout=subprocess.DEVNULL, check=False)
            grep_times.append(time.perf_counter() - t0)

            shutil.rmtree(cache_dir, ignore_errors=True)
            model_cache.forget()
            t0, c0 = time.perf_counter(), _cpu()
            model = load_runtime_model(root, cache_dir, jobs=args.jobs)
            cold_times.append(time.perf_counter() - t0)
            cold_cpu.append(_cpu() - c0)

            model_cache.forget()  # warm from disk, as a new process would be
            t0 = time.perf_counter()
            warm = load_runtime_model(root, cache_dir)
            warm_times.append(time.perf_counter() - t0)
            assert len(warm.definitions) == len(model.definitions)

            t0 = time.perf_counter()
            load_runtime_model(root, cache_dir)
            memo_times.append(time.perf_counter() - t0)

            model_cache.forget()  # warm from disk, then a view and 100 questions (what a check asks)
            t0 = time.perf_counter()
            view = load_runtime_model(root, cache_dir).view()
            for k in range(100):
                view.interpreter(f"rt_bench_row{k}")
                view.definition(f"rt_bench0_fn{k % 40}")
            view_times.append(time.perf_counter() - t0)
        grep, cold, warm, memo = min(grep_times), min(cold_times), min(warm_times), min(memo_times)
        view = min(view_times)
        print(f"model: {len(model.interpreter)} interpreter rows, {len(model.families)} families, "
              f"{len(model.registered)} registered, {len(model.definitions)} definitions")
        print(f"reference grep -c over the same files: {grep * 1000:8.1f} ms")
        print(f"cold read (tree-sitter, all files):     {cold * 1000:8.1f} ms  ({cold / grep:.1f}x grep)  target <= 1000 ms")
        print(f"cold read, CPU time (all processes):    {min(cold_cpu) * 1000:8.1f} ms  (what an idle machine would take)")
        print(f"warm from disk cache (new process):     {warm * 1000:8.1f} ms  ({warm / grep:.2f}x grep)  target <= 20 ms")
        print(f"warm from disk + view + 100 questions:  {view * 1000:8.1f} ms  ({view / grep:.2f}x grep)")
        print(f"warm in the same process (memo):        {memo * 1000:8.1f} ms  ({memo / grep:.3f}x grep)")
        print(f"best of {args.runs} runs each; jobs={args.jobs or 'auto'}; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine: compare ratios)")
        ok = cold <= 1.0 and warm <= 0.020
        print("targets:", "met" if ok else "NOT met")
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
