"""The leaderboard on DynamoDB Local: read capacity of the top 100, of a user's rank and of `around=5`
through the local stack over HTTP, against counting the entries above the user with `Select=COUNT` on the
same board in the same run; and how many balance changes per second the stream's projection applies.

    python -m bench.leaderboard [--sizes 1000,10000,100000] [--samples 5] [--changes 1000]

Each board is a campaign created through the Entity API; its entries are bulk-loaded into the table exactly
as the stream writes them (the projection items on GSI2 and the count tree's nodes), then a handful of real
users earn XP through `POST /user/reward` and the stream places them among the loaded entries. Their ranks
are checked against the `Select=COUNT` answer, so the benchmark also proves the ranks right.

Writes bench/results/leaderboard.json and bench/results/leaderboard.md.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from bench.common import ROOT, Progress, capacity_of, local_stack, median_capacity, write_results

CAMPAIGN = json.loads(json.loads((ROOT / "events" / "campaign_admin_put.json").read_text())["body"])
REAL_USERS = 5
BATCHED_CHANGES = 2000
LOAD_THREADS = 4
RANK = "a user's rank (with the top 1)"
START_MS = 1_795_000_000_000  # entries reached their scores over the 30 days after this moment


def synthetic_entries(size: int, seed: int) -> Iterator[tuple[str, int, int]]:
    """(identity id, score, ms at which it was reached): scores with a long tail, as XP boards have, and
    plenty of ties on score."""
    rng = random.Random(seed)
    for n in range(size):
        score = max(1, int(rng.paretovariate(1.2) * 100))
        yield f"bench-{n:08d}", score, START_MS + rng.randrange(30 * 86_400_000)


def bulk_load(client: Any, table: str, entity_id: str, pid: str, size: int) -> dict[str, Any]:
    """The board's projection items and count-tree nodes, written with BatchWriteItem on a few threads."""
    from questline.campaigns import leaderboard
    from questline.storage import keys
    from questline.storage.codec import to_item

    nodes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items: list[dict[str, Any]] = []
    for identity_id, score, reached in synthetic_entries(size, seed=size):
        key = leaderboard.board_key(score, reached)
        assert key is not None
        for prefix, changes in leaderboard.tree_changes(None, key).items():
            for counter, delta in changes.items():
                nodes[prefix][counter] += delta
        items.append(
            {
                **keys.stats_projection(entity_id, pid, identity_id),
                **keys.board_listing(entity_id, pid, key, identity_id),
                "type": "stats_projection",
                "entity_id": entity_id,
                "pid": pid,
                "identity_id": identity_id,
                "rev": 1,
                "total": score,
                "score": score,
                "day": "2026-11-01",
                "board_key": key,
                "name": f"player {identity_id[-6:]}",
            }
        )
    for prefix, counters in nodes.items():
        items.append({**keys.board_node(entity_id, pid, prefix), "type": "board_node", **counters})
    started = time.perf_counter()
    chunks = [items[i : i + 25] for i in range(0, len(items), 25)]

    progress = Progress(f"loading a board of {size:,} users ({len(items):,} items)", len(items))

    def write(chunk: list[dict[str, Any]]) -> None:
        pending = [{"PutRequest": {"Item": to_item(item)}} for item in chunk]
        while pending:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
        progress.tick(len(chunk))

    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        list(pool.map(write, chunks))
    seconds = time.perf_counter() - started
    return {
        "entries": size,
        "tree_nodes": len(nodes),
        "nodes_per_entry": round(len(nodes) / size, 2),
        "load_seconds": round(seconds, 1),
        "items_per_second": round(len(items) / seconds),
    }


