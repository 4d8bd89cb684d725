"""One report from every benchmark's results: bench/REPORT.md and bench/results/leaderboard_rank_cost.png.

    python -m bench.report

Reads bench/results/{coldstart,ingest,ledger,leaderboard,webhooks,identity,ratelimits}.json (written by
`make bench`) and the functions' memory from template.yaml, and prices each operation with the constants
below.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT

# --- prices ---------------------------------------------------------------------------------------------
# AWS list prices, us-east-1, as published on 2024-11-01 (the DynamoDB on-demand price cut of that day) and
# unchanged in the price list we last checked on that date. Update the date with the numbers.
PRICES_AS_OF = "2024-11-01"
PRICE = {
    "http_api_per_million_requests": 1.00,  # API Gateway HTTP API, first 300 M a month, per 512 KB
    "lambda_per_million_requests": 0.20,
    "lambda_arm64_per_gb_second": 0.0000133334,  # first 7.5 B GB-s a month
    "dynamodb_per_million_write_units": 0.625,  # on-demand write request units
    "dynamodb_per_million_read_units": 0.125,  # on-demand read request units
}
# DynamoDB bills each item a transaction writes at 2 units per KB. DynamoDB Local's report of a transaction
# is not per item (one plain item reports 2, two plain items also 2, one item with an index entry 4), so a
# transaction is billed here at the larger of its report and 2 units per item (our items are under 1 KB).
TRANSACTION_FACTOR = 2


def billed_write_units(row: dict[str, float]) -> float:
    transactional = max(row.get("txwcu", 0.0), TRANSACTION_FACTOR * row.get("txitems", 0.0))
    return row.get("wcu", 0.0) - row.get("txwcu", 0.0) + transactional


# Which function serves each measured operation, what it must durably write at the least (items and their
# index entries, 1 write unit each per KB), and why it is billed more when it is.
OPERATIONS: dict[str, tuple[str, str, float, str]] = {
    # name in the results: (results file, function, essential write units, why more)
    "HeyMint log, new uniqueIdentifier": (
        "ingest",
        "HeyMintFunction",
        4,
        "the log (with its 2 index entries) and its idempotency key are one transaction, billed at 2 "
        "units per item: a retried request never logs twice",
    ),
    "HeyMint log, repeated uniqueIdentifier": ("ingest", "HeyMintFunction", 0, ""),
    "HeyMint log, no uniqueIdentifier": ("ingest", "HeyMintFunction", 3, ""),
    "Parcelvoy identify (known user)": ("ingest", "ClientFunction", 1, ""),
    "Parcelvoy events, batch of 100 (one known user)": ("ingest", "ClientFunction", 300, ""),
    "Parcelvoy events, batch of 100 (100 new users)": (
        "ingest",
        "ClientFunction",
        500,
        "each new user is claimed by a transaction of its identity and identifier (2 units per item), so "
        "two concurrent requests can never create the same person twice",
    ),
    "Endu event, 3 identity keys (known person)": ("ingest", "IngestFunction", 3, ""),
    "Endu event, 3 identity keys (new person)": (
        "ingest",
        "IngestFunction",
        7,
        "the identity and its first identifier are claimed in one transaction (no duplicate people)",
    ),
    "reward (new id)": (
        "ledger",
        "ClaimrUsersFunction",
        4,
        "entry and balance in one transaction (2 units per item): idempotent by id, never half-applied",
    ),
    "reward (repeated id)": ("ledger", "ClaimrUsersFunction", 0, ""),
    "withdraw, strict": (
        "ledger",
        "ClaimrUsersFunction",
        4,
        "entry and balance in one conditional transaction: a strict balance never goes negative",
    ),
    "/action/value, completes api_call daily_login (new user)": (
        "ledger",
        "ClaimrTasksFunction",
        10,
        "the completion, its ledger entry and the balance are one transaction with the participant's "
        "versioned state (2 units per item), so a completion is never paid twice",
    ),
    "/stream/value, no completion": ("ledger", "ClaimrTasksFunction", 2, ""),
    "event completing events_count three_levels (stream function)": (
        "ledger",
        "StreamFunction",
        6,
        "state, completion, entry and balance in one transaction (2 units per item)",
    ),
}


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _memory() -> dict[str, int]:
    from local.template import Template

    return {name: spec.memory for name, spec in Template.load().functions().items()}


def cost_per_million(row: dict[str, float], memory_mb: int, api: bool = True) -> dict[str, float]:
    """Dollars per million operations: the API request, the Lambda request and its GB-seconds at the
    measured in-process duration (billed per ms, rounded up), DynamoDB's units as DynamoDB bills them."""
    billed_ms = math.ceil(row.get("ms", 0.0))
    write_units = billed_write_units(row)
    parts = {
        "api": PRICE["http_api_per_million_requests"] if api else 0.0,
        "lambda": PRICE["lambda_per_million_requests"]
        + billed_ms / 1000 * memory_mb / 1024 * PRICE["lambda_arm64_per_gb_second"] * 1e6,
        "dynamodb": write_units * PRICE["dynamodb_per_million_write_units"]
        + row.get("rcu", 0.0) * PRICE["dynamodb_per_million_read_units"],
    }
    return {**{k: round(v, 3) for k, v in parts.items()}, "total": round(sum(parts.values()), 3)}


