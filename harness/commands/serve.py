"""`miaw-harness serve`: run the mock MIAW runtime over real HTTP until interrupted."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import uvicorn

from harness.errors import UserError
from harness.server.config import ServerConfig
from harness.server.serve import bind_socket, self_signed_cert, serve_forever, uvicorn_config

HELP = "Run the mock MIAW runtime (v2 REST + SSE + control API) on a local port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed certificate")
    parser.add_argument("--sandbox-like", action="store_true", help="no /control API: behave like a real org's runtime")
    parser.add_argument("--config", type=Path, help="TOML file: org id, deployments and their settings")


def run(args: argparse.Namespace) -> int:
    config = ServerConfig.from_toml(args.config) if args.config else ServerConfig.default()
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be between 0 and 65535, got {args.port}")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    with tempfile.TemporaryDirectory(prefix="miaw-harness-tls-") as tmp:
        cert = self_signed_cert(Path(tmp)) if args.tls else None
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"base URL:   {'https' if args.tls else 'http'}://{host}:{port}")
        print(f"org id:     {config.org_id}")
        print(f"deployment: {config.default_deployment}")
        if cert is not None:
            print(f"CA bundle:  {cert[0]}")
        print(f"control:    {'off (sandbox-like)' if args.sandbox_like else '/control'}", flush=True)
        server = uvicorn.Server(uvicorn_config(config, control=not args.sandbox_like, cert=cert, log_level="info"))
        serve_forever(server, sock)
    return 0