def count_above(client: Any, table: str, entity_id: str, pid: str, board_listing: str) -> dict[str, float]:
    """What ranking by counting costs: `Select=COUNT` over the GSI2 entries sorting before the user's."""
    from questline.storage import keys

    started = time.perf_counter()
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": "GSI2",
        "Select": "COUNT",
        "KeyConditionExpression": "GSI2PK = :p AND GSI2SK < :k",
        "ExpressionAttributeValues": {
            ":p": {"S": keys.board_ranks(entity_id, pid)},
            ":k": {"S": board_listing},
        },
        "ReturnConsumedCapacity": "TOTAL",
    }
    count, units, calls = 0, 0.0, 0
    while True:
        response = client.query(**request)
        calls += 1
        count += response["Count"]
        units += response["ConsumedCapacity"]["CapacityUnits"]
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return {"rank": count + 1, "calls": calls, "rcu": units, "ms": (time.perf_counter() - started) * 1000}


class Api:
    def __init__(self, url: str, state: dict[str, Any]) -> None:
        import requests

        self.url, self.state, self.http = url, state, requests.Session()
        self.headers = {"Authorization": f"Bearer {state['secret_key']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.url + path, headers=self.headers, timeout=120, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response

    def create_campaign(self, pid: str) -> None:
        path = f"/api/entities/{self.state['entity_id']}/campaigns/{pid}"
        self.call("PUT", path, json=CAMPAIGN)
        self.call("POST", path + "/publish", json={})


def place_real_users(api: Api, pid: str, scores: list[int]) -> list[dict[str, Any]]:
    """Users who earn `scores` XP through claimr's reward route; returned once the stream has ranked them."""
    users = []
    for score in scores:
        user = {"account": f"real-{uuid.uuid4().hex[:12]}", "platform": "discord", "pid": pid}
        api.call("POST", "/user/reward", json={**user, "id": uuid.uuid4().hex, "xp": score})
        users.append(user)
    deadline = time.monotonic() + 120
    for user in users:
        while True:
            answer = api.call("GET", "/leaderboard", params={**user, "limit": 1}).json()["data"]
            if answer.get("rank") is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stream never ranked {user}")
            time.sleep(0.2)
    return users


def measure_board(
    api: Api, client: Any, table: str, entity_id: str, size: int, samples: int
) -> dict[str, Any]:
    pid = f"bench_board_{size}"
    api.create_campaign(pid)
    load = bulk_load(client, table, entity_id, pid, size)
    loaded = sorted(score for _, score, _ in synthetic_entries(size, seed=size))
    # real users at the top, three quarters up, the median, a quarter up and near the bottom
    scores = [loaded[-1] + 1, *(loaded[int(size * q)] + 1 for q in (0.75, 0.5, 0.25, 0.01))]
    users = place_real_users(api, pid, scores[:REAL_USERS])
    batched = batched_changes(entity_id, pid, size, min(size, BATCHED_CHANGES))

    def sampled(request: Callable[[], Any]) -> dict[str, float]:
        request()  # warm: the campaign and the caller's key are cached after the first call
        timings, tallies = [], []
        for _ in range(samples):
            started = time.perf_counter()
            tallies.append(capacity_of(request().headers))
            timings.append((time.perf_counter() - started) * 1000)
        return {**median_capacity(tallies), "ms": round(statistics.median(timings), 1)}

    median_user = users[2]
    reads = {
        "top 100": sampled(lambda: api.call("GET", "/leaderboard", params={"pid": pid, "limit": 100})),
        RANK: sampled(lambda: api.call("GET", "/leaderboard", params={**median_user, "limit": 1})),
        "around=5": sampled(lambda: api.call("GET", "/leaderboard", params={**median_user, "around": 5})),
    }
    checks = []
    for user in users:
        answer = api.call("GET", "/leaderboard", params={**user, "around": 1}).json()["data"]
        me = next(e for e in answer["leaderboard"] if e["rank"] == answer["rank"])
        listing = _listing(client, table, entity_id, pid, me["user"]["id"], int(me["score"]))
        counted = count_above(client, table, entity_id, pid, listing)
        if counted["rank"] != answer["rank"]:
            raise AssertionError(f"rank {answer['rank']} but {counted['rank'] - 1} entries sort before")
        checks.append({"score": me["score"], "rank": answer["rank"], "count": counted})
    median_count = checks[2]["count"]
    return {
        "pid": pid,
        "load": load,
        "total": answer["total"],
        "reads": reads,
        "rank_only": _rank_only(entity_id, pid),
        "batched": batched,
        "select_count": {
            "median user": {k: round(v, 1) for k, v in median_count.items()},
            "top user": {k: round(v, 1) for k, v in checks[0]["count"].items()},
            "bottom user": {k: round(v, 1) for k, v in checks[-1]["count"].items()},
        },
        "ranks_checked": [{"score": c["score"], "rank": c["rank"]} for c in checks],
    }


def _listing(client: Any, table: str, entity_id: str, pid: str, public_id: str, score: int) -> str:
    """The GSI2 sort key of the entry a board answer names by its public id (the entries of its score)."""
    from questline.campaigns import leaderboard
    from questline.identity.public_ids import public_user_id
    from questline.storage import keys
    from questline.storage.codec import from_item

    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": "GSI2",
        "KeyConditionExpression": "GSI2PK = :p AND begins_with(GSI2SK, :s)",
        "ExpressionAttributeValues": {
            ":p": {"S": keys.board_ranks(entity_id, pid)},
            ":s": {"S": f"{leaderboard.MAX_SCORE - score:0{leaderboard.SCORE_DIGITS}d}"},
        },
    }
    while True:
        page = client.query(**request)
        for raw in page.get("Items", []):
            item = from_item(raw)
            if public_user_id(entity_id, pid, str(item["identity_id"])) == public_id:
                return str(item["GSI2SK"])
        if "LastEvaluatedKey" not in page:
            raise AssertionError(f"no entry of score {score} is {public_id}")
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _rank_only(entity_id: str, pid: str) -> dict[str, float]:
    """The rank lookup alone (the projection and the count tree's nodes), in this process, for 20 entries
    spread over the board's top 1,000."""
    from questline.campaigns import leaderboard
    from questline.storage import capacity, get_table, keys
    from questline.storage.keys import GSI2

    entries = leaderboard.page(entity_id, pid, 1000, None).entries
    listed = get_table().query(keys.board_ranks(entity_id, pid), index=GSI2, limit=1000).items
    tallies = []
    step = max(1, len(entries) // 20)
    for entry, item in list(zip(entries, listed, strict=True))[::step]:
        tally = capacity.reset()
        standing = leaderboard.standing_of(entity_id, pid, str(item["identity_id"]))
        assert standing is not None
        placed = leaderboard.rank_of(entity_id, pid, str(standing["board_key"]))
        assert placed.rank == entry["rank"], (placed, entry)
        tallies.append(tally.as_dict())
    return median_capacity(tallies)


@contextmanager
def questline_env(stack: Any) -> Iterator[None]:
    """Point this process's `questline` at the stack's table, as the functions are."""
    import os

    from local.template import REGION
    from questline.caches import reset_all

    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": stack.endpoints["dynamodb"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "TABLE_NAME": str(stack.template.physical["Table"]["Ref"]),
        }
    )
    reset_all()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_all()


