"""Questline's local stack.

python -m local [start] [--backend moto|dynamodb-local] [--port 3000] [--fresh | --in-memory]
    [--built dev|prod]
    Run the whole system on 127.0.0.1 from template.yaml until Ctrl-C. Its data and seeded credentials
    are kept in .questline/data/<backend>/ across restarts (--fresh empties them first; --in-memory keeps
    nothing). `--built ENV` runs the functions as Lambda does, from `make fidelity-build`'s output with
    python3.13 and ENV's parameter values (docs/operate/fidelity.md).
python -m local env
    Print the running stack's credentials as shell exports: eval "$(python -m local env)".
python -m local invoke FUNCTION -e events/<file>.json [--backend …]
    Run one function on a sample event (as `sam local invoke`), against the running local stack's
    backends when one is up, otherwise against fresh ones.
python -m local receive --port 9999 --secret S [--count N] [--timeout SECONDS]
    Receive webhooks on loopback, check their Standard Webhooks signatures and print them.
python -m local openapi [--write | --check]
    Regenerate (or check) the merged OpenAPI document the platform function serves.
python -m local docs [--write | --check]
    Regenerate (or check) the docs' reference tables generated from the template and the code.

Only the standard library is imported here: `env` and `receive` run without the virtual environment.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from local import state as published

BACKENDS = ("moto", "dynamodb-local")


def _port_problem(host: str, port: int) -> str | None:
    """Why the gateway could not listen on `port`, in one line (None: it can)."""
    if port == 0:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                return f"cannot listen on {host}:{port}: {error.strerror}"
        else:
            return None
    running = published.running_state()
    holder = (
        f"the local stack {running['api_url']} (pid {running['pid']}) runs there; stop it or "
        if running is not None and running["api_url"].endswith(f":{port}")
        else ""
    )
    return f"port {port} on {host} is in use: {holder}choose another port, e.g. `make dev PORT={port + 1}`"


def _start(args: argparse.Namespace) -> int:
    problem = _port_problem(args.host, args.port)
    if problem is not None:
        print(f"questline: {problem}", file=sys.stderr)
        return 1
    from local.gateway import PortInUse
    from local.persistence import DataFolderInUse
    from local.provision import TableChanged
    from local.stack import LocalStack, StaleData

    data_dir = None if args.in_memory else published.DATA_DIR / args.backend
    built: dict[str, Any] = {}
    if args.built:
        from local import fidelity

        built = fidelity.stack_options(args.built)
    stack = LocalStack(
        backend=args.backend,
        host=args.host,
        port=args.port,
        template_path=Path(args.template),
        visibility_timeout=args.visibility_timeout,
        max_workers=args.max_workers,
        function_logs=not args.quiet,
        seed=not args.no_seed,
        data_dir=data_dir,
        fresh=args.fresh,
        **built,
    )
    # Set by the signal handler, which runs in the main thread between bytecodes: it takes no lock (the main
    # thread may hold the lock an Event would take, and block on itself).
    stopping: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        if stopping:  # a second Ctrl-C: leave now (the lifeline ends every child)
            os._exit(130)
        stopping.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1` prints what every thread does
    signal.signal(signal.SIGTERM, request_stop)
    kept = (
        " (kept data)"
        if data_dir is not None and (data_dir / "seed.json").exists() and not args.fresh
        else ""
    )
    print(f"Starting the Questline local stack ({args.backend}){kept}…", flush=True)
    try:
        state = stack.start()
    except (PortInUse, DataFolderInUse, TableChanged, StaleData) as error:
        print(f"questline: {error}", file=sys.stderr)
        return 1
    _print_summary(state, data_dir)
    # Short sleeps, not an untimed wait: a signal the kernel hands to another thread reaches its handler only
    # once the main thread runs bytecode again, which an untimed wait never does.
    while not stopping:
        time.sleep(0.2)
    print("\nStopping (requests in flight finish first; Ctrl-C again to quit at once)…", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


def _print_summary(state: dict[str, Any], data_dir: Path | None) -> None:
    kept = (
        f"{data_dir} (survives a restart; `make dev FRESH=1` starts empty)"
        if data_dir
        else "nothing (in memory)"
    )
    lines = [
        "",
        f"  API            {state['api_url']}   (GET /health, /openapi.json, /docs)",
        f"  backend        {state['backend']}: {state['endpoints']['dynamodb']}",
        f"  operator key   {state['operator_key']}",
        f"  platform user  {state.get('user_id', '-')}   (headers userid + token)",
        f"  user token     {state.get('user_token', '-')}",
        f"  entity         {state.get('entity_id', '-')}",
        f"  secret key     {state.get('secret_key', '-')}",
        f"  public key     {state.get('public_key', '-')}",
        f"  campaign       {state.get('campaign_id', '-')} (published; the claimr examples' pid)",
        f"  data           {kept}",
        f"  written to     {published.STATE_FILE} and {published.ENV_FILE}",
        "",
        'Ready. In another shell, eval "$(make env)" exports them ($API_URL, $SECRET_KEY, …).',
        "Ctrl-C stops the stack.",
    ]
    print("\n".join(lines), flush=True)


def _env(args: argparse.Namespace) -> int:
    running = published.running_state()
    if running is None:
        print("questline: no local stack is running (start one with `make dev`)", file=sys.stderr)
        return 1
    sys.stdout.write(published.shell_exports(running))
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from local.invoke import Invoker
    from local.stack import LocalStack

    running = published.running_state()
    stack = None
    if running is None:
        print(
            "no local stack is running: starting a fresh one in memory for this invocation", file=sys.stderr
        )
        stack = LocalStack(
            backend=args.backend, port=0, state_file=None, log=lambda line: print(line, file=sys.stderr)
        )
        running = stack.start()
    invoker = Invoker(running, log=lambda line: print(line, file=sys.stderr))
    try:
        given = dict(args.set)
        logical, outcome = invoker.invoke(args.function, args.event, given)
    except LookupError as error:
        print(f"questline: {error.args[0]}", file=sys.stderr)
        return 2
    finally:
        invoker.close()
        if stack is not None:
            stack.stop()
    print(json.dumps(outcome.result if outcome.ok else {"error": outcome.error}, indent=2))
    status = outcome.result.get("statusCode") if outcome.ok and isinstance(outcome.result, dict) else None
    answered = f"status {status}, " if status is not None else ""
    print(
        f"{logical}: {answered}duration {outcome.duration_ms} ms, init {outcome.init_ms} ms", file=sys.stderr
    )
    return 0 if outcome.ok else 1


def _receive(args: argparse.Namespace) -> int:
    from local.receiver import receive

    return receive(args.port, args.secret, args.count, args.timeout)


def _openapi(args: argparse.Namespace) -> int:
    from local import openapi

    if args.check:
        if openapi.is_current():
            print(f"{openapi.DOCUMENT} is current")
            return 0
        print(f"{openapi.DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
        return 1
    openapi.write()
    print(f"wrote {openapi.DOCUMENT}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from local import docs

    if args.check:
        stale = docs.stale_pages()
        if not stale:
            print(f"the generated pages in {docs.REFERENCE} are current")
            return 0
        print(f"stale: {', '.join(map(str, stale))}: run `make docs-tables`", file=sys.stderr)
        return 1
    for page in docs.write():
        print(f"wrote {page}")
    return 0


def _assignment(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local", description="Questline's template-driven local stack"
    )
    commands = parser.add_subparsers(dest="command")

    def backend_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--backend", choices=BACKENDS, default="moto", help="where the table lives (default: moto)"
        )

    start = commands.add_parser("start", help="run the local stack (the default command)")
    for p in (parser, start):
        backend_option(p)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=3000, help="0: any free port")
        kept = p.add_mutually_exclusive_group()
        kept.add_argument("--fresh", action="store_true", help="empty the kept data (new credentials) first")
        kept.add_argument(
            "--in-memory", action="store_true", help="keep no data: everything ends with the stack"
        )
        p.add_argument(
            "--visibility-timeout", type=int, default=3, help="seconds; replaces the queues' own locally"
        )
        p.add_argument("--max-workers", type=int, default=4, help="concurrent executions per function")
        p.add_argument("--quiet", action="store_true", help="do not print function logs")
        p.add_argument("--template", default=str(Path(__file__).resolve().parent.parent / "template.yaml"))
        p.add_argument("--no-seed", action="store_true", help="create no demo user, entity or keys")
        p.add_argument(
            "--built",
            choices=["dev", "prod"],
            help="run the sam build output as Lambda does, with this samconfig.toml environment's values",
        )
    commands.add_parser("env", help="print the running stack's credentials as shell exports")
    receiver = commands.add_parser("receive", help="receive, verify and print webhooks on loopback")
    receiver.add_argument("--port", type=int, default=9999)
    receiver.add_argument("--secret", required=True, help="the hook's secret (plain, or whsec_…)")
    receiver.add_argument("--count", type=int, help="exit after this many verified webhooks")
    receiver.add_argument("--timeout", type=float, default=60.0, help="with --count: give up after (s)")
    invoke = commands.add_parser("invoke", help="run one function on a sample event")
    invoke.add_argument(
        "function",
        nargs="?",
        help="ClaimrUsersFunction, ClaimrUsers or claimr_users (the events' prefix); "
        "without it, the function the event's file name starts with",
    )
    invoke.add_argument(
        "-e", "--event", required=True, help="path of a sample event, e.g. events/platform_health.json"
    )
    invoke.add_argument(
        "--set",
        action="append",
        default=[],
        type=_assignment,
        metavar="NAME=VALUE",
        help="the value of a placeholder, e.g. --set OAUTH_CODE=<a code your provider issued>",
    )
    backend_option(invoke)
    for name, what in (("openapi", "the merged OpenAPI document"), ("docs", "the docs' generated tables")):
        spec = commands.add_parser(name, help=f"regenerate {what}")
        spec.add_argument("--write", action="store_true", help="write it (the default)")
        spec.add_argument("--check", action="store_true", help="fail when the committed copy is stale")
    args = parser.parse_args(argv)

    commands_by_name = {
        "env": _env,
        "receive": _receive,
        "invoke": _invoke,
        "openapi": _openapi,
        "docs": _docs,
    }
    return commands_by_name.get(args.command, _start)(args)


if __name__ == "__main__":
    raise SystemExit(main())
