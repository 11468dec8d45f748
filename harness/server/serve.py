"""Real HTTP: uvicorn on loopback in a background thread (for tests and tools), optionally with self-signed TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from harness.server import gcpolicy
from harness.server.app import create_app
from harness.server.config import ServerConfig


def self_signed_cert(directory: Path, names: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost/127.0.0.1 (and `names`: host names, wildcards such as
    `*.my.salesforce-scrt.com`, or IP addresses) and its key into `directory`; return (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "miaw-harness localhost")])
    # A certificate's validity window is real calendar time by nature; it never reaches runtime state or reports.
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                + [_alt_name(n) for n in names if n not in ("localhost", "127.0.0.1")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "miaw-harness-cert.pem"
    key_path = directory / "miaw-harness-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by its owner only
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    return cert_path, key_path


def _alt_name(name: str) -> Any:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it, a response written in two parts (head, body) on a
    # kept-alive connection waits ~40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class RunningServer:
    """A live uvicorn serving the runtime; `stop()` (or leaving the `with` block) shuts it down."""

    base_url: str
    org_id: str
    deployment: str
    cert_path: Path | None = None
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


AppExtension = Callable[[Starlette], None]  # adds routes to the runtime's app before it serves


def uvicorn_config(
    config: ServerConfig,
    *,
    control: bool,
    cert: tuple[Path, Path] | None,
    log_level: str = "warning",
    extend: AppExtension | None = None,
) -> uvicorn.Config:
    app = create_app(config, control=control)
    if extend is not None:  # e.g. the demo web chat (`harness.clients.demo_app.add_demo_client`)
        extend(app)
    return uvicorn.Config(
        app,
        loop="auto",
        http="auto",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        ssl_certfile=str(cert[0]) if cert else None,
        ssl_keyfile=str(cert[1]) if cert else None,
        timeout_graceful_shutdown=1,
    )


def serve_forever(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run `server` on `sock` until it is told to exit, as a long-running process of its own.

    The event loop is the one the config names (`loop="auto"`: uvloop when installed, which `asyncio.run` would not
    use), and the garbage-collector policy of a long-running runtime is installed (see `gcpolicy`).
    """
    gcpolicy.install()
    server.run(sockets=[sock])


def start_in_thread(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    control: bool = True,
    extend: AppExtension | None = None,
) -> RunningServer:
    """Serve the runtime with uvicorn in a daemon thread; returns once the socket accepts connections."""
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    tmp = tempfile.TemporaryDirectory(prefix="miaw-harness-") if tls else None
    cert = self_signed_cert(Path(tmp.name)) if tmp else None
    server = uvicorn.Server(uvicorn_config(config, control=control, cert=cert, extend=extend))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))  # uvicorn skips signal handlers off the main thread
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"miaw-harness-uvicorn-{bound_port}", daemon=True)
    thread.start()
    while not server.started:  # uvicorn sets `started` once listening; the loop below waits on that condition
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn failed to start: {failure[0] if failure else 'unknown error'}")
        thread.join(timeout=0.01)
    url_host = f"[{host}]" if ":" in host else host
    return RunningServer(
        base_url=f"{'https' if tls else 'http'}://{url_host}:{bound_port}",
        org_id=config.org_id,
        deployment=config.default_deployment,
        cert_path=cert[0] if cert else None,
        _server=server,
        _thread=thread,
        _tmp=tmp,
    )