def stream_throughput(entity_id: str, pid: str, changes: int) -> dict[str, Any]:
    """Balance changes per second through the projection (what the stream function does for each balance
    record: read the projection, one transaction of it, the statistics and the tree), on one thread and on
    two threads (two shards) contending for the same campaign's nodes; and the capacity of one change."""
    from questline.campaigns import projection
    from questline.storage import capacity
    from questline.storage.table import Table

    rng = random.Random(7)
    result: dict[str, Any] = {}
    revisions: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    def change(identity_id: str) -> dict[str, float]:
        with lock:
            revisions[identity_id] += 1
            rev = revisions[identity_id]
        total = rev * rng.randrange(10, 500)
        tally = capacity.reset()
        projection.apply_balance(
            {
                "entity_id": entity_id,
                "pid": pid,
                "identity_id": identity_id,
                "rev": rev,
                "total": total,
                "at": int(time.time() * 1000),
            }
        )
        return tally.as_dict()

    # DynamoDB Local's units for transactions are not what DynamoDB bills: count the items instead
    written: list[int] = []
    original = Table.transact_write

    def counted(self: Table, operations: Any, *args: Any, **kwargs: Any) -> Any:
        written.append(len(operations))
        return original(self, operations, *args, **kwargs)

    people = [f"stream-{n:05d}" for n in range(200)]
    Table.transact_write = counted  # type: ignore[method-assign]
    try:
        for threads in (1, 2):
            work = [people[n % len(people)] for n in range(changes)]
            written.clear()
            progress = Progress(f"{changes:,} balance changes on {threads} thread(s)", changes)

            def counted_change(identity_id: str, progress: Progress = progress) -> dict[str, float]:
                tally = change(identity_id)
                progress.tick()
                return tally

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                tallies = list(pool.map(counted_change, work))
            seconds = time.perf_counter() - started
            result[f"{threads} shard{'s' if threads > 1 else ''}"] = {
                "changes": changes,
                "per_second": round(changes / seconds),
                "ms_per_change": round(seconds * 1000 * threads / changes, 1),
                "capacity_per_change": median_capacity(tallies),
                "items_per_transaction": statistics.median(written),
                "transactions_per_change": round(len(written) / changes, 3),
            }
    finally:
        Table.transact_write = original  # type: ignore[method-assign]
    return result


