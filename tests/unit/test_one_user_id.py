"""The integrator's own user id is one identifier on every surface: Parcelvoy `external_id` = HeyMint
`uniqueIdentifier` = claimr `platform=internal` + `account`. People stored under the older kinds are still
found."""

from __future__ import annotations

from questline.identity import identifiers as ids
from questline.identity.graph import identifier_item, new_identity_item, resolve
from questline.storage import get_table, keys
from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.test_claimr import call

E = "e-" + "1" * 32


def test_the_same_user_id_through_heymint_parcelvoy_and_claimr_is_one_person(
    aws: Aws, entity: dict[str, str]
) -> None:
    status, created = aws.call(
        "HeyMintFunction",
        api_event(
            "POST",
            "/v1/identities",
            body={"uniqueIdentifier": "E-42"},
            headers={"x-api-key": entity["SECRET_KEY"]},
        ),
    )
    assert status == 200
    identify = api_event(
        "POST",
        "/api/client/identify",
        body={"external_id": "E-42", "email": "e42@example.com"},
        headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}"},
    )
    assert aws.call("ClientFunction", identify)[0] == 204
    token = call(aws, "GET", "/token", query="account=E-42&platform=internal")

    assert token[0] == 200
    identities = [i for i in aws.table_items() if i["type"] == "identity"]
    assert [i["identity_id"] for i in identities] == [created["id"]]
    assert identities[0]["email"] == "e42@example.com"
    assert ids.external_id("E-42") == ids.unique_identifier("E-42") == ids.account("internal", "E-42")


def test_people_stored_under_the_older_kinds_are_still_found(aws: Aws) -> None:
    table = get_table()
    for old in (ids.Identifier("ext", "old-pv"), ids.Identifier("acct", "internal#old-claimr")):
        person = new_identity_item(E)
        table.put(person)
        table.put(identifier_item(E, str(person["identity_id"]), old))

        found = resolve(E, [ids.unique_identifier(old.value.removeprefix("internal#"))], create=False)

        assert found.identity_id == person["identity_id"]
        again = table.get({"PK": f"ENT#{E}#IDF#uid#{old.value.removeprefix('internal#')}", "SK": "#IDF"})
        assert again is not None and again["identity_id"] == person["identity_id"]  # moved to the uid key
        named = table.get(keys.identity(E, str(person["identity_id"])))
        assert named is not None and named["known_user_id"] == old.value.removeprefix("internal#")
