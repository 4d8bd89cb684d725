"""The identity graph's bounded work on DynamoDB Local, through the local stack over HTTP:

* a merge (Parcelvoy `alias` folding an anonymous visitor into a known person) costs the same round trips
  and units whatever the visitor's history: measured with `--small` and `--large` logs behind it;
* an erase of a person with `--logs` event logs (`DELETE /v1/identities/{id}`): the request's own cost, the
  time until `GET …/erasure` says `erased`, and what the erasure function spent (its messages, the longest
  one against its 60 s timeout, round trips and units, from its log lines).

History is seeded straight into the table (batch writes of the items the API would write), so the run stays
short; the measured requests go through the API.

    python -m bench.identity [--logs 10000] [--small 10] [--large 2000]

Writes bench/results/identity.json and bench/results/identity.md.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

from bench.common import capacity_of, local_stack, write_results

TIMEOUT_S = 60  # the erasure function's Timeout in template.yaml


def seed_logs(stack: Any, entity_id: str, identity_id: str, count: int) -> None:
    from questline.events.logs import LogInput, log_item
    from questline.storage.codec import to_item

    client = stack.client("dynamodb")
    table = stack.state["table_name"]
    pending = [
        {
            "PutRequest": {
                "Item": to_item(
                    log_item(
                        entity_id, identity_id, LogInput("heymint", "bench_seed", "bench_seed", {"n": n})
                    )
                )
            }
        }
        for n in range(count)
    ]
    while pending:
        chunk, pending = pending[:25], pending[25:]
        left = client.batch_write_item(RequestItems={table: chunk}).get("UnprocessedItems", {})
        pending = left.get(table, []) + pending


def seed_visitor(stack: Any, entity_id: str, anonymous_id: str) -> str:
    """An anonymous visitor (an identity holding only an anonymous id), as a Parcelvoy event makes one."""
    from questline.identity.graph import identifier_item, new_identity_item
    from questline.identity.identifiers import anonymous_id as anon
    from questline.storage.codec import to_item

    item = new_identity_item(entity_id)
    identity_id = str(item["identity_id"])
    client = stack.client("dynamodb")
    for stored in (item, identifier_item(entity_id, identity_id, anon(anonymous_id))):
        client.put_item(TableName=stack.state["table_name"], Item=to_item(stored))
    return identity_id


def measure_merges(stack: Any, http: Any, state: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    url, entity_id = state["api_url"], state["entity_id"]
    sk, pk = {"x-api-key": state["secret_key"]}, {"Authorization": f"Bearer {state['public_key']}"}
    rows = {}
    for size in sizes:
        user_id, anonymous = f"bench-user-{uuid.uuid4().hex[:8]}", f"bench-anon-{uuid.uuid4().hex[:8]}"
        http.post(url + "/v1/identities", json={"uniqueIdentifier": user_id}, headers=sk, timeout=60)
        visitor = seed_visitor(stack, entity_id, anonymous)  # younger than the known person: it merges in
        seed_logs(stack, entity_id, visitor, size)
        answer = http.post(
            url + "/api/client/alias",
            json={"anonymous_id": anonymous, "external_id": user_id},
            headers=pk,
            timeout=60,
        )
        assert answer.status_code == 204, answer.text
        rows[f"merge, visitor with {size:,} logs"] = capacity_of(answer.headers)
    return rows


def measure_erase(
    stack: Any, http: Any, state: dict[str, Any], logs: int, lines: list[str]
) -> dict[str, Any]:
    url, entity_id = state["api_url"], state["entity_id"]
    sk = {"x-api-key": state["secret_key"]}
    user_id = f"bench-erase-{uuid.uuid4().hex[:8]}"
    identity_id = http.post(
        url + "/v1/identities", json={"uniqueIdentifier": user_id}, headers=sk, timeout=60
    ).json()["id"]
    started = time.perf_counter()
    seed_logs(stack, entity_id, identity_id, logs)
    seeded_s = time.perf_counter() - started
    mark = len(lines)
    started = time.perf_counter()
    answer = http.delete(url + f"/v1/identities/{identity_id}", headers=sk, timeout=60)
    assert answer.status_code == 202, answer.text
    request = capacity_of(answer.headers)
    status: dict[str, Any] = {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = http.get(url + f"/v1/identities/{identity_id}/erasure", headers=sk, timeout=60).json()
        if status.get("status") == "erased":
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    tallies = [t for t in (_tally(line) for line in lines[mark:]) if t]
    return {
        "logs": logs,
        "seeded_s": round(seeded_s, 1),
        "status": status.get("status"),
        "removed_items": status.get("removedItems"),
        "request": request,
        "until_erased_s": round(elapsed, 2),
        "messages": len(tallies),
        "longest_message_ms": max((t["duration_ms"] for t in tallies), default=0),
        "function_timeout_s": TIMEOUT_S,
        "calls": sum(t.get("calls", 0) for t in tallies),
        "rcu": round(sum(t.get("rcu", 0) for t in tallies), 1),
        "wcu": round(sum(t.get("wcu", 0) + t.get("txwcu", 0) for t in tallies), 1),
    }


def _tally(line: str) -> dict[str, Any] | None:
    start = line.find("{")
    if start < 0 or '"erasure ' not in line:
        return None
    try:
        record = json.loads(line[start:])
    except ValueError:
        return None
    if record.get("message") not in ("erasure finished", "erasure continues"):
        return None
    return {**record.get("dynamodb", {}), "duration_ms": float(record.get("duration_ms", 0))}


def markdown(result: dict[str, Any]) -> str:
    erase = result["erase"]
    lines = [
        "Identity graph on DynamoDB Local through the local stack. A merge's cost does not grow with the "
        "merged visitor's history (its logs stay where they are; the survivor reads both timelines):",
        "",
        "| operation | round trips | RCU | WCU | of which in transactions |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in result["merges"].items():
        lines.append(
            f"| {name} | {row['calls']:g} | {row['rcu']:g} | {row['wcu']:g} | {row.get('txwcu', 0):g} |"
        )
    lines += [
        "",
        f"An erase of a person with {erase['logs']:,} logs: the `DELETE` answers 202 after "
        f"{erase['request']['calls']:g} round trips ({erase['request']['wcu']:g} WCU); the erasure function "
        f"finished in {erase['until_erased_s']:g} s over {erase['messages']} queue messages (the longest "
        f"{erase['longest_message_ms'] / 1000:.1f} s, against its {erase['function_timeout_s']} s timeout), "
        f"{erase['calls']:g} round trips, {erase['rcu']:g} RCU and {erase['wcu']:g} WCU "
        f"({erase['removed_items']} items removed).",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=2_000)
    args = parser.parse_args()
    import requests

    lines: list[str] = []
    with local_stack("identity", log=lines.append, max_workers=1) as (stack, state):
        http = requests.Session()
        merges = measure_merges(stack, http, state, [args.small, args.large])
        erase = measure_erase(stack, http, state, args.logs, lines)
    result = {"merges": merges, "erase": erase}
    text = markdown(result)
    write_results("identity", result, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
