"""Merge authority (DESIGN.md §4): a publishable key links only what is new or anonymous; refused links
are conflicts on both identities, never silent merges; no person grows without bound."""

from __future__ import annotations

import json
from typing import Any

import pytest

from questline.identity import identifiers as ids
from questline.identity.authority import MAX_IDENTIFIERS, MAX_MERGED, Authority
from questline.identity.graph import read_identity, resolve
from questline.storage import get_table, keys
from tests.support import api_event, endu_link
from tests.unit.conftest import Aws
from tests.unit.test_claimr import USERS, call, q

P = "campaign_abc123"
E = "e-" + "1" * 32


def record(aws: Aws, key: str | None = None, **identity: Any) -> int:
    body = endu_link(aws.values["ENTITY_ID"], **identity)
    headers = {"authorization": f"Bearer {key or aws.values['PUBLIC_KEY']}"}
    return int(
        aws.call("IngestFunction", api_event("POST", "/api/events/record", body=body, headers=headers))[0]
    )


def owner(aws: Aws, identifier: ids.Identifier) -> str | None:
    item = get_table().get(keys.identifier(aws.values["ENTITY_ID"], identifier.key))
    return None if item is None else str(item["identity_id"])


def conflicts(entity_id: str, identity_id: str) -> list[dict[str, Any]]:
    page = get_table().query(
        keys.identity_partition(entity_id, identity_id), begins_with=keys.CONFLICT_PREFIX
    )
    return page.items


def reward(aws: Aws, account: str, xp: int, platform: str = "discord") -> None:
    body = {"account": account, "platform": platform, "pid": P, "id": f"r-{account}-{xp}", "xp": xp}
    assert call(aws, "POST", "/user/reward", body=body)[0] == 200


@pytest.fixture
def live(aws: Aws, entity: dict[str, str]) -> None:
    assert aws.call("CampaignAdminFunction", "campaign_admin_put")[0] == 200
    assert aws.call("CampaignAdminFunction", "campaign_admin_publish")[0] == 200


def test_the_issues_takeover_with_a_publishable_key_fails(aws: Aws, live: None) -> None:
    reward(aws, "victim", 6451)
    victim = owner(aws, ids.account("discord", "victim"))
    assert victim is not None

    # pk_ + the victim's identity id + the attacker's Discord account: the event is recorded, nothing linked
    assert record(aws, c_user_id=victim, p_user_id="attacker", platform_type="Discord") == 200
    status, token = call(aws, "GET", "/token", query="account=attacker&platform=discord")
    seen = call(aws, "GET", "/user/balance", key=token["data"]["token"], query=f"pid={P}")
    spent = call(
        aws,
        "POST",
        "/user/withdraw",
        body={
            "account": "attacker",
            "platform": "discord",
            "pid": P,
            "id": "w-1",
            "xp": 4000,
            "strict": True,
        },
    )

    assert status == 200 and seen[1]["data"]["xp"] == 0  # the attacker's own (empty) balance
    assert spent[0] != 200
    assert call(aws, "GET", "/user/balance", query=q("victim"))[1]["data"]["xp"] == 6451
    assert owner(aws, ids.account("discord", "attacker")) != victim
    assert [c["reason"] for c in conflicts(aws.values["ENTITY_ID"], victim)] == ["named_by_id"]


def test_a_publishable_key_never_adds_an_account_or_wallet_beside_one_with_points(
    aws: Aws, live: None
) -> None:
    wallet = {"chain_type": "evm", "chain_account": "0x" + "a" * 40}
    reward(aws, "0x" + "a" * 40, 10, platform="web3")
    victim = owner(aws, ids.wallet("0x" + "a" * 40))
    reward(aws, "gamer", 20)
    gamer = owner(aws, ids.account("discord", "gamer"))
    assert victim is not None and gamer is not None

    # a wallet address is public: "my new Discord account + your wallet" makes the account a person of its
    # own while the wallet's person has points
    record(aws, p_user_id="1", platform_type="Discord", blockchain=wallet)
    # a Discord id is easy to find: "your account + my new wallet" links nothing
    record(
        aws,
        p_user_id="gamer",
        platform_type="Discord",
        blockchain={"chain_type": "evm", "chain_account": "0x" + "b" * 40},
    )
    # nor a second one of a kind
    record(aws, p_user_id="2", platform_type="Telegram", blockchain=wallet)
    record(aws, fingerprint="fp-v", blockchain=wallet)

    assert owner(aws, ids.account("discord", "1")) not in (None, victim)
    assert owner(aws, ids.account("telegram", "2")) not in (None, victim)
    assert owner(aws, ids.wallet("0x" + "b" * 40)) is None
    assert owner(aws, ids.fingerprint("fp-v")) == victim  # anonymous identifiers join
    reasons = sorted(c["reason"] for c in conflicts(aws.values["ENTITY_ID"], victim))
    assert reasons == ["both_known", "both_known"]
    assert [c["reason"] for c in conflicts(aws.values["ENTITY_ID"], gamer)] == ["balance_held"]
    # without points to lose, a Discord user may gain a wallet (Endu's "mutation", test_ingest_function)


