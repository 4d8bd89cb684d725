"""Webhook delivery latency through the local stack: from a ledger write (`POST /user/reward` answered) to
the signed request arriving at a receiver on loopback, p50/p95 over `--count` deliveries, one reward at a
time (each waits for its delivery, so the figure is the pipeline's latency, not a queue's backlog).

The path measured: the table's stream (the local poller reads it every 0.1 s), the stream function's
fan-out (hooks query, delivery-record read, SendMessageBatch, record write), the webhook queue (the local
poller long-polls it), the delivery function (hook and record read, signed POST, attempt recorded). On AWS
the pollers are Lambda's event source mappings, whose own latency (typically sub-second for streams and
SQS) replaces the local pollers'.

    python -m bench.webhooks [--count 100] [--backends moto dynamodb-local]

Writes bench/results/webhooks.json and bench/results/webhooks.md.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import local_stack, write_results

PID = "campaign_abc123"  # the local stack's demo campaign
WARM_UP = 5


class Receiver:
    """Counts signed requests and wakes whoever waits for the next one."""

    def __init__(self) -> None:
        self.arrived = threading.Condition()
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                assert self.headers["webhook-signature"].startswith("v1,")
                self.send_response(204)
                self.end_headers()
                with receiver.arrived:
                    receiver.count += 1
                    receiver.arrived.notify_all()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait_beyond(self, count: int, timeout: float) -> float:
        """perf_counter() when the receiver has more than `count` requests."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.count > count, timeout=timeout):
                raise RuntimeError(f"no delivery within {timeout} s")
        return time.perf_counter()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def measure(url: str, state: dict[str, Any], count: int) -> list[float]:
    """Milliseconds from each reward's answer to its delivery."""
    import requests

    http = requests.Session()
    sk = {"Authorization": f"Bearer {state['secret_key']}"}
    receiver = Receiver()
    try:
        hook = {"scope": "user_reward", "uri": receiver.url, "secret": "bench-secret", "hook_id": "bench"}
        response = http.post(f"{url}/hook", json=hook, headers=sk, timeout=60)
        response.raise_for_status()
        latencies = []
        for n in range(WARM_UP + count):
            before = receiver.count
            reward = {"account": "bench-player", "platform": "discord", "pid": PID, "id": uuid.uuid4().hex}
            response = http.post(f"{url}/user/reward", json={**reward, "xp": 1}, headers=sk, timeout=60)
            response.raise_for_status()
            written = time.perf_counter()
            arrived = receiver.wait_beyond(before, timeout=60)
            if n >= WARM_UP:
                latencies.append((arrived - written) * 1000)
        return latencies
    finally:
        receiver.stop()


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "deliveries": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(cuts[94], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "Webhook delivery latency through the local stack: `POST /user/reward` answered -> signed request "
        f"at a receiver on loopback, one reward at a time, {WARM_UP} warm-up deliveries left out.",
        "",
        "| backend | deliveries | p50 ms | p95 ms | min ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for backend, row in result["backends"].items():
        lines.append(
            f"| {backend} | {row['deliveries']} | {row['p50_ms']:g} | {row['p95_ms']:g} | {row['min_ms']:g} "
            f"| {row['max_ms']:g} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--backends", nargs="+", default=["moto", "dynamodb-local"])
    args = parser.parse_args()

    backends = {}
    for backend in args.backends:
        with local_stack(f"webhooks-{backend}", backend=backend, function_logs=False) as (_, state):
            backends[backend] = summary(measure(state["api_url"], state, args.count))
    result = {"count": args.count, "backends": backends}
    text = markdown(result)
    write_results("webhooks", result, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
