"""People are counted once: a merge corrects the month's active users and a campaign's statistics, and a
replayed stream changes nothing."""

from __future__ import annotations

from questline import clock
from questline.identity import identifiers as ids
from questline.identity.graph import resolve
from questline.tenancy.mau import monthly_active, record_monthly_activity
from tests.unit.conftest import Aws
from tests.unit.test_claimr import CAMPAIGNS, call, link_wallet, live_campaign

__all__ = ["live_campaign"]  # the fixture, shared with the claimr tests

P = "campaign_abc123"


def test_one_person_seen_through_three_surfaces_and_merged_counts_once(
    aws: Aws, entity: dict[str, str]
) -> None:
    entity_id = entity["ENTITY_ID"]
    seen = [
        resolve(entity_id, [ids.fingerprint("fp-1")]).identity_id,  # Endu
        resolve(entity_id, [ids.anonymous_id("anon-1")]).identity_id,  # Parcelvoy
        resolve(entity_id, [ids.unique_identifier("user-1")]).identity_id,  # HeyMint
    ]
    for identity_id in seen:
        record_monthly_activity(entity_id, identity_id)
    month = clock.month_of(None)
    assert monthly_active(entity_id, month) == 3

    resolve(entity_id, [ids.unique_identifier("user-1"), ids.fingerprint("fp-1"), ids.anonymous_id("anon-1")])
    aws.pump_stream()
    assert monthly_active(entity_id, month) == 1

    for batch in list(aws.stream_batches):  # the stream delivers again
        aws.invoke("StreamFunction", {"Records": batch})
    assert monthly_active(entity_id, month) == 1


def test_campaign_statistics_and_the_leaderboard_count_a_merged_person_once(
    aws: Aws, live_campaign: dict[str, object]
) -> None:
    wallet = "0x00000000000000000000000000000000000000bb"
    for account, platform, xp in (("gamer", "discord", 30), (wallet, "web3", 12), ("other", "discord", 5)):
        body = {"account": account, "platform": platform, "pid": P, "id": f"r-{account}", "xp": xp}
        assert call(aws, "POST", "/user/reward", body=body)[0] == 200
    aws.pump_stream()
    before = aws.call(CAMPAIGNS, "claimr_campaigns_stats")[1]["data"]
    assert (before["total_users"], before["total_points"]) == (3, 47)

    link_wallet(aws, "gamer", wallet)  # the secret key merges the two
    aws.pump_stream()
    aws.pump_stream()

    after = aws.call(CAMPAIGNS, "claimr_campaigns_stats")[1]["data"]
    board = call(aws, "GET", "/leaderboard", query=f"pid={P}")[1]["data"]
    assert (after["total_users"], after["total_points"], after["active_users"]) == (2, 47, 2)
    entries = board if isinstance(board, list) else board.get("entries") or board.get("leaderboard")
    assert len(entries) == 2
    for batch in list(aws.stream_batches):
        aws.invoke("StreamFunction", {"Records": batch})
    again = aws.call(CAMPAIGNS, "claimr_campaigns_stats")[1]["data"]
    assert (again["total_users"], again["total_points"]) == (2, 47)
