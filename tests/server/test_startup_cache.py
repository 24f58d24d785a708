"""The start-up code cache of `sffi_lsp.server.__main__` (attrs-generated methods
of the LSP types): used when present, written after a first start, harmless when
missing or corrupt. Each case runs a fresh interpreter (the cache acts at import)
whose seed file (normally next to the installed byte code) is pointed elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# argv[1]: the seed path to use instead of the installation's.
PATCH = r"""
import json, sys
import sffi_lsp.server.__main__ as main_module
_locate = main_module._AttrsCodeCache._locate
def _locate_with_test_seed(self, make):
    _locate(self, make)
    self.seed_path = sys.argv[1]
main_module._AttrsCodeCache._locate = _locate_with_test_seed
"""

# Imports the server under the cache, reports what it did, and proves the LSP
# types built from cached code behave (a round trip through pygls' converter).
PROBE = PATCH + r"""
create_server, cache = main_module._import_server()
from lsprotocol import types as lsp
server = create_server()
params = lsp.PublishDiagnosticsParams(uri="file:///x.spl", diagnostics=[lsp.Diagnostic(
    range=lsp.Range(start=lsp.Position(line=1, character=2), end=lsp.Position(line=1, character=5)),
    message="m", code="SFFI001")])
data = server.protocol._converter.unstructure(params)
back = server.protocol._converter.structure(data, lsp.PublishDiagnosticsParams)
print(json.dumps({"misses": cache.misses, "used": len(cache.used), "user": cache.user_path,
                  "round_trip": server.protocol._converter.unstructure(back) == data and back.diagnostics[0] == params.diagnostics[0], "code": data["diagnostics"][0]["code"]}))
"""

SERVE = PATCH + "sys.exit(main_module.main([]))\n"


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(REPO))
    return env


def _probe(home: Path, seed: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE, str(seed)], env=_env(home), capture_output=True, text=True,
                         timeout=120, cwd=home)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_seed_makes_imports_compile_almost_nothing(tmp_path: Path) -> None:
    seed = tmp_path / "seed.marshal"
    written = subprocess.run([sys.executable, "-m", "sffi_lsp.server", "--write-startup-cache", str(seed)],
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    assert oct(seed.stat().st_mode & 0o777) == oct(0o644)  # readable by every user, like byte code

    cold = _probe(tmp_path, tmp_path / "no-seed")
    assert cold["used"] > 400 and cold["misses"] == cold["used"]
    warm = _probe(tmp_path, seed)
    assert warm["used"] == cold["used"]
    assert warm["misses"] <= 5, warm  # a few scripts embed object ids: always compiled
    assert warm["round_trip"] and warm["code"] == "SFFI001"


def test_corrupt_cache_falls_back_to_compiling(tmp_path: Path) -> None:
    user = Path(_probe(tmp_path, tmp_path / "no-seed")["user"])
    user.parent.mkdir(parents=True, exist_ok=True)
    for junk in (b"", b"not marshal at all", b"\xe3" + bytes(range(64)), b"{" * 10):
        user.write_bytes(junk)
        again = _probe(tmp_path, tmp_path / "no-seed")
        assert again["round_trip"]
        assert again["misses"] == again["used"] > 400


def test_first_start_writes_the_user_cache(tmp_path: Path) -> None:
    user = Path(_probe(tmp_path, tmp_path / "no-seed")["user"])
    assert not user.exists()
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    ]
    body = b"".join(b"Content-Length: %d\r\n\r\n" % len(raw) + raw for raw in (json.dumps(m).encode() for m in messages))
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(tmp_path / "no-seed")], env=_env(tmp_path),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        assert proc.stdin is not None
        proc.stdin.write(body)
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not user.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert user.exists(), "no start-up cache written after a first start"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert _probe(tmp_path, tmp_path / "no-seed")["misses"] <= 5  # the next start uses it
