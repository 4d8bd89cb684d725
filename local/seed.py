"""Seed the local stack: a demo entity with one sk_ and one pk_ key. Run by the local stack in a child
process with a function's environment (table name, local endpoints); prints the result as JSON."""

from __future__ import annotations

import json

from questline.tenancy.entities import create_enabled_entity


def main() -> None:
    created = create_enabled_entity("Demo entity")
    print(
        json.dumps(
            {
                "entity_id": created.entity["entity_id"],
                "secret_key": created.secret_key.plain,
                "public_key": created.publishable_key.plain,
            }
        )
    )


if __name__ == "__main__":
    main()
