"""Rate limits under load, on DynamoDB Local through the local stack over HTTP.

Two tenants on one stack whose FREE plan allows `--limit` writes per second (per tenant and per key).
Tenant B sends Parcelvoy events at a steady pace well under its limit, first alone and then while tenant A
floods the stack from `--flood-threads` threads far beyond its own limit. It shows:

- A is held to its limit (admitted writes per second) and answered 429 with `Retry-After` for the rest;
- B is never refused, and its latency with A flooding is close to its latency alone;
- what the limit costs: DynamoDB calls and write units per admitted and per refused request (from the
  capacity header).

    python -m bench.ratelimits [--limit 50] [--seconds 6] [--flood-threads 6]

Writes bench/results/ratelimits.json and bench/results/ratelimits.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from typing import Any

from bench.common import BENCH_PLAN, capacity_of, local_stack, write_results


def _tenant(url: str, operator_key: str, name: str) -> dict[str, str]:
    import requests

    operator = {"authorization": f"Bearer {operator_key}"}

    def call(method: str, path: str, headers: dict[str, str], body: Any) -> Any:
        response = requests.request(method, url + path, json=body, headers=headers, timeout=30)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} -> {response.status_code} {response.text[:200]}")
        return response.json()["data"]

    user = call(
        "POST", "/api/users", operator, {"email": f"{uuid.uuid4().hex[:12]}@example.com", "name": name}
    )
    as_user = {"userid": user["userId"], "token": user["token"]}
    entity = call("POST", "/api/entities", as_user, {"name": name, "chainSource": "OFF_CHAIN"})
    keys = f"/api/entities/{entity['entityId']}/keys"
    return {
        "entity_id": entity["entityId"],
        "public_key": call("POST", keys, as_user, {"type": "pk", "name": "pk"})["key"],
    }


def _event(person: str) -> list[dict[str, Any]]:
    return [{"external_id": person, "name": "Bench", "data": {"n": 1}}]


def _steady(url: str, key: str, seconds: float, rate: float) -> dict[str, Any]:
    """B: one request every 1/rate seconds; latencies and statuses."""
    import requests

    http = requests.Session()
    headers = {"authorization": f"Bearer {key}"}
    latencies, statuses, inside = [], [], []
    deadline = time.perf_counter() + seconds
    next_at = time.perf_counter()
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = http.post(f"{url}/api/client/events", json=_event("b-person"), headers=headers, timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status_code)
        inside.append(capacity_of(response.headers)["storage_ms"])
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.perf_counter()))
    return {
        "requests": len(statuses),
        "refused": sum(1 for s in statuses if s == 429),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
        # time inside DynamoDB calls: what tenants share on AWS (containers are per request there, while
        # the local stack's workers share this machine's cores with the flood)
        "storage_p50_ms": round(statistics.median(inside), 1),
    }


def _flood(url: str, key: str, stop: threading.Event, tally: dict[str, Any], lock: threading.Lock) -> None:
    import requests

    http = requests.Session()
    headers = {"authorization": f"Bearer {key}"}
    while not stop.is_set():
        response = http.post(f"{url}/api/client/events", json=_event("a-person"), headers=headers, timeout=60)
        with lock:
            second = int(time.time())
            tally["by_second"].setdefault(second, {"admitted": 0, "refused": 0})
            kind = "refused" if response.status_code == 429 else "admitted"
            tally["by_second"][second][kind] += 1
            if response.status_code == 429:
                tally["retry_after"].add(response.headers.get("Retry-After"))
                tally["refused_capacity"].append(capacity_of(response.headers))
            elif response.status_code < 300:
                tally["admitted_capacity"].append(capacity_of(response.headers))
            else:
                tally["errors"] += 1


def _median(rows: list[dict[str, float]], field: str) -> float:
    return round(statistics.median(r.get(field, 0.0) for r in rows), 3) if rows else 0.0


def run(limit: int, seconds: float, flood_threads: int) -> dict[str, Any]:
    plan = {**BENCH_PLAN, "writes_per_second": limit, "writes_per_second_per_key": limit}
    overrides = {"PlanLimits": json.dumps({"FREE": plan})}
    with local_stack("ratelimits", parameter_overrides=overrides) as (_, state):
        url = state["api_url"]
        a = _tenant(url, state["operator_key"], "Flooding tenant")
        b = _tenant(url, state["operator_key"], "Steady tenant")
        rate = max(1.0, limit / 5)  # B at a fifth of its limit
        _steady(url, b["public_key"], 1.0, rate)  # warm both paths
        alone = _steady(url, b["public_key"], seconds, rate)
        tally: dict[str, Any] = {
            "by_second": {},
            "retry_after": set(),
            "refused_capacity": [],
            "admitted_capacity": [],
            "errors": 0,
        }
        lock, stop = threading.Lock(), threading.Event()
        threads = [
            threading.Thread(target=_flood, args=(url, a["public_key"], stop, tally, lock), daemon=True)
            for _ in range(flood_threads)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        flooded = _steady(url, b["public_key"], seconds, rate)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    full_seconds = sorted(tally["by_second"].items())[1:-1]  # whole seconds only
    admitted = [row["admitted"] for _, row in full_seconds]
    refused = [row["refused"] for _, row in full_seconds]
    return {
        "limit_per_second": limit,
        "flood_threads": flood_threads,
        "b_rate_per_second": rate,
        "b_alone": alone,
        "b_with_a_flooding": flooded,
        "a_admitted_per_second": {
            "max": max(admitted, default=0),
            "median": statistics.median(admitted or [0]),
        },
        "a_refused_per_second": {"median": statistics.median(refused or [0])},
        "a_errors": tally["errors"],
        "a_retry_after": sorted(str(v) for v in tally["retry_after"]),
        "cost_per_admitted": {f: _median(tally["admitted_capacity"], f) for f in ("calls", "wcu", "rcu")},
        "cost_per_refused": {f: _median(tally["refused_capacity"], f) for f in ("calls", "wcu", "rcu")},
    }


def markdown(result: dict[str, Any]) -> str:
    alone, flooded = result["b_alone"], result["b_with_a_flooding"]
    retry_after = ", ".join(result["a_retry_after"])
    return "\n".join(
        [
            "| measured | value |",
            "|---|---|",
            f"| tenant A's limit (writes/s, tenant and key) | {result['limit_per_second']} |",
            f"| A admitted per whole second, max (median) | {result['a_admitted_per_second']['max']} "
            f"({result['a_admitted_per_second']['median']}) |",
            f"| A refused per second, median ({result['flood_threads']} flooding threads) | "
            f"{result['a_refused_per_second']['median']} (429, `Retry-After` {retry_after}) |",
            f"| B, {result['b_rate_per_second']:.0f}/s alone: p50 / p95 ms, in DynamoDB p50 ms, refused | "
            f"{alone['p50_ms']} / {alone['p95_ms']}, {alone['storage_p50_ms']}, "
            f"{alone['refused']} of {alone['requests']} |",
            f"| B while A floods: p50 / p95 ms, in DynamoDB p50 ms, refused | "
            f"{flooded['p50_ms']} / {flooded['p95_ms']}, {flooded['storage_p50_ms']}, "
            f"{flooded['refused']} of {flooded['requests']} |",
            f"| an admitted request: calls, WCU | {result['cost_per_admitted']['calls']}, "
            f"{result['cost_per_admitted']['wcu']} |",
            f"| a refused request: calls, WCU | {result['cost_per_refused']['calls']}, "
            f"{result['cost_per_refused']['wcu']} |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--flood-threads", type=int, default=6)
    args = parser.parse_args()
    result = run(args.limit, args.seconds, args.flood_threads)
    write_results("ratelimits", result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
