"""The XP ledger and the task engine on DynamoDB Local, through the local stack over HTTP: round trips and
capacity units per reward, withdraw, /action/value, /stream/value, and per event-triggered completion (the
stream function's share, read from its log), median of `--samples` warm requests.

    python -m bench.ledger [--samples 5]

Writes bench/results/ledger.json and bench/results/ledger.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import capacity_of, local_stack, median_capacity, write_results

PID = "campaign_abc123"  # the local stack's demo campaign (DESIGN.md §4)


def measure(
    url: str, state: dict[str, Any], samples: int, stream_log: list[str]
) -> dict[str, dict[str, float]]:
    import requests

    http = requests.Session()
    sk = {"Authorization": f"Bearer {state['secret_key']}"}

    def post(path: str, body: dict[str, Any]) -> Any:
        response = http.post(url + path, json=body, headers=sk, timeout=60)
        if response.status_code >= 300:
            raise RuntimeError(f"{path} -> {response.status_code} {response.text[:200]}")
        return response

    user = {"account": "bench-player", "platform": "discord", "pid": PID}
    post("/user/reward", {**user, "id": "seed", "xp": 1_000_000})

    def fresh_user() -> dict[str, Any]:
        return {"account": uuid.uuid4().hex, "platform": "discord", "pid": PID}

    operations: dict[str, Callable[[], Any]] = {
        "reward (new id)": lambda: post("/user/reward", {**user, "id": uuid.uuid4().hex, "xp": 10}),
        "reward (repeated id)": lambda: post("/user/reward", {**user, "id": "seed", "xp": 1_000_000}),
        "withdraw, strict": lambda: post(
            "/user/withdraw", {**user, "id": uuid.uuid4().hex, "xp": 1, "strict": True}
        ),
        "/action/value, completes api_call daily_login (new user)": lambda: post(
            "/action/value", {**fresh_user(), "cid": PID, "aid": "daily_login", "value": 1}
        ),
        "/stream/value, no completion": lambda: post(
            "/stream/value", {**user, "stream": "player_score", "value": 1}
        ),
    }
    results = {}
    for name, operation in operations.items():
        for _ in range(2):
            operation()
        results[name] = median_capacity([capacity_of(operation().headers) for _ in range(samples)])

    # An event that completes an events_count task, measured in the stream function: its log line per batch
    # carries the DynamoDB tally of processing the record (the request only writes the log).
    completions = []
    for _ in range(samples):
        player = fresh_user()
        for n in range(2):
            post(
                "/event",
                {
                    **player,
                    "name": "level_completed",
                    "category": "gameplay",
                    "id": uuid.uuid4().hex,
                    "data": {"n": n},
                },
            )
        time.sleep(1.5)
        mark = len(stream_log)
        post(
            "/event",
            {
                **player,
                "name": "level_completed",
                "category": "gameplay",
                "id": uuid.uuid4().hex,
                "data": {"n": 3},
            },
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tallies = [_tally(line) for line in stream_log[mark:]]
            found = [t for t in tallies if t and t.get("completions")]
            if found:
                completions.append(found[0])
                break
            time.sleep(0.2)
    if completions:
        results["event completing events_count three_levels (stream function)"] = {
            name: round(statistics.median(float(c[name]) for c in completions), 2)
            for name in ("calls", "rcu", "wcu", "txwcu")
        }
    return results


def _tally(line: str) -> dict[str, Any] | None:
    start = line.find("{")
    if start < 0:
        return None
    try:
        record = json.loads(line[start:])
    except ValueError:
        return None
    if record.get("message") != "stream batch done":
        return None
    return {**record.get("dynamodb", {}), "completions": record.get("completions", 0)}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "Ledger and tasks on DynamoDB Local through the local stack (warm requests; median of "
        f"{result['samples']}). "
        "Units as DynamoDB Local reports them; the last column is the part from transactions (DynamoDB bills "
        "transactional writes at 2 WCU per KB per item).",
        "",
        "| operation | round trips | RCU | WCU | of which in transactions |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in result["capacity"].items():
        lines.append(f"| {name} | {row['calls']:g} | {row['rcu']:g} | {row['wcu']:g} | {row['txwcu']:g} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()

    stream_log: list[str] = []

    def log(line: str) -> None:
        if line.startswith("[Stream]"):
            stream_log.append(line)

    with local_stack("ledger", log=log, max_workers=1) as (_, state):
        capacity = measure(state["api_url"], state, args.samples, stream_log)
    result = {"samples": args.samples, "capacity": capacity}
    text = markdown(result)
    write_results("ledger", result, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