def batched_changes(entity_id: str, pid: str, size: int, changes: int, batch: int = 100) -> dict[str, Any]:
    """What the stream bills for a board's score changes counted a batch at a time (decision 8): `changes`
    changes of users already on the loaded board (their old keys spread over 30 days), each earning 10 to
    500 points now, in batches of the template's `BatchSize`; the items each transaction writes (2 WCU
    each: under 1 KB, transactional), and the writes that land on the hottest item per 1,000 changes."""
    from questline.campaigns import projection
    from questline.storage.keys import PK, SK
    from questline.storage.table import Table

    rng = random.Random(size + 1)
    scores = {identity: score for identity, score, _ in synthetic_entries(size, seed=size)}
    people = list(scores)
    revs: dict[str, int] = defaultdict(lambda: 1)
    writes: dict[tuple[str, str], int] = defaultdict(int)
    items_written = [0]
    original = Table.transact_write

    def counted(self: Table, operations: Any, *args: Any, **kwargs: Any) -> Any:
        items_written[0] += len(operations)
        for op in operations:
            writes[(str(op.key[PK]), str(op.key[SK]))] += 1
        return original(self, operations, *args, **kwargs)

    Table.transact_write = counted  # type: ignore[method-assign]
    progress = Progress(f"{changes:,} changes in batches of {batch}", changes)
    started = time.perf_counter()
    try:
        for start in range(0, changes, batch):
            records = []
            for _ in range(min(batch, changes - start)):
                who = rng.choice(people)
                revs[who] += 1
                scores[who] += rng.randrange(10, 500)
                records.append(
                    {
                        "type": "balance",
                        "entity_id": entity_id,
                        "pid": pid,
                        "identity_id": who,
                        "rev": revs[who],
                        "total": scores[who],
                        "at": int(time.time() * 1000),
                    }
                )
            projection.apply_batch(records)
            progress.tick(len(records))
    finally:
        Table.transact_write = original  # type: ignore[method-assign]
    seconds = time.perf_counter() - started
    hottest = max(writes.values())
    return {
        "changes": changes,
        "batch": batch,
        "per_second": round(changes / seconds),
        "items_per_change": round(items_written[0] / changes, 2),
        "wcu_per_change": round(2 * items_written[0] / changes, 2),
        "hottest_writes_per_1000": round(hottest * 1000 / changes, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "Leaderboard on DynamoDB Local (warm requests through the local stack over HTTP; median of "
        f"{result['samples']}). A request's units include authentication, the campaign and the user's "
        'identity; "rank alone" is the projection and the count tree\'s nodes.',
        "",
        "| board size | top 100 RCU | a user's rank RCU (request) | rank alone RCU | around=5 RCU "
        "| Select=COUNT RCU, median user | Select=COUNT RCU, bottom user | tree nodes per entry |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for board in result["boards"]:
        reads = board["reads"]
        lines.append(
            f"| {board['total']:,} | {reads['top 100']['rcu']:g} | "
            f"{reads[RANK]['rcu']:g} | {board['rank_only']['rcu']:g} | "
            f"{reads['around=5']['rcu']:g} | {board['select_count']['median user']['rcu']:g} | "
            f"{board['select_count']['bottom user']['rcu']:g} | {board['load']['nodes_per_entry']:g} |"
        )
    lines += [
        "",
        "| board size | top 100 ms | rank ms | around=5 ms | Select=COUNT ms, bottom user | bulk load |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for board in result["boards"]:
        reads = board["reads"]
        lines.append(
            f"| {board['total']:,} | {reads['top 100']['ms']:g} | "
            f"{reads[RANK]['ms']:g} | {reads['around=5']['ms']:g} | "
            f"{board['select_count']['bottom user']['ms']:g} | "
            f"{board['load']['load_seconds']:g} s ({board['load']['items_per_second']:,} items/s) |"
        )
    lines += [
        "",
        "Score changes counted a stream batch at a time (decision 8; users already on the board earn 10 to "
        "500 points now, batches of 100; each transaction item under 1 KB bills 2 WCU):",
        "",
        "| board size | changes | changes/s (one shard) | items written per change | WCU per change "
        "| writes on the hottest item per 1,000 changes |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for board in result["boards"]:
        b = board["batched"]
        lines.append(
            f"| {board['total']:,} | {b['changes']:,} | {b['per_second']:,} | {b['items_per_change']:g} "
            f"| {b['wcu_per_change']:g} | {b['hottest_writes_per_1000']:g} |"
        )
    lines += [
        "",
        "Stream projection, record by record (the fallback when a batch's transaction loses a race: read the "
        "projection, one transaction of the projection, the statistics and the count tree):",
        "",
        "| shards | changes/s | ms per change | round trips | RCU | items in the transaction "
        "| transactions per change (conflicts retried) | WCU billed by DynamoDB (2 per item) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["stream"].items():
        c = row["capacity_per_change"]
        items = row["items_per_transaction"]
        lines.append(
            f"| {name} | {row['per_second']:,} | {row['ms_per_change']:g} | {c['calls']:g} | {c['rcu']:g} "
            f"| {items:g} | {row['transactions_per_change']:g} | {2 * items:g} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="board sizes, comma-separated")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--changes", type=int, default=1000, help="balance changes per throughput run")
    args = parser.parse_args()

    from local.provision import aws_client

    with local_stack("leaderboard", max_workers=1) as (stack, state):
        api = Api(state["api_url"], state)
        client = aws_client("dynamodb", stack.endpoints["dynamodb"])
        table = str(stack.template.physical["Table"]["Ref"])
        boards = []
        with questline_env(stack):
            for size in (int(s) for s in args.sizes.split(",")):
                boards.append(measure_board(api, client, table, state["entity_id"], size, args.samples))
                print(json.dumps(boards[-1]["reads"]), flush=True)
            api.create_campaign("bench_stream")
            stream = stream_throughput(state["entity_id"], "bench_stream", args.changes)
    result = {"samples": args.samples, "boards": boards, "stream": stream}
    text = markdown(result)
    write_results("leaderboard", result, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
