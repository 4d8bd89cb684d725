"""Operator command line.

python -m questline.cli operator-key
    Print a new operator key and the SHA-256 to deploy with (`OperatorKeyHash`). The key itself is
    never stored anywhere: keep it in your secrets manager.

TABLE_NAME=<table> python -m questline.cli bootstrap-entity --name "My game"
    Create an enabled entity with one sk_ and one pk_ key in a deployed table (uses your AWS
    credentials) and print them once.
"""

from __future__ import annotations

import argparse
import json
import sys

from questline.ids import new_secret, secret_hash


def operator_key() -> dict[str, str]:
    key = new_secret("op")
    return {"operator_key": key, "operator_key_hash": secret_hash(key)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m questline.cli", description="Questline operator tools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("operator-key", help="print a new operator key and its hash")
    bootstrap = commands.add_parser("bootstrap-entity", help="create an enabled entity with sk_ and pk_ keys")
    bootstrap.add_argument("--name", required=True)
    args = parser.parse_args(argv)

    if args.command == "operator-key":
        result = operator_key()
        print(json.dumps(result, indent=2))
        print(
            f"\nDeploy with: sam deploy --parameter-overrides OperatorKeyHash={result['operator_key_hash']}",
            file=sys.stderr,
        )
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