def test_an_account_and_a_wallet_new_together_join_an_anonymous_person(aws: Aws, live: None) -> None:
    record(aws, fingerprint="fp-new")
    visitor = owner(aws, ids.fingerprint("fp-new"))

    wallet = {"chain_type": "evm", "chain_account": "0x" + "d" * 40}
    record(aws, fingerprint="fp-new", p_user_id="9", platform_type="Discord", blockchain=wallet)

    assert owner(aws, ids.account("discord", "9")) == owner(aws, ids.wallet("0x" + "d" * 40)) == visitor


def test_a_publishable_key_never_merges_two_known_people(aws: Aws, live: None) -> None:
    reward(aws, "alice", 50)
    record(aws, fingerprint="fp-bob")  # an anonymous person
    record(aws, blockchain={"chain_type": "evm", "chain_account": "0x" + "c" * 40})  # a wallet, no balance
    alice = owner(aws, ids.account("discord", "alice"))
    wallet = owner(aws, ids.wallet("0x" + "c" * 40))

    record(aws, p_user_id="alice", platform_type="Discord", fingerprint="fp-bob")  # anonymous joins: merge
    record(
        aws,
        p_user_id="alice",
        platform_type="Discord",
        blockchain={"chain_type": "evm", "chain_account": "0x" + "c" * 40},
    )

    assert owner(aws, ids.fingerprint("fp-bob")) == alice
    assert owner(aws, ids.wallet("0x" + "c" * 40)) == wallet != alice
    entity_id = aws.values["ENTITY_ID"]
    (on_alice,) = [c for c in conflicts(entity_id, str(alice)) if c["other_identity_id"]]
    (on_wallet,) = conflicts(entity_id, str(wallet))
    assert (on_alice["other_identity_id"], on_wallet["other_identity_id"]) == (wallet, alice)
    assert on_alice["reason"] == "both_known" and on_alice["identifier"]["kind"] == "wallet"
    record(
        aws,
        p_user_id="alice",
        platform_type="Discord",
        blockchain={"chain_type": "evm", "chain_account": "0x" + "c" * 40},
    )
    assert [c["count"] for c in conflicts(entity_id, str(wallet))] == [2]  # counted, not repeated


def test_a_secret_key_links_more(aws: Aws, live: None) -> None:
    reward(aws, "carol", 5)
    carol = owner(aws, ids.account("discord", "carol"))
    assert (
        record(
            aws, key=aws.values["SECRET_KEY"], c_user_id=carol, p_user_id="carol-tg", platform_type="Telegram"
        )
        == 200
    )
    assert owner(aws, ids.account("telegram", "carol-tg")) == carol


def test_no_person_grows_without_bound(aws: Aws) -> None:
    people = [resolve(E, [ids.fingerprint(f"fp-{n}")]).identity_id for n in range(MAX_MERGED + 4)]
    joined = resolve(E, [ids.fingerprint(f"fp-{n}") for n in range(MAX_MERGED + 4)])

    survivor = read_identity(E, people[0])
    assert joined.identity_id == people[0]
    assert len(survivor["merged_ids"]) == MAX_MERGED - 1
    assert {c.reason for c in joined.conflicts} == {"merge_limit"}

    many = resolve(E, [ids.fingerprint(f"many-{n}") for n in range(MAX_IDENTIFIERS)])
    more = resolve(E, [ids.fingerprint("many-0"), ids.fingerprint("one-too-many")])
    assert more.identity_id == many.identity_id and more.refused == {"fp#one-too-many"}
    assert get_table().get(keys.identifier(E, "fp#one-too-many")) is None


def test_an_authority_comes_from_the_credential() -> None:
    assert Authority.of("publishable_key") is Authority.PUBLIC
    assert Authority.of("secret_key") is Authority.SECRET


# --- public answers name nobody by an identity id ---------------------------------------------------------


def test_leaderboards_widget_reads_and_referral_lists_carry_no_identity_id(aws: Aws, live: None) -> None:
    ref = aws.call(USERS, "claimr_users_get_ref_id")[1]["data"]["ref_id"]
    assert aws.call(USERS, "claimr_users_set_ref_id", REF_ID=ref)[0] == 200
    assert aws.call(USERS, "claimr_users_referrer")[0] == 200
    for account, xp in (("user123", 30), ("user456", 20)):
        reward(aws, account, xp)
    aws.pump_stream()
    token = call(aws, "GET", "/token", query="account=user123&platform=discord")[1]["data"]["token"]

    answers = [
        call(aws, "GET", "/leaderboard", query=f"pid={P}"),
        call(aws, "GET", "/leaderboard", key=token, query=f"pid={P}"),
        call(aws, "GET", "/leaderboard", query=q("user123")),
        call(aws, "GET", "/user/referrals", query=q("user123")),
        call(aws, "GET", "/user/referrals", key=token, query=f"pid={P}"),
        call(aws, "GET", "/user/balance", key=token, query=f"pid={P}"),
    ]

    identity_ids = {str(i["identity_id"]) for i in aws.table_items() if i["type"] == "identity"}
    assert len(identity_ids) >= 2
    for status, body in answers:
        assert status == 200, body
        text = json.dumps(body)
        assert not [i for i in identity_ids if i in text], text
    board = answers[0][1]["data"]
    users = [
        e["user"]["id"]
        for e in (board if isinstance(board, list) else board.get("entries", board.get("leaderboard", [])))
    ]
    assert users and all(u.startswith("u_") for u in users)
