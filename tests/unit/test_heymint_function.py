"""HeyMint Quest API through its sample events: identities, claims, event definitions and logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from questline.tenancy.entities import create_enabled_entity
from tests.support import api_event
from tests.unit.conftest import Aws

F = "HeyMintFunction"


def hm(aws: Aws, method: str, route: str, *, key: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    headers = {"x-api-key": key or aws.values["SECRET_KEY"]}
    return aws.call(F, api_event(method, route, headers=headers, **kwargs))


def new_identity(aws: Aws, unique: str | None = None) -> str:
    status, body = hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": unique} if unique else {})
    assert status == 200
    return str(body["id"])


def new_event(aws: Aws, slug: str = "level_up") -> str:
    status, body = hm(aws, "POST", "/v1/events", body={"name": "Level Up", "slug": slug})
    assert status == 200
    return str(body["id"])


def test_create_identity_is_create_or_get(aws: Aws, entity: dict[str, str]) -> None:
    status, first = aws.call(F, "heymint_create_identity")
    _, again = aws.call(F, "heymint_create_identity")
    fresh_a, fresh_b = new_identity(aws), new_identity(aws)

    assert status == 200 and first == again and set(first) == {"id"}
    assert len({first["id"], fresh_a, fresh_b}) == 3


def test_create_event_answers_id_and_slug(aws: Aws, entity: dict[str, str]) -> None:
    status, body = aws.call(F, "heymint_create_event")

    assert status == 200
    assert body["slug"] == "level_up" and body["name"] == "Level Up" and len(body["id"]) == 36


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"name": "X", "slug": "s" * 61}, 400, "slug:"),
        ({"name": "", "slug": "ok"}, 400, "name:"),
        ({"slug": "ok"}, 400, "name: is required"),
        ({"name": "X", "slug": "has space"}, 400, "slug:"),
        ({"name": "X", "slug": "level_up"}, 409, "already exists"),
    ],
)
def test_bad_event_definitions_are_refused_and_write_nothing(
    aws: Aws, entity: dict[str, str], body: dict[str, Any], status: int, words: str
) -> None:
    new_event(aws)
    before = aws.table_items()

    got, answer = hm(aws, "POST", "/v1/events", body=body)

    assert got == status and words in answer["message"] and set(answer) == {"message", "code"}
    assert aws.table_items() == before


def test_log_by_slug_answers_log_id_created_at_and_claim_state(aws: Aws, entity: dict[str, str]) -> None:
    identity = new_identity(aws, "player-1")
    new_event(aws)

    status, body = aws.call(F, "heymint_log_by_slug", IDENTITY_ID=identity)

    assert status == 200
    assert set(body) == {"logId", "createdAt", "identityClaimed"} and body["identityClaimed"] is False


def test_log_by_event_id_answers_the_documented_fields(aws: Aws, entity: dict[str, str]) -> None:
    identity, event = new_identity(aws), new_event(aws)

    status, body = aws.call(F, "heymint_log_by_id", IDENTITY_ID=identity, EVENT_ID=event)

    assert status == 200 and set(body) == {"logId", "identityClaimed"}


def test_a_repeated_unique_identifier_returns_the_first_log(aws: Aws, entity: dict[str, str]) -> None:
    identity, event = new_identity(aws), new_event(aws)

    answers = [aws.call(F, "heymint_log_by_id", IDENTITY_ID=identity, EVENT_ID=event)[1] for _ in range(3)]
    by_slug = aws.call(F, "heymint_log_by_slug", IDENTITY_ID=identity)[1]

    assert answers[0] == answers[1] == answers[2]
    assert by_slug["logId"] == answers[0]["logId"]  # the same event, the same uniqueIdentifier
    logs = [i for i in aws.table_items() if i["type"] == "event_log"]
    assert len(logs) == 1 and logs[0]["unique_identifier"] == "abcd1234"


def test_log_with_an_identity_unique_identifier_creates_the_identity(
    aws: Aws, entity: dict[str, str]
) -> None:
    new_event(aws)

    status, body = hm(
        aws, "POST", "/v1/events/logs", body={"slug": "level_up", "identityUniqueIdentifier": "u-9"}
    )

    assert status == 200
    assert hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": "u-9"})[1]["id"] == next(
        i["identity_id"] for i in aws.table_items() if i["type"] == "event_log"
    )
    assert body["identityClaimed"] is False


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"identityId": "IDENTITY"}, 400, "eventId or eventSlug is required"),
        ({"eventSlug": "level_up"}, 400, "identityId is required"),
        ({"eventSlug": "nope", "identityId": "IDENTITY"}, 404, "no event has slug"),
        (
            {"eventId": "01a00000-0000-7000-8000-000000000000", "identityId": "IDENTITY"},
            404,
            "does not exist",
        ),
        (
            {"eventSlug": "level_up", "identityId": "01a00000-0000-7000-8000-000000000000"},
            404,
            "does not exist",
        ),
        # a number DynamoDB cannot store is kept as sent (tests/unit/test_lossless_numbers.py); a map key
        # DynamoDB cannot store is refused
        ({"eventSlug": "level_up", "identityId": "IDENTITY", "data": {"x": {"": 1}}}, 400, "data"),
        ({"eventSlug": "level_up", "identityId": "IDENTITY", "uniqueIdentifier": 7}, 400, "uniqueIdentifier"),
    ],
)
def test_bad_logs_are_refused_and_write_nothing(
    aws: Aws, entity: dict[str, str], body: dict[str, Any], status: int, words: str
) -> None:
    identity = new_identity(aws)
    new_event(aws)
    before = aws.table_items()
    body = {k: identity if v == "IDENTITY" else v for k, v in body.items()}

    got, answer = hm(aws, "POST", "/v1/events/logs", body=body)

    assert (got, words in answer["message"]) == (status, True), answer
    assert aws.table_items() == before


def test_list_logs_by_event_identity_and_cursor(aws: Aws, entity: dict[str, str]) -> None:
    alice, bob = new_identity(aws, "alice"), new_identity(aws, "bob")
    level, win = new_event(aws, "level_up"), new_event(aws, "win")
    sent = []
    for n in range(5):
        for who in (alice, bob):
            sent.append(
                hm(
                    aws,
                    "POST",
                    "/v1/events/logs",
                    body={"identityId": who, "eventId": level if n % 2 else win},
                )[1]["logId"]
            )

    everything = hm(aws, "GET", "/v1/events/logs")[1]
    by_event = hm(aws, "GET", "/v1/events/logs", query=f"eventId={level}")[1]
    by_both = hm(aws, "GET", "/v1/events/logs", query=f"eventId={win}&identityId={alice}")[1]
    first = hm(aws, "GET", "/v1/events/logs", query="limit=4")[1]
    rest = hm(aws, "GET", "/v1/events/logs", query=f"limit=100&after={first['logs'][-1]['id']}")[1]
    both_events = hm(aws, "GET", "/v1/events/logs", query=f"eventId={level},{win}&identityId={alice},{bob}")[
        1
    ]

    assert [log["id"] for log in everything["logs"]] == sent and everything["hasMore"] is False
    assert len(by_event["logs"]) == 4 and {log["eventSlug"] for log in by_event["logs"]} == {"level_up"}
    assert len(by_both["logs"]) == 3 and {log["identityId"] for log in by_both["logs"]} == {alice}
    assert first["hasMore"] is True and [log["id"] for log in first["logs"] + rest["logs"]] == sent
    assert [log["id"] for log in both_events["logs"]] == sent


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=x", "eventId=01a00000-0000-7000-8000-000000000000"]
)
def test_bad_listing_queries_are_4xx(aws: Aws, entity: dict[str, str], query: str) -> None:
    status, body = hm(aws, "GET", "/v1/events/logs", query=query)

    assert status in (400, 404) and set(body) == {"message", "code"}


def test_association_and_claim_mark_the_identity_claimed(aws: Aws, entity: dict[str, str]) -> None:
    identity = new_identity(aws, "to-claim")
    new_event(aws)
    status, association = aws.call(F, "heymint_association", IDENTITY_ID=identity)
    token = association["url"].rsplit("/", 1)[1]

    claimed = aws.call(F, "heymint_claim", CLAIM_TOKEN=token)
    reused = aws.call(F, "heymint_claim", CLAIM_TOKEN=token)
    logged = aws.call(F, "heymint_log_by_slug", IDENTITY_ID=identity)

    assert status == 200 and association["identityId"] == identity
    assert association["url"].startswith("https://quest.example.com/claim-identity/")
    assert claimed == (200, {"identityId": identity, "claimed": True, "mergedIdentityIds": []})
    assert reused[0] == 409 and "already used" in reused[1]["message"]
    assert logged[1]["identityClaimed"] is True


def test_a_claim_merges_with_the_identity_the_account_already_had(aws: Aws, entity: dict[str, str]) -> None:
    older = new_identity(aws, "played-before")
    first_token = aws.call(F, "heymint_association", IDENTITY_ID=older)[1]["url"].rsplit("/", 1)[1]
    aws.call(F, "heymint_claim", CLAIM_TOKEN=first_token)  # the account now belongs to `older`
    newer = new_identity(aws, "new-device")
    token = aws.call(F, "heymint_association", IDENTITY_ID=newer)[1]["url"].rsplit("/", 1)[1]

    status, body = aws.call(F, "heymint_claim", CLAIM_TOKEN=token)

    assert status == 200 and body == {"identityId": older, "claimed": True, "mergedIdentityIds": [newer]}
    assert hm(aws, "POST", "/v1/identities", body={"uniqueIdentifier": "new-device"})[1]["id"] == older


def test_claim_tokens_are_checked(aws: Aws, entity: dict[str, str]) -> None:
    identity = new_identity(aws)
    token = aws.call(F, "heymint_association", IDENTITY_ID=identity)[1]["url"].rsplit("/", 1)[1]
    other = create_enabled_entity("Other")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert aws.call(F, "heymint_claim", CLAIM_TOKEN=forged)[0] == 400
    assert aws.call(F, "heymint_claim", CLAIM_TOKEN=token, SECRET_KEY=other.secret_key.plain)[0] == 403
    assert (
        hm(
            aws,
            "POST",
            "/v1/claims/{claimToken}",
            path=f"/v1/claims/{token}",
            params={"claimToken": token},
            body={"platform": "discord"},
        )[0]
        == 400
    )


def test_another_entity_cannot_see_or_use_these_identities(aws: Aws, entity: dict[str, str]) -> None:
    identity, event = new_identity(aws, "mine"), new_event(aws)
    hm(aws, "POST", "/v1/events/logs", body={"identityId": identity, "eventId": event})
    other = create_enabled_entity("Other").secret_key.plain

    assert aws.call(F, "heymint_association", IDENTITY_ID=identity, SECRET_KEY=other)[0] == 404
    assert (
        hm(aws, "POST", "/v1/events/logs", key=other, body={"identityId": identity, "eventId": event})[0]
        == 404
    )
    assert hm(aws, "GET", "/v1/events/logs", key=other)[1]["logs"] == []
    assert hm(aws, "GET", "/v1/events/logs", key=other, query=f"identityId={identity}")[0] == 404
    assert (
        hm(aws, "POST", "/v1/identities", key=other, body={"uniqueIdentifier": "mine"})[1]["id"] != identity
    )


def test_credentials_and_malformed_bodies(aws: Aws, entity: dict[str, str]) -> None:
    no_key = aws.call(F, api_event("POST", "/v1/identities", body={}))
    publishable = hm(aws, "POST", "/v1/identities", key=entity["PUBLIC_KEY"], body={})
    malformed = hm(aws, "POST", "/v1/events", raw_body=b'{"name": ')

    assert no_key == (401, {"message": "this route needs a secret key (sk_)", "code": "missing_credential"})
    assert publishable[0] == 401
    assert malformed[0] == 400 and "not valid JSON" in malformed[1]["message"]


def _calls(response: dict[str, Any]) -> int:
    return int(response["headers"]["x-questline-capacity"].split(";")[0].split("=")[1])


def test_a_filter_by_identity_and_event_is_a_key_condition_whatever_the_timeline_holds(
    aws: Aws, entity: dict[str, str]
) -> None:
    """Five hundred logs of other events, then none of the asked one: one query answers it, not a walk."""
    alice = new_identity(aws, "alice")
    level, win = new_event(aws, "level_up"), new_event(aws, "win")
    from questline.events.logs import LogInput, write_logs

    busy = LogInput(event_key="win", event_id=win, name="Win", data={}, source="heymint")
    write_logs(entity["ENTITY_ID"], [(alice, busy)] * 500)
    newcomer = new_identity(aws, "newcomer")  # no logs at all

    def listing(identity_id: str) -> dict[str, Any]:
        query = f"identityId={identity_id}&eventId={level}&limit=1"
        headers = {"x-api-key": entity["SECRET_KEY"]}
        return aws.invoke(F, api_event("GET", "/v1/events/logs", query=query, headers=headers))  # type: ignore[no-any-return]

    busy_one, empty_one = listing(alice), listing(newcomer)

    assert busy_one["statusCode"] == 200 and json.loads(busy_one["body"]) == {"logs": [], "hasMore": False}
    # the same storage calls as for an identity without logs (the key, its entity, the identity, the event
    # and one query of GSI3): 254 calls when the timeline was walked with a filter
    assert _calls(busy_one) == _calls(empty_one) <= 5
    wins = hm(aws, "GET", "/v1/events/logs", query=f"identityId={alice}&eventId={win}&limit=2")[1]
    assert len(wins["logs"]) == 2 and wins["hasMore"] is True


def test_logs_written_before_the_identity_event_index_are_listed_by_the_operators_migration(
    aws: Aws, entity: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from questline import cli
    from questline.storage import get_table, keys
    from questline.storage.table import Update

    alice = new_identity(aws, "alice")
    new_event(aws, "level_up")
    logged = [
        hm(aws, "POST", "/v1/events/logs", body={"identityId": alice, "eventSlug": "level_up"})[1]["logId"]
        for _ in range(3)
    ]
    for item in aws.table_items():  # as a stack deployed before GSI3 stored them
        if item.get("type") == "event_log":
            get_table().update(
                {"PK": item["PK"], "SK": item["SK"]},
                Update(remove=[keys.GSI3PK, keys.GSI3SK]),
                return_values="NONE",
            )
    query = f"identityId={alice}&eventId={hm(aws, 'GET', '/v1/events/logs')[1]['logs'][0]['eventId']}"
    assert hm(aws, "GET", "/v1/events/logs", query=query)[1]["logs"] == []

    assert cli.main(["index-logs"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {"listed": 3}
    assert [log["id"] for log in hm(aws, "GET", "/v1/events/logs", query=query)[1]["logs"]] == logged
    assert cli.main(["index-logs", "--entity", entity["ENTITY_ID"]]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {"listed": 0}
