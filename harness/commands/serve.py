"""`miaw-harness serve`: run the mock MIAW runtime over real HTTP until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import ipaddress
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

import uvicorn

from harness.clients.demo_app import add_demo_client
from harness.commands import inputs, signals
from harness.errors import UserError
from harness.server.apiversions import SUPPORTED_TYPES
from harness.server.config import ServerConfig
from harness.server.serve import bind_socket, self_signed_cert, serve_forever, uvicorn_config

HELP = "Run the mock MIAW runtime (v2 REST + SSE + control API) on a local port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed certificate")
    parser.add_argument(
        "--tls-host",
        action="append",
        default=[],
        metavar="NAME",
        help="with --tls: one more name the certificate is valid for, besides localhost and 127.0.0.1 (a host name, "
        "a wildcard such as *.my.salesforce-scrt.com, or an IP address such as a LAN address or 10.0.2.2); repeat",
    )
    parser.add_argument(
        "--tls-cert",
        type=Path,
        metavar="PEM",
        help="with --tls-key: serve HTTPS with your own certificate (chain) instead of a fresh self-signed one",
    )
    parser.add_argument("--tls-key", type=Path, metavar="PEM", help="the private key of --tls-cert (unencrypted PEM)")
    parser.add_argument("--sandbox-like", action="store_true", help="no /control API: behave like a real org's runtime")
    parser.add_argument("--config", type=Path, help="TOML file: org id, deployments and their settings")
    parser.add_argument("--demo-client", action="store_true", help="also serve the demo web chat at /demo/")
    parser.add_argument(
        "--clock",
        choices=("wall", "frozen"),
        default=None,
        help="wall: virtual time follows the wall clock (default for serve); frozen: it moves only when the control "
        "API advances it (as in conformance runs). A [fidelity] clock in --config is used when this is not given",
    )
    parser.add_argument(
        "--clock-start",
        metavar="TIME",
        help="where virtual time starts: ISO 8601 (2026-03-01T09:00:00Z) or epoch milliseconds (default: now with "
        "--clock wall, 2026-01-01 with --clock frozen)",
    )


def clock_start_ms(text: str) -> int:
    """`--clock-start` as epoch milliseconds; a usage error names what was wrong."""
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--clock-start {text!r}: give ISO 8601 (e.g. 2026-03-01T09:00:00Z) or epoch milliseconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    ms = int(moment.timestamp() * 1000)
    if ms < 0:
        raise UserError(f"--clock-start {text!r} is before 1970")
    return ms


def _config_names_clock(path: Path | None) -> bool:
    if path is None:
        return False
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        fidelity = tomllib.loads(path.read_text(encoding="utf-8")).get("fidelity")
        return isinstance(fidelity, dict) and "clock" in fidelity
    return False


def with_clock(config: ServerConfig, args: argparse.Namespace) -> ServerConfig:
    """The runtime's clock for `serve`: the wall clock unless --clock or the config file says otherwise."""
    mode = args.clock or (None if _config_names_clock(args.config) else "wall")
    if mode is not None:
        config = config.with_fidelity(clock=mode)
    if args.clock_start is not None:
        config = dataclasses.replace(config, clock_start_ms=clock_start_ms(args.clock_start))
    return config


def deployment_list(config: ServerConfig) -> str:
    """Each deployment with its type and the API version that serves it (miaw-api.md §11.8)."""
    version = {kind: api for api, kinds in SUPPORTED_TYPES.items() for kind in kinds}
    return ", ".join(
        f"{name} ({s.deployment_type}, {version[s.deployment_type]})" for name, s in config.deployments.items()
    )


