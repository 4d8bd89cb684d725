"""Every credential dies with its entity, and a principal a warm container cached never outlives its key's
own expiry (a rotated key's grace period), whichever function the container runs."""

from __future__ import annotations

import pytest

from questline import clock
from questline.auth import SECRET_KEY, authenticate, resolve
from questline.errors import UnknownCredential
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest
from tests.unit.test_claimr import P, call, live_campaign, q

__all__ = ["live_campaign"]  # a fixture these tests use


def _delete_entity(aws: Aws, entity_id: str) -> None:
    deleted = Quest(aws).call("DELETE", f"/api/entities/{entity_id}", Quest(aws).operator)
    assert deleted.status == 200, deleted.text


def test_widget_tokens_die_with_their_entity(aws: Aws, live_campaign: dict[str, object]) -> None:
    status, body = call(aws, "GET", "/token", query="account=u1&platform=discord")
    assert status == 200, body
    token = body["data"]["token"]
    assert call(aws, "GET", "/user/balance", key=token, query=f"pid={P}")[0] == 200
    _delete_entity(aws, aws.values["ENTITY_ID"])
    before = aws.table_items()

    reads = {
        route: call(aws, "GET", route, key=token, query=f"pid={P}")
        for route in ("/user/balance", "/user/progress", "/user/referrals", "/leaderboard", "/user/ref_id")
    }

    assert {route: status for route, (status, _) in reads.items()} == dict.fromkeys(reads, 401), reads
    assert all(body["code"] == "unknown_credential" for _, body in reads.values())
    assert aws.table_items() == before  # GET /user/ref_id wrote nothing into the deleted tenant


def test_keys_die_with_their_entity_even_when_a_revocation_was_missed(
    aws: Aws, live_campaign: dict[str, object]
) -> None:
    """Keys are revoked with the entity; should one be left active (a failed revocation chunk), the
    resolver still refuses it, because it checks the entity too."""
    from questline.ids import secret_hash
    from questline.storage import get_table, keys
    from questline.storage.table import Update

    secret = aws.values["SECRET_KEY"]
    _delete_entity(aws, aws.values["ENTITY_ID"])
    get_table().update(keys.api_key(secret_hash(secret)), Update(set={"status": "active"}))

    status, body = call(aws, "GET", "/user/balance", key=secret, query=q("u1"))

    assert status == 401 and body["code"] == "unknown_credential", body


@pytest.mark.parametrize("function", ["ClaimrUsersFunction", "HeyMintFunction", "ClaimrHooksFunction"])
def test_a_cached_key_never_outlives_its_rotation_grace(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    aws.template.set_parameters({"KeyRotationGraceSeconds": "3"})
    quest = Quest(aws)
    owner = quest.new_user("Owner")
    entity_id = quest.new_entity(owner)
    key_id, old = quest.new_key(owner, entity_id, "sk")
    headers = {"authorization": f"Bearer {old}"}

    # A warm container of `function` resolves the key and caches its principal...
    aws.use_function_env(function)
    assert authenticate(SECRET_KEY, headers).entity_id == entity_id
    warm = dict(resolve._cache)
    # ...then the key is rotated by the Entity API, in another container...
    rotated = quest.call("POST", f"/api/entities/{entity_id}/keys/{key_id}/rotate", owner.headers)
    assert rotated.status == 201, rotated.text
    # ...which this one never hears of.
    aws.use_function_env(function)
    resolve._cache.update(warm)
    started = clock.now()

    monkeypatch.setattr(clock, "now", lambda: started + 1)
    assert authenticate(SECRET_KEY, headers).entity_id == entity_id  # inside the grace period
    monkeypatch.setattr(clock, "now", lambda: started + 7.5)
    with pytest.raises(UnknownCredential):
        authenticate(SECRET_KEY, headers)
    assert authenticate(SECRET_KEY, {"authorization": f"Bearer {rotated.data['key']}"}).entity_id == entity_id