def operations_table(memory: dict[str, int]) -> list[str]:
    lines = [
        "| operation | function (MB) | round trips | RCU | WCU billed | ms in process | ms in storage calls "
        "| ratio | $ per million (API + Lambda + DynamoDB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for source in ("ingest", "ledger"):
        result = _load(source)
        if result is None:
            continue
        for name, row in result["capacity"].items():
            _, function, essential, why = OPERATIONS.get(name, (source, "?", 0, ""))
            mb = memory.get(function, 512)
            billed_wcu = billed_write_units(row)
            in_stream = function == "StreamFunction"
            cost = cost_per_million(row, mb, api=not in_stream)
            ms, storage = row.get("ms"), row.get("storage_ms")
            ratio = f"{ms / storage:.2f}" if ms and storage else "n/a"
            lines.append(
                f"| {name} | {function} ({mb}) | {row['calls']:g} | {row['rcu']:g} | {billed_wcu:g} "
                f"| {_num(ms)} | {_num(storage)} | {ratio} | {cost['total']:.2f} "
                f"({cost['api']:.2f} + {cost['lambda']:.2f} + {cost['dynamodb']:.2f}) |"
            )
            if billed_wcu > essential and why:
                notes.append(f"* **{name}**: {billed_wcu:g} write units for {essential:g} of items: {why}.")
    return [*lines, "", *notes] if notes else lines


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def leaderboard_section(result: dict[str, Any], memory: dict[str, int]) -> list[str]:
    rank_key = "a user's rank (with the top 1)"
    lines = [
        "| board size | top 100 RCU | a user's rank RCU (whole request) | rank alone RCU | around=5 RCU "
        "| Select=COUNT RCU (median user) | Select=COUNT RCU (bottom user) | $ per million rank requests |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    mb = memory.get("ClaimrCampaignsFunction", 512)
    for board in result["boards"]:
        reads = board["reads"]
        cost = cost_per_million(reads[rank_key], mb)
        lines.append(
            f"| {board['total']:,} | {reads['top 100']['rcu']:g} | {reads[rank_key]['rcu']:g} "
            f"| {board['rank_only']['rcu']:g} | {reads['around=5']['rcu']:g} "
            f"| {board['select_count']['median user']['rcu']:g} "
            f"| {board['select_count']['bottom user']['rcu']:g} "
            f"| {cost['total']:.2f} |"
        )
    largest = max(result["boards"], key=lambda b: b["total"])
    if largest["total"] < 1_000_000:
        scale = 1_000_000 / largest["total"]
        items = 1_000_000 * (1 + largest["load"]["nodes_per_entry"])
        lines += [
            "",
            f"Not loaded: a board of 1,000,000 users ({items / 1e6:.1f} M items with its tree nodes, about "
            f"{items / largest['load']['items_per_second'] / 60:.0f} minutes of loading at this run's "
            f"{largest['load']['items_per_second']:,} items/s, beyond `make bench`'s budget; "
            "`make bench-1m` measures it). A rank reads the same 16 node items at "
            "any size (a key has 11 levels, the upper five in two shards), so it stays at the figures "
            "above; `Select=COUNT` grows with the "
            f"users above: about {largest['select_count']['median user']['rcu'] * scale:,.0f} RCU for the "
            "median user by linear extrapolation.",
        ]
    batched = [b for b in result["boards"] if "batched" in b]
    if batched:
        lines += [
            "",
            "A score change as the stream counts it, a batch at a time (decision 8: the changes of one "
            "transaction write each tree node and statistic they share once, the score levels' nodes in one "
            "of two shards); users already on the loaded board earn 10 to 500 points now, in batches of 100:",
            "",
            "| board size | changes | changes/s (one shard, DynamoDB Local) | items written per change "
            "| WCU billed per change | $ per million changes (DynamoDB) "
            "| hottest item's writes per 1,000 changes |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for board in batched:
            b = board["batched"]
            lines.append(
                f"| {board['total']:,} | {b['changes']:,} | {b['per_second']:,} | {b['items_per_change']:g} "
                f"| {b['wcu_per_change']:g} "
                f"| {b['wcu_per_change'] * PRICE['dynamodb_per_million_write_units']:.2f} "
                f"| {b['hottest_writes_per_1000']:g} |"
            )
        lines += [
            "",
            "No item is written by every change any more (the hottest, the statistics' total, takes one"
            " write per transaction), but a change still bills about as much as one by one: almost all "
            "of its items are its own projection and the tree nodes below where its old and new keys "
            "part, which users whose scores were reached days apart share with nobody in their batch. "
            "The goal of 6 WCU per change is not reached by this design (see decision 8).",
        ]
    stream = result.get("stream", {})
    one = stream.get("1 shard")
    if one:
        items = one["items_per_transaction"]
        lines += [
            "",
            "A score change counted record by record (the stream's fallback when a batch's transaction "
            f"fails a condition): {one['per_second']} changes/s on one shard against DynamoDB "
            f"Local ({one['ms_per_change']} ms each, of which most is DynamoDB Local's {items:g}-item "
            f"transaction), {one['capacity_per_change']['rcu']:g} RCU and {items:g} items in one transaction "
            f"= {TRANSACTION_FACTOR * items:g} WCU billed, "
            f"${TRANSACTION_FACTOR * items * PRICE['dynamodb_per_million_write_units']:.2f} per million "
            "changes in DynamoDB. It writes more than the one projection item it must: the count tree's "
            "nodes along the old and the new key's paths (about 6 levels each below the levels they "
            "share) are what makes every rank a fixed cost instead of a count that grows with the board.",
        ]
    return lines


def plot(result: dict[str, Any], path: Path) -> bool:
    """Rank cost against board size, log-log: the count tree against Select=COUNT."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    boards = sorted(result["boards"], key=lambda b: b["total"])
    sizes = [b["total"] for b in boards]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    axes.plot(sizes, [b["rank_only"]["rcu"] for b in boards], "o-", label="count tree: the rank alone")
    axes.plot(
        sizes,
        [b["reads"]["a user's rank (with the top 1)"]["rcu"] for b in boards],
        "s-",
        label="GET /leaderboard with the user's rank (whole request)",
    )
    axes.plot(
        sizes,
        [b["select_count"]["median user"]["rcu"] for b in boards],
        "^--",
        label="Select=COUNT, median user",
    )
    axes.plot(
        sizes,
        [b["select_count"]["bottom user"]["rcu"] for b in boards],
        "v--",
        label="Select=COUNT, last user",
    )
    axes.axhline(10, color="grey", linewidth=0.8, linestyle=":", label="target: 10 RCU")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("users on the board")
    axes.set_ylabel("read capacity units per rank")
    axes.set_title("Leaderboard rank cost on DynamoDB Local")
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True


def coldstart_section(result: dict[str, Any]) -> list[str]:
    lines = [
        f"Bare `import boto3`: {result.get('boto3_million_instructions', 'n/a')} M instructions, "
        f"{result['boto3_import_ms']} ms (Python {result['python']}); target ≤ {result['target_ratio']} "
        f"in {result.get('ratio_measure', 'instructions')} (instructions are deterministic under load; "
        "without valgrind the ratio is of wall-clock time).",
        "",
        "| function | M instructions | ratio | ms (median) | ms ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in result["functions"].items():
        lines.append(
            f"| {name} | {row.get('million_instructions', 'n/a')} | {row['ratio_to_boto3']} "
            f"| {row['import_init_ms']} "
            f"| {row['ms_ratio_to_boto3']} |"
        )
    return lines


INTRODUCTION = """\
Generated by `make bench` (`python -m bench.report`) from `bench/results/*.json`. Every number was measured
on DynamoDB Local through the local stack, unless a section says otherwise. Capacity units are DynamoDB
Local's, except that a transaction is billed at 2 write units per item, as DynamoDB does (DynamoDB Local
reports less). "ms in process" is the whole invocation on this machine (x86-64, not arm64 Lambda), "ms in
storage calls" the part of it spent inside the raw DynamoDB calls, measured in the same request; their
ratio is what the engine adds on top of the storage it needs.

Prices (AWS list prices, us-east-1, as of {as_of}): HTTP API ${http_api_per_million_requests:.2f} per
million requests; Lambda ${lambda_per_million_requests:.2f} per million requests plus
${lambda_arm64_per_gb_second:.10f} per GB-second (arm64, each function's memory from template.yaml, billed per
ms at the measured duration); DynamoDB on demand ${dynamodb_per_million_write_units} per million write units
and ${dynamodb_per_million_read_units} per million read units. Work done in the stream function is priced
without an API request."""


def report() -> str:
    memory = _memory()
    out = [
        "# Questline benchmark report",
        "",
        INTRODUCTION.format(as_of=PRICES_AS_OF, **PRICE),
        "",
        "## Per operation",
        "",
        *operations_table(memory),
    ]
    leaderboard = _load("leaderboard")
    if leaderboard:
        image = RESULTS / "leaderboard_rank_cost.png"
        drawn = plot(leaderboard, image)
        out += ["", "## Leaderboard cost by board size", "", *leaderboard_section(leaderboard, memory)]
        if drawn:
            out += ["", f"![rank cost against board size](results/{image.name})"]
    webhooks = _load("webhooks")
    if webhooks:
        out += [
            "",
            "## Webhook delivery latency",
            "",
            "From an answered `POST /user/reward` to the signed request at a receiver on loopback:",
            "",
            "| backend | deliveries | p50 ms | p95 ms |",
            "|---|---:|---:|---:|",
            *(
                f"| {name} | {row['deliveries']} | {row['p50_ms']} | {row['p95_ms']} |"
                for name, row in webhooks["backends"].items()
            ),
        ]
    ingest = _load("ingest")
    if ingest and "throughput" in ingest:
        out += [
            "",
            "## Ingestion throughput",
            "",
            (RESULTS / "ingest.md").read_text().split("\n\n")[-1].strip(),
        ]
    identity = _load("identity")
    if identity:
        out += ["", "## Merges and erasure", "", (RESULTS / "identity.md").read_text().strip()]
    progress = RESULTS / "progress.md"  # measured by the unit tests' capacity tally (its text says how)
    if progress.exists():
        out += ["", "## Streaks, achievements and levels", "", progress.read_text().strip()]
    ratelimits = _load("ratelimits")
    if ratelimits:
        out += [
            "",
            "## Rate limits under a flood",
            "",
            "Tenant A floods the stack beyond its plan's writes per second while tenant B writes at a",
            "fifth of its own limit (`python -m bench.ratelimits`; limits in docs/operate/operations.md).",
            "A refused request is answered from the container's memory after its second's first refusal;",
            "B's time inside DynamoDB is what tenants share on AWS (the local stack's workers also share",
            "this machine's cores with the flood, which is what B's end-to-end latency shows).",
            "",
            (RESULTS / "ratelimits.md").read_text().strip(),
        ]
    coldstart = _load("coldstart")
    if coldstart:
        out += ["", "## Cold start (import + init)", "", *coldstart_section(coldstart)]
    return "\n".join(out) + "\n"


def main() -> int:
    text = report()
    (ROOT / "bench" / "REPORT.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
