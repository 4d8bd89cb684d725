"""Questline's local stack.

python -m local [start] [--backend moto|dynamodb-local] [--port 3000]
    Run the whole system on 127.0.0.1 from template.yaml until Ctrl-C.
python -m local invoke FUNCTION -e events/<file>.json [--backend …]
    Run one function on a sample event (as `sam local invoke`), against the running local stack's
    backends when one is up, otherwise against fresh ones.
python -m local openapi [--write | --check]
    Regenerate (or check) the merged OpenAPI document the platform function serves.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.request
from typing import Any

from local.stack import BACKENDS, STATE_FILE, LocalStack


def _start(args: argparse.Namespace) -> int:
    stack = LocalStack(
        backend=args.backend,
        host=args.host,
        port=args.port,
        visibility_timeout=args.visibility_timeout,
        max_workers=args.max_workers,
        function_logs=not args.quiet,
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(f"Starting the Questline local stack ({args.backend})…", flush=True)
    state = stack.start()
    print(
        "\n".join(
            [
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
                f"  written to     {STATE_FILE}",
                "",
                "Ctrl-C stops it.",
            ]
        ),
        flush=True,
    )
    stopping.wait()
    print("\nStopping…", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


def _running_state() -> dict[str, Any] | None:
    if not STATE_FILE.exists():
        return None
    state: dict[str, Any] = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    try:
        with urllib.request.urlopen(state["api_url"] + "/health", timeout=2):  # noqa: S310 - loopback only
            return state
    except OSError:
        return None


def _invoke(args: argparse.Namespace) -> int:
    from local.events import load_event, placeholders_from_state
    from local.runtime import FunctionPool, worker_environment
    from local.template import Template

    running = _running_state()
    stack = None
    if running is None:
        stack = LocalStack(
            backend=args.backend, port=0, state_file=None, log=lambda line: print(line, file=sys.stderr)
        )
        stack.start()
        endpoints, template = stack.endpoints, stack.template
        assert template is not None
    else:
        endpoints = running["endpoints"]
        template = Template.load()
        template.set_parameters({"Stage": "local", "OperatorKeyHash": "0" * 64})
        _attach(template, running)
    seeded = running if running is not None else stack.state if stack is not None else {}
    event = load_event(args.event, placeholders_from_state(seeded))
    try:
        specs = template.functions()
        logical = _find_function(specs, args.function)
        spec = specs[logical]
        env = worker_environment(spec, template.environment_of(spec), endpoints)
        pool = FunctionPool(
            spec, env, lambda name, line: print(f"[{name}] {line}", file=sys.stderr), max_workers=1
        )
        outcome = pool.invoke(event)
        pool.close()
    finally:
        if stack is not None:
            stack.stop()
    print(json.dumps(outcome.result if outcome.ok else {"error": outcome.error}, indent=2))
    print(f"duration {outcome.duration_ms} ms, init {outcome.init_ms} ms", file=sys.stderr)
    return 0 if outcome.ok else 1


def _attach(template: Any, state: dict[str, Any]) -> None:
    """Point a freshly read template at the running stack's resources (names from its state file)."""
    from local.provision import aws_client, name_functions

    table = state["table_name"]
    description = aws_client("dynamodb", state["endpoints"]["dynamodb"]).describe_table(TableName=table)[
        "Table"
    ]
    template.physical["Table"] = {
        "Ref": table,
        "Arn": description["TableArn"],
        "StreamArn": description.get("LatestStreamArn"),
    }
    sqs = aws_client("sqs", state["endpoints"]["sqs"])
    for logical, url in state["queues"].items():
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        template.physical[logical] = {
            "Ref": url,
            "QueueUrl": url,
            "Arn": arn,
            "QueueName": url.rsplit("/", 1)[-1],
        }
    name_functions(template)


def _find_function(specs: dict[str, Any], name: str) -> str:
    for logical, spec in specs.items():
        if name in (logical, spec.short_name, spec.short_name.lower()):
            return logical
    raise SystemExit(f"no function {name!r}; the template has {', '.join(sorted(specs))}")


def _openapi(args: argparse.Namespace) -> int:
    from local import openapi

    if args.check:
        if openapi.is_current():
            print(f"{openapi.DOCUMENT} is current")
            return 0
        print(f"{openapi.DOCUMENT} is stale: run `python -m local openapi --write`", file=sys.stderr)
        return 1
    openapi.write()
    print(f"wrote {openapi.DOCUMENT}")
    return 0


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
        p.add_argument("--port", type=int, default=3000)
        p.add_argument(
            "--visibility-timeout", type=int, default=3, help="seconds; replaces the queues' own locally"
        )
        p.add_argument("--max-workers", type=int, default=4, help="concurrent executions per function")
        p.add_argument("--quiet", action="store_true", help="do not print function logs")
    invoke = commands.add_parser("invoke", help="run one function on a sample event")
    invoke.add_argument("function", help="logical id (PlatformFunction) or short name (platform)")
    invoke.add_argument(
        "-e", "--event", required=True, help="path of a sample event, e.g. events/platform_health.json"
    )
    backend_option(invoke)
    spec = commands.add_parser("openapi", help="regenerate the merged OpenAPI document")
    spec.add_argument("--write", action="store_true", help="write it (the default)")
    spec.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    args = parser.parse_args(argv)

    if args.command == "invoke":
        return _invoke(args)
    if args.command == "openapi":
        return _openapi(args)
    return _start(args)


if __name__ == "__main__":
    raise SystemExit(main())
