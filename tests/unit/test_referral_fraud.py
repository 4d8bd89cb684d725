"""Referral fraud signals: every recorded referral has a status (pending, valid, rejected) and a rejected one
says why (velocity, same fingerprint, same device), is shown in /user/referrals, sent as a `referral`
webhook, and never pays."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import load_event
from questline.identity import identifiers
from questline.identity.authority import Authority
from questline.identity.devices import upsert_device
from questline.identity.graph import resolve
from questline.storage import get_table, keys
from tests.unit.conftest import Aws
from tests.unit.test_claimr import ADMIN, P, balance, call, design
from tests.unit.test_webhooks import queued, register_hook


@pytest.fixture
def limited_campaign(aws: Aws, entity: dict[str, str]) -> dict[str, Any]:
    campaign = design()
    campaign["referral"] = {**campaign.get("referral", {}), "max_per_referrer_per_day": 2}
    event = load_event("campaign_admin_put", aws.values)
    event["body"] = json.dumps(campaign)
    assert aws.call(ADMIN, event)[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200
    return campaign


def refer(aws: Aws, referee: str, referrer: str = "user123") -> tuple[int, Any]:
    return call(
        aws,
        "POST",
        "/user/referrer",
        body={
            "account": referee,
            "platform": "discord",
            "pid": P,
            "ref_account": referrer,
            "ref_platform": "discord",
        },
    )


def login(aws: Aws, account: str) -> None:
    body = {"account": account, "platform": "discord", "pid": P, "cid": P, "aid": "daily_login", "value": 1}
    assert call(aws, "POST", "/action/value", body=body)[0] == 200


def referrals(aws: Aws) -> dict[str, tuple[str, str | None, bool, int]]:
    status, answer = call(aws, "GET", "/user/referrals", query=f"account=user123&platform=discord&pid={P}")
    assert status == 200, answer
    return {
        r["account"]: (r["status"], r["reason"], r["valid"], r["ref_xp"]) for r in answer["data"]["referrals"]
    }


def identity_of(aws: Aws, account: str) -> str:
    found = resolve(aws.values["ENTITY_ID"], [identifiers.account("discord", account)], create=False)
    return found.identity_id


def test_a_referrer_over_the_daily_limit_has_the_next_referrals_rejected_and_unpaid(
    aws: Aws, limited_campaign: dict[str, Any]
) -> None:
    login(aws, "user123")
    register_hook(aws.values["ENTITY_ID"], "https://93.184.216.34/hook", scope="referral")
    for referee in ("r1", "r2", "r3"):
        assert refer(aws, referee) == (200, {"success": True})
    for referee in ("r1", "r2", "r3"):
        login(aws, referee)
    aws.pump_stream()

    shown = referrals(aws)
    assert shown == {
        "r1": ("valid", None, True, 10),
        "r2": ("valid", None, True, 10),
        "r3": ("rejected", "velocity", False, 0),
    }
    assert balance(aws, "user123")["ref_xp"] == 20  # the rejected one never pays
    sent = sorted((m["payload"]["data"]["status"], m["payload"]["data"].get("reason")) for m in queued(aws))
    assert sent == [("rejected", "velocity"), ("valid", None), ("valid", None)]
    referrer = get_table().get(keys.participant(aws.values["ENTITY_ID"], P, identity_of(aws, "user123")))
    assert referrer is not None and referrer["ref_day_count"] == 2


def test_people_sharing_a_device_or_a_refused_fingerprint_are_rejected(
    aws: Aws, limited_campaign: dict[str, Any]
) -> None:
    entity_id = aws.values["ENTITY_ID"]
    login(aws, "user123")
    login(aws, "phone-friend")
    login(aws, "fp-twin")
    upsert_device(entity_id, identity_of(aws, "user123"), "device-1", None, {"os": "ios"})
    upsert_device(entity_id, identity_of(aws, "phone-friend"), "device-1", None, {"os": "ios"})
    resolve(entity_id, [identifiers.fingerprint("fp-A")], identity_id=identity_of(aws, "user123"))
    # with a publishable key, fp-twin's client sends user123's fingerprint: the merge is refused and kept
    resolve(
        entity_id,
        [identifiers.account("discord", "fp-twin"), identifiers.fingerprint("fp-A")],
        authority=Authority.PUBLIC,
    )
    assert identity_of(aws, "fp-twin") != identity_of(aws, "user123")

    assert refer(aws, "phone-friend")[0] == 200
    assert refer(aws, "fp-twin")[0] == 200
    aws.pump_stream()
    shown = referrals(aws)
    assert shown["phone-friend"] == ("rejected", "same_device", False, 0)
    assert shown["fp-twin"] == ("rejected", "same_fingerprint", False, 0)
    login(aws, "phone-friend")  # a reward later changes nothing for the referrer
    aws.pump_stream()
    assert referrals(aws)["phone-friend"][2:] == (False, 0)
    # rejected referrals do not use up the referrer's day
    assert refer(aws, "honest")[0] == 200
    assert referrals(aws)["honest"][:2] == ("pending", None)


def test_self_referrals_and_cycles_are_still_refused(aws: Aws, limited_campaign: dict[str, Any]) -> None:
    login(aws, "user123")
    assert refer(aws, "user123", "user123")[1]["code"] == "self_referral"
    assert refer(aws, "user456")[0] == 200
    status, body = refer(aws, "user123", "user456")
    assert (status, body["code"]) == (422, "referral_cycle")


def test_the_daily_limit_is_validated(aws: Aws, entity: dict[str, str]) -> None:
    campaign = design()
    campaign["referral"] = {"max_per_referrer_per_day": 0}
    event = load_event("campaign_admin_put", aws.values)
    event["body"] = json.dumps(campaign)
    status, body = aws.call(ADMIN, event)
    assert status == 400 and "max_per_referrer_per_day" in json.dumps(body)


def test_referrals_are_answered_a_page_at_a_time_with_a_cursor(
    aws: Aws, entity: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert aws.call(ADMIN, "campaign_admin_put")[0] == 200
    assert aws.call(ADMIN, "campaign_admin_publish")[0] == 200
    login(aws, "user123")
    for n in range(5):
        assert refer(aws, f"friend{n}")[0] == 200
    queries: list[int | None] = []
    real_query = type(get_table()).query

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        queries.append(kwargs.get("limit"))
        return real_query(self, *args, **kwargs)

    monkeypatch.setattr(type(get_table()), "query", counted)
    seen, after, pages = [], None, 0
    while True:
        extra = f"&after={after}" if after else ""
        status, answer = call(
            aws, "GET", "/user/referrals", query=f"account=user123&platform=discord&pid={P}&limit=2{extra}"
        )
        assert status == 200, answer
        assert len(answer["data"]["referrals"]) <= 2
        seen += [r["account"] for r in answer["data"]["referrals"]]
        pages += 1
        after = answer["data"]["next"]
        if after is None:
            break
    assert sorted(seen) == [f"friend{n}" for n in range(5)] and pages == 3
    assert queries and all(limit == 2 for limit in queries)  # one bounded Query per page, whatever the count

    forged = call(
        aws, "GET", "/user/referrals", query=f"account=user123&platform=discord&pid={P}&after=abc.def"
    )
    assert forged[0] == 400 and "after" in json.dumps(forged[1])
    assert (
        call(aws, "GET", "/user/referrals", query=f"account=user123&platform=discord&pid={P}&limit=101")[0]
        == 400
    )
