"""Operator command line.

python -m questline.cli operator-key [--store PARAMETER_PATH [--replace]]
    Print a new operator key and its SHA-256. With `--store`, write the hash to SSM Parameter Store as
    `{PARAMETER_PATH}/operator-key-hash` (the stack's `ParameterPath`), where the functions read it: it
    survives every redeploy, and replacing it rotates the operator key within five minutes. An existing
    hash is kept unless `--replace` is given. The key itself is never stored anywhere: keep it in your
    secrets manager.

TABLE_NAME=<table> python -m questline.cli bootstrap-entity --name "My game"
    Create an enabled entity with one sk_ and one pk_ key in a deployed table (uses your AWS
    credentials) and print them once.

TABLE_NAME=<table> python -m questline.cli index-logs [--entity ENTITY_ID]
    After upgrading a stack deployed before GSI3 existed: give every older event log its place in GSI3
    (an identity's logs of one event), so that listings filtered by identity and event find them. Scans the
    table once, in pages; safe to run again, and while the stack serves.
"""

from __future__ import annotations

import argparse
import json
import sys

from questline.ids import new_secret, secret_hash


def operator_key() -> dict[str, str]:
    key = new_secret("op")
    return {"operator_key": key, "operator_key_hash": secret_hash(key)}


def store_operator_key_hash(parameter_path: str, key_hash: str, *, replace: bool) -> bool:
    """Write the hash where the stack reads it; False (nothing written) when one is there and `replace` is
    not asked for."""
    from botocore.exceptions import ClientError

    from questline.aws import client
    from questline.secret_store import OPERATOR_KEY_HASH

    try:
        client("ssm").put_parameter(
            Name=f"{parameter_path.rstrip('/')}/{OPERATOR_KEY_HASH}",
            Value=key_hash,
            Type="String",
            Overwrite=replace,
            Description="SHA-256 of the Questline operator key (python -m questline.cli operator-key)",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterAlreadyExists":
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m questline.cli", description="Questline operator tools")
    commands = parser.add_subparsers(dest="command", required=True)
    operator = commands.add_parser("operator-key", help="print a new operator key and its hash")
    operator.add_argument("--store", metavar="PARAMETER_PATH", help="write the hash under this SSM path")
    operator.add_argument("--replace", action="store_true", help="replace a hash already stored")
    bootstrap = commands.add_parser("bootstrap-entity", help="create an enabled entity with sk_ and pk_ keys")
    bootstrap.add_argument("--name", required=True)
    index = commands.add_parser("index-logs", help="list older event logs in GSI3 (after an upgrade)")
    index.add_argument("--entity", help="only this entity's logs")
    args = parser.parse_args(argv)

    if args.command == "index-logs":
        from questline.events.logs import index_logs_of_identity_events

        print(json.dumps({"listed": index_logs_of_identity_events(args.entity)}))
        return 0

    if args.command == "operator-key":
        result = operator_key()
        if args.store and not store_operator_key_hash(
            args.store, result["operator_key_hash"], replace=args.replace
        ):
            print(
                f"{args.store}/operator-key-hash already holds a hash: kept (--replace rotates the key)",
                file=sys.stderr,
            )
            return 1
        print(json.dumps(result, indent=2))
        where = f"stored under {args.store}" if args.store else "not stored (--store PARAMETER_PATH)"
        print(f"\nThe hash is {where}. Keep the key itself in your secrets manager.", file=sys.stderr)
        return 0

    from questline.tenancy.entities import create_enabled_entity

    created = create_enabled_entity(args.name)
    print(
        json.dumps(
            {
                "entity_id": created.entity["entity_id"],
                "secret_key": created.secret_key.plain,
                "public_key": created.publishable_key.plain,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
