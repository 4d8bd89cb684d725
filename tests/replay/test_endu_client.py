"""An existing Endu client after its migration: it keeps sending the seed's request with its Chatsight
`organization_id` (`848WN4oEUgisKrV9dY9Ni6`), which the entity registered as a custom id of platform ENDU."""

from __future__ import annotations

import json

from tests.replay.conftest import Replay

ORGANIZATION = "848WN4oEUgisKrV9dY9Ni6"
# The seed's platform variation, as its example writes it.
SEED_REQUEST = (
    b'{"property_id":"D#1007491775344160808","organization_id":"848WN4oEUgisKrV9dY9Ni6",'
    b'"timestamp":"1672536219","event_type":"ITEM_PURCHASED","p_user_id":"702877938567086080",'
    b'"platform_type":"Discord","event_data":{"item_id":"8258727671"}}'
)


def test_the_organization_id_is_accepted_once_registered(replay: Replay) -> None:
    headers = {"Authorization": f"Bearer {replay.tenant['public_key']}", "Content-Type": "application/json"}
    owner = {
        "userid": replay.tenant["user_id"],
        "token": replay.tenant["user_token"],
        "content-type": "application/json",
    }

    refused = replay.send("POST", "/api/events/record", headers, SEED_REQUEST)
    registered = replay.send(
        "POST",
        f"/api/entities/{replay.entity_id}/custom-ids",
        owner,
        json.dumps({"platform": "ENDU", "platformId": ORGANIZATION, "name": "Chatsight"}).encode(),
    )
    accepted = replay.send("POST", "/api/events/record", headers, SEED_REQUEST)

    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert registered.status_code == 201, registered.text
    assert (accepted.status_code, accepted.content) == (200, b"")
    person = replay.owner_of("acct", "discord#702877938567086080")
    assert person is not None
    (log,) = replay.logs_of(person)
    assert (log["name"], log["source"], log["data"], log["client_ts"]) == (
        "ITEM_PURCHASED",
        "endu",
        {"item_id": "8258727671"},
        1672536219,
    )