def is_loopback(address: str) -> bool:
    """Whether a bound address is reachable only from this machine."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def exposure_warning(address: str, control: bool) -> str | None:
    """The warning printed when the control API listens where other machines can reach it."""
    if not control or is_loopback(address):
        return None
    return (
        f"warning: listening on {address}, which other machines can reach, with the /control API on: anyone who "
        "can connect can reset the runtime, mint tokens and act as the rep. Use --sandbox-like to turn /control "
        "off, or a loopback --host (127.0.0.1)."
    )


def closing_summary(config: ServerConfig) -> str:
    """How the default deployment answers once a conversation is closed (miaw-api.md §11.1, §11.2)."""
    settings = config.deployments[config.default_deployment]
    event = "sends" if settings.emit_close_event_on_sbc_end else "sends no"
    return (
        f"a Session-Based-Chat close {event} CONVERSATION_CLOSE_CONVERSATION; "
        f"a send to a closed conversation gets {settings.closed_send_status}"
    )


@contextlib.contextmanager
def tls_files(enabled: bool, names: Sequence[str] = ()) -> Iterator[tuple[Path, Path] | None]:
    """A fresh certificate (for localhost, 127.0.0.1 and `names`) and its key in a private (0700) temporary folder,
    removed on exit; nothing without TLS."""
    if not enabled:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="miaw-harness-tls-") as tmp:  # created 0700
        yield self_signed_cert(Path(tmp), names)


def check_tls_options(args: argparse.Namespace) -> None:
    """--tls, --tls-host, --tls-cert and --tls-key: what goes together, every name valid, a key that fits its
    certificate. One line naming the problem (exit 2)."""
    own = (args.tls_cert, args.tls_key)
    if any(own) and not all(own):
        raise UserError("--tls-cert and --tls-key go together: give both or neither")
    if all(own) and args.tls_host:
        raise UserError("--tls-host names go into the certificate serve makes; with --tls-cert, put them into yours")
    for name in args.tls_host:
        if not _valid_name(name):
            raise UserError(f"--tls-host {name!r} is not a host name, a wildcard name (*.example.com) or an IP address")
    if all(own):
        check_own_cert(args.tls_cert, args.tls_key)


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _valid_name(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    labels = name.split(".")
    if labels[0] == "*":
        labels = labels[1:]
        if len(labels) < 2:
            return False
    return 0 < len(name) <= 253 and bool(labels) and all(_LABEL.match(label) for label in labels)


def check_own_cert(cert: Path, key: Path) -> None:
    """A team's certificate and key: readable PEM, and the key is the certificate's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        first = x509.load_pem_x509_certificate(cert.read_bytes())
    except OSError as exc:
        raise UserError(f"--tls-cert {cert}: {exc.strerror or exc}") from None
    except ValueError:
        raise UserError(f"--tls-cert {cert}: not a PEM certificate") from None
    try:
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except OSError as exc:
        raise UserError(f"--tls-key {key}: {exc.strerror or exc}") from None
    except (ValueError, TypeError):
        raise UserError(f"--tls-key {key}: not an unencrypted PEM private key") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = private.public_key().public_bytes(serialization.Encoding.PEM, public)
    if mine != first.public_key().public_bytes(serialization.Encoding.PEM, public):
        raise UserError(f"--tls-key {key} is not the key of --tls-cert {cert}")


@contextlib.contextmanager
def tls_for(args: argparse.Namespace) -> Iterator[tuple[Path, Path] | None]:
    """The certificate and key `serve` uses: the team's own (left where they are), or fresh ones (removed)."""
    if args.tls_cert is not None:
        yield args.tls_cert.resolve(), args.tls_key.resolve()
        return
    with tls_files(args.tls or bool(args.tls_host), args.tls_host) as made:
        yield made


def run(args: argparse.Namespace) -> int:
    if args.config:
        inputs.check_text(args.config, "--config")
    config = ServerConfig.from_toml(args.config) if args.config else ServerConfig.default()
    config = with_clock(config, args)
    check_tls_options(args)
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be between 0 and 65535, got {args.port}")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    control = not args.sandbox_like
    # SIGTERM/SIGHUP unwind like Ctrl-C once uvicorn has shut down, so the key folder is always removed.
    with sock, signals.terminate_like_interrupt(), tls_for(args) as cert:
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        warning = exposure_warning(str(sock.getsockname()[0]), control)
        if warning is not None:
            print(warning, file=sys.stderr, flush=True)
        scheme = "https" if cert is not None else "http"
        print(f"base URL:   {scheme}://{host}:{port}")
        print(f"org id:     {config.org_id}")
        print(f"deployment: {config.default_deployment}")
        print(f"clock:      {config.fidelity.clock}")
        if cert is not None and args.tls_cert is None:
            print(f"CA bundle:  {cert[0]}")
            print(f"TLS names:  {', '.join(dict.fromkeys(['localhost', '127.0.0.1', *args.tls_host]))}")
        elif cert is not None:
            print(f"TLS cert:   {cert[0]} (your own)")
        if args.demo_client:
            print(f"demo chat:  {scheme}://{host}:{port}/demo/?policy=web-storage")
        print(f"deployments: {deployment_list(config)}")
        print(f"control:    {'/control' if control else 'off (sandbox-like)'}")
        print(f"closing:    {closing_summary(config)}", flush=True)
        server = uvicorn.Server(
            uvicorn_config(
                config,
                control=control,
                cert=cert,
                log_level="info",
                extend=add_demo_client if args.demo_client else None,
            )
        )
        serve_forever(server, sock)
    return 0
