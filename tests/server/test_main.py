"""The `sffi-lsp` command line: TCP mode, log file, bad arguments; stdout is
never used for anything but the protocol."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from .conftest import REPO, server_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_message(sock: socket.socket) -> dict:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    header, _, body = data.partition(b"\r\n\r\n")
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(4096)
    return json.loads(body[:length])


def test_tcp_mode_and_log_file(tmp_path, project):
    port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sffi_lsp.server", "--tcp", f"127.0.0.1:{port}", "--log-file", str(log), "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(project),
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "server never listened"
                time.sleep(0.1)
        with sock:
            body = json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}
            ).encode()
            sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            reply = read_message(sock)
            assert reply["id"] == 1
            caps = reply["result"]["capabilities"]
            assert caps["hoverProvider"] and caps["diagnosticProvider"]["workspaceDiagnostics"]
            assert caps["executeCommandProvider"]["commands"] == ["sffi.reindex", "sffi.showExports"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert out == b""  # stdout untouched
    assert b"" == err or b"Traceback" not in err
    assert log.exists()


def test_bad_tcp_argument():
    proc = subprocess.run(
        [sys.executable, "-m", "sffi_lsp.server", "--tcp", "nonsense"], capture_output=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 2
    assert b"HOST:PORT" in proc.stderr
    assert proc.stdout == b""
