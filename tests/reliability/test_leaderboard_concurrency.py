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
        assert rank.rank == 1 + sum(order(other) < order(identity) for other in final)
        assert rank.size == len(final)
    listed = leaderboard.page(E, P, 1000, None).entries
    expected = sorted(final, key=lambda i: (order(i), i))
    assert [entry["user"]["id"] for entry in listed] == [public_user_id(E, P, i) for i in expected]
