"""Server processes for the load benches, each alone in its own process (one uvicorn worker, uvloop + httptools).

* `bare`: a bare Starlette endpoint on the send-message path that parses the body and answers a fixed 202 -- the
  baseline every figure is divided by, started in the same run;
* `mock`: the mock runtime of this checkout, started as `miaw-harness serve --port 0` (exactly what users run);
* `mock@DIR`: the same command imported from another checkout DIR (e.g. a `git worktree` of an older commit), so
  that a before/after comparison is measured in one run on the same box.

Also: a minimal HTTP/1.1 keep-alive client, a fresh end user with a real token and conversation, RSS and load average.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ORG_ID = "00DHA0000001HRNAAA"
DEPLOYMENT = "MIAW_Harness"
V2 = "/iamessage/api/v2"
_PR_SET_PDEATHSIG = 1


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def accept(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        return JSONResponse({"conversationEntries": [{"id": body["message"]["id"], "clientTimestamp": 0}]}, 202)

    return Starlette(routes=[Route(V2 + "/conversation/{cid}/message", accept, methods=["POST"])])


def _serve_bare() -> None:
    """Child process: the bare endpoint on a free loopback port (uvloop, httptools); prints the port."""
    import uvicorn
    import uvloop

    from harness.server.serve import bind_socket

    raise_fd_limit()
    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        bare_app(), loop="uvloop", http="httptools", lifespan="off", log_level="warning", access_log=False
    )
    uvloop.run(uvicorn.Server(config).serve(sockets=[sock]))


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    port: int

    @classmethod
    def start(cls, spec: str) -> Server:
        """`bare`, `mock` or `mock@DIR`."""
        kind, _, src = spec.partition("@")
        if kind not in ("bare", "mock"):
            raise SystemExit(f"unknown server {spec!r}: use bare, mock or mock@DIR")
        env = dict(os.environ)
        if src:
            if not (Path(src) / "harness" / "server").is_dir():
                raise SystemExit(f"{src} is not a miaw-harness checkout (no harness/server in it)")
            env["PYTHONPATH"] = str(Path(src).resolve())
        if kind == "bare":
            cmd = [sys.executable, __file__, "--serve-bare"]
        else:
            cmd = [sys.executable, "-m", "harness", "serve", "--port", "0"]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, preexec_fn=_die_with_parent
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            port = line.strip() if kind == "bare" else line.partition("base URL:")[2].strip().rpartition(":")[2]
            if port.isdigit():
                return cls(spec, proc, int(port))
        proc.kill()
        proc.wait()
        raise SystemExit(f"server {spec} did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        # SIGINT, not SIGTERM: uvicorn re-raises the signal it caught once it has shut down, and only SIGINT (as
        # KeyboardInterrupt) lets `miaw-harness serve` unwind and remove its temporary folder.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def _die_with_parent() -> None:
    """In the child: end it when the bench process ends, even if the bench is killed before it can stop it."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- a minimal HTTP/1.1 keep-alive client -----------------------------------------------------------------------------
_LENGTH = re.compile(rb"(?i)content-length: *(\d+)")


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = _LENGTH.search(head)
        body = await self.reader.readexactly(int(match.group(1))) if match else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


def request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def message_body(message_id: str) -> bytes:
    return (
        '{"message":{"id":"' + message_id + '","messageType":"StaticContentMessage","staticContent":{"formatType":'
        '"Text","text":"benchmark message"}},"esDeveloperName":"' + DEPLOYMENT + '"}'
    ).encode()


async def end_user(http: httpx.AsyncClient) -> tuple[str, str, str]:
    """(token, subject, conversation id) of a fresh end user with one open conversation: a real signed token."""
    from harness.wire import new_uuid

    r = await http.post(
        f"{V2}/authorization/unauthenticated/access-token", json={"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT}
    )
    r.raise_for_status()
    token, subject = r.json()["accessToken"], r.json()["context"]["endUser"]["subject"]
    cid = new_uuid()
    r = await http.post(
        f"{V2}/conversation",
        json={"conversationId": cid, "esDeveloperName": DEPLOYMENT},
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    return token, subject, cid


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-bare"]:
        _serve_bare()
    else:
        raise SystemExit("usage: servers.py --serve-bare (started by the benches, not by hand)")
