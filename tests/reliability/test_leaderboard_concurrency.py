"""The leaderboard's count tree under concurrent stream shards on DynamoDB Local: every shard applies its
participants' balance changes (each record twice, as at-least-once delivery may), all shards at once,
contending for the same tree nodes; ranks must still equal a brute-force ranking."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from questline.campaigns import leaderboard, projection
from questline.errors import Retryable
from questline.identity.public_ids import public_user_id

E, P = "e-" + "6" * 32, "campaign_board"
SHARDS, PEOPLE_PER_SHARD, CHANGES = 8, 6, 10


def _apply(image: dict[str, object]) -> None:
    for _ in range(20):  # the event source mapping retries a record the stream function fails
        try:
            projection.apply_balance(image)
            return
        except Retryable:
            continue
    raise AssertionError("a record never applied")


def test_concurrent_shards_keep_exact_ranks(table_env: str) -> None:
    rng = random.Random(11)
    final: dict[str, tuple[int, int]] = {}
    plans: list[list[dict[str, object]]] = []
    for shard in range(SHARDS):
        plan = []
        for person in range(PEOPLE_PER_SHARD):
            identity = f"s{shard}p{person}"
            reached: tuple[int, int] | None = None
            for rev in range(1, CHANGES + 1):
                total = rng.choice([0, 10, 20, 30, 40, 50])
                at = 1_795_000_000_000 + rng.randrange(10**6)
                plan.append(
                    {"entity_id": E, "pid": P, "identity_id": identity, "rev": rev, "total": total, "at": at}
                )
                if total <= 0:
                    reached = None
                elif reached is None or reached[0] != total:
                    reached = (total, at)
            if reached is not None:
                final[identity] = reached
        plans.append(plan)

    def run(plan: list[dict[str, object]]) -> None:
        for image in plan:
            _apply(image)
            _apply(image)  # delivered again: changes nothing

    with ThreadPoolExecutor(max_workers=SHARDS) as pool:
        list(pool.map(run, plans))

    def order(identity: str) -> tuple[int, int]:
        return (-final[identity][0], final[identity][1])

    for identity in final:
        standing = leaderboard.standing_of(E, P, identity)
        assert standing is not None, identity
        rank = leaderboard.rank_of(E, P, str(standing["board_key"]))
        # ties share a rank: one plus the participants with a higher score
        assert rank.rank == 1 + sum(order(other)[0] < order(identity)[0] for other in final)
        assert rank.size == len(final)
    listed = leaderboard.page(E, P, 1000, None).entries
    expected = sorted(final, key=lambda i: (order(i), i))
    assert [entry["user"]["id"] for entry in listed] == [public_user_id(E, P, i) for i in expected]


def test_concurrent_batches_keep_exact_ranks(table_env: str) -> None:
    """The stream's batch path (`projection.apply_batch`, decision 8) under the same contention: every shard
    counts its records in batches, each batch twice, and also delivers another shard's batch again while
    that shard is counting (a race its transactions lose, then counted record by record)."""
    pid = "campaign_board_batched"
    rng = random.Random(12)
    final: dict[str, tuple[int, int]] = {}
    batches: list[list[list[dict[str, object]]]] = []
    for shard in range(SHARDS):
        plan: list[dict[str, object]] = []
        reached: dict[str, tuple[int, int] | None] = {}
        for rev in range(
            1, CHANGES + 1
        ):  # the shard's participants' records interleaved, as a stream has them
            for person in range(PEOPLE_PER_SHARD):
                identity = f"s{shard}p{person}"
                total = rng.choice([0, 10, 20, 30, 40, 50])
                at = 1_795_000_000_000 + rng.randrange(10**6)
                plan.append(
                    {
                        "entity_id": E,
                        "pid": pid,
                        "identity_id": identity,
                        "rev": rev,
                        "total": total,
                        "at": at,
                    }
                )
                held = reached.get(identity)
                if total <= 0:
                    reached[identity] = None
                elif held is None or held[0] != total:
                    reached[identity] = (total, at)
        final.update({i: r for i, r in reached.items() if r is not None})
        sizes = [rng.choice([3, 7, 12]) for _ in range(len(plan))]
        cut, at_ = [], 0
        for size in sizes:
            if at_ >= len(plan):
                break
            cut.append(plan[at_ : at_ + size])
            at_ += size
        batches.append(cut)

    def run(shard: int) -> None:
        other = batches[(shard + 1) % SHARDS]
        for n, batch in enumerate(batches[shard]):
            for _ in range(20):
                try:
                    projection.apply_batch(batch)
                    projection.apply_batch(batch)  # delivered again: changes nothing
                    if n < len(other):
                        projection.apply_batch(other[n])  # another shard's batch, racing it
                    break
                except Retryable:
                    continue
            else:
                raise AssertionError("a batch never applied")

    with ThreadPoolExecutor(max_workers=SHARDS) as pool:
        list(pool.map(run, range(SHARDS)))

    def order(identity: str) -> tuple[int, int]:
        return (-final[identity][0], final[identity][1])

    for identity in final:
        standing = leaderboard.standing_of(E, pid, identity)
        assert standing is not None, identity
        rank = leaderboard.rank_of(E, pid, str(standing["board_key"]))
        # ties share a rank: one plus the participants with a higher score
        assert rank.rank == 1 + sum(order(other)[0] < order(identity)[0] for other in final)
        assert rank.size == len(final)
    listed = leaderboard.page(E, pid, 1000, None).entries
    expected = sorted(final, key=lambda i: (order(i), i))
    assert [entry["user"]["id"] for entry in listed] == [public_user_id(E, pid, i) for i in expected]
