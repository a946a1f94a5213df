"""``codeloop serve``: the execution service (``codeloop.serve``), SandboxFusion-compatible."""

from __future__ import annotations

import argparse
import ipaddress
import os

from codeloop.cli.common import add_jobs, add_packages, command, read_text, requires
from codeloop.settings import positive_float, positive_int

LOOPBACK_NAMES = ("localhost",)


def register(commands: argparse._SubParsersAction) -> None:
    serve = command(commands, "serve", "an HTTP execution service (SandboxFusion's /run_code, batch judging)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1); anything "
                       "but loopback needs a token")
    serve.add_argument("--port", type=positive_int, default=8080, help="port (default: 8080)")
    serve.add_argument("--token-file", metavar="FILE", help="a file holding the bearer token clients must send "
                       "(default: $CODELOOP_SERVE_TOKEN; neither: no authentication, loopback only)")
    add_jobs(serve, "sandbox slots: programs run at once")
    add_packages(serve)
    serve.add_argument("--queue", type=positive_int, default=256, metavar="N",
                       help="requests running or waiting at once; more get 429 (default: 256)")
    serve.add_argument("--sessions", type=int, default=8, metavar="N",
                       help="live Python sessions open at once (/v1/sessions: globals kept between calls, for "
                            "code-as-a-tool agents), each holding a sandbox slot of its own; 0: none (default: 8)")
    serve.add_argument("--max-request-mb", type=positive_float, default=16.0, metavar="MB",
                       help="largest request body accepted (default: 16)")
    serve.add_argument("--max-response-mb", type=positive_float, default=64.0, metavar="MB",
                       help="largest response: program output past it is cut, and flagged (default: 64; at least 24)")
    serve.add_argument("--body-timeout-s", type=positive_float, default=30.0, metavar="S",
                       help="an admitted request's body must arrive within S seconds, else 408 (default: 30)")
    serve.add_argument("--graceful-s", type=positive_float, default=60.0, metavar="S",
                       help="on SIGTERM, how long running requests may take to finish (default: 60)")
    serve.set_defaults(handler=serve_command)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    token = read_text(args.token_file).strip() if args.token_file else os.environ.get("CODELOOP_SERVE_TOKEN") or None
    if args.token_file and not token:
        args.parser.error(f"--token-file {args.token_file}: the file is empty")
    if token is None and not is_loopback(args.host):
        args.parser.error(f"--host {args.host}: without a token (--token-file or CODELOOP_SERVE_TOKEN) "
                          "the service listens on loopback only")
    if args.sessions < 0:
        args.parser.error(f"--sessions: expected 0 or more, got {args.sessions}")
    requires("serve", "fastapi", "uvicorn", "prometheus_client")
    import uvicorn

    from codeloop.serve import ServeConfig, create_app
    try:
        config = ServeConfig(workers=args.jobs, token=token, queue=args.queue, body_timeout_s=args.body_timeout_s,
                             max_request_bytes=int(args.max_request_mb * (1 << 20)),
                             max_response_bytes=int(args.max_response_mb * (1 << 20)), python_env=args.python_env,
                             preload=tuple(args.preload), sessions=args.sessions)
    except ValueError as error:
        args.parser.error(f"--max-response-mb: {error}")
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning",
                timeout_graceful_shutdown=args.graceful_s)
    return 0
