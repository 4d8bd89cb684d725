"""Social connections against a fake OAuth provider over real HTTP on loopback: Twitter, Discord and Slack
connect (authorization-code exchange), disconnect, social tokens by type, integration status. Stored tokens
leave only through the social-tokens read, never through another answer or a log line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import FakeOAuthProvider
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, User, table_items


@pytest.fixture
def provider(aws: Aws) -> Iterator[FakeOAuthProvider]:
    fake = FakeOAuthProvider()
    aws.template.set_parameters(fake.parameters())
    aws.store_secrets(fake.secrets())
    yield fake
    fake.stop()


@pytest.fixture
def quest(aws: Aws, provider: FakeOAuthProvider) -> Quest:
    return Quest(aws)


@pytest.fixture
def owned(quest: Quest) -> tuple[User, str]:
    owner = quest.new_user()
    return owner, quest.new_entity(owner)


def test_twitter_connect_exchanges_the_code_and_answers_the_username(
    quest: Quest, owned: tuple[User, str], provider: FakeOAuthProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    owner, entity_id = owned

    reply = quest.call(
        "POST",
        f"/api/entities/{entity_id}/twitter/connect",
        owner.headers,
        {
            "userId": owner.user_id,
            "entityId": entity_id,
            "code": "good-twitter-code",
            "redirectUri": "https://app.example/callback",
            "codeVerifier": "challenge",
            "recordType": "ENTITY_RECORD",
        },
    )

    assert reply.status == 200, reply.text
    assert reply.data["username"] == "questline_dev" and reply.data["connected"] is True
    token_call = next(r for r in provider.requests if r[1] == "/twitter/2/oauth2/token")
    assert (
        token_call[3]["code"] == "good-twitter-code"
        and token_call[3]["redirect_uri"] == "https://app.example/callback"
    )
    tokens = quest.call(
        "GET", f"/api/entities/{entity_id}/social-tokens", owner.headers, query={"type": "TWITTER"}
    )
    assert tokens.status == 200
    assert tokens.data["accessToken"] in provider.issued and tokens.data["refreshToken"] in provider.issued
    status = quest.call("GET", f"/api/entities/{entity_id}/integrations", owner.headers)
    assert status.data["twitter"]["connected"] is True and status.data["twitter"]["expiresAt"]
    assert status.data["discord"] == {
        "connected": False,
        "username": None,
        "expiresAt": None,
        "expired": False,
        "connectedAt": None,
        "source": None,
    }
    logs = capsys.readouterr().out + capsys.readouterr().err
    for token in provider.issued:
        assert token not in reply.text and token not in status.text and token not in logs


def test_discord_connect_and_disconnect(
    quest: Quest, owned: tuple[User, str], provider: FakeOAuthProvider
) -> None:
    owner, entity_id = owned

    connected = quest.call(
        "POST",
        f"/api/entities/{entity_id}/discord/connect",
        owner.headers,
        {"id": "id123123", "code": "good-discord-code", "redirectUri": "https://app.example/discord"},
    )
    disconnected = quest.call("POST", f"/api/entities/{entity_id}/discord/disconnect", owner.headers)

    assert connected.status == 200 and connected.data["username"] == "questline"
    assert disconnected.status == 200 and disconnected.data == {
        "type": "DISCORD",
        "connected": False,
        "username": None,
        "accountId": None,
        "teamId": None,
        "expiresAt": None,
    }
    gone = quest.call(
        "GET", f"/api/entities/{entity_id}/social-tokens", owner.headers, query={"type": "DISCORD"}
    )
    assert gone.status == 404
    assert quest.call("POST", f"/api/entities/{entity_id}/discord/disconnect", owner.headers).status == 200


def test_slack_connect_answers_the_workspace(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned

    reply = quest.call(
        "POST", f"/api/entities/{entity_id}/slack/connect", owner.headers, {"code": "good-slack"}
    )

    assert reply.status == 200
    assert reply.data["username"] == "Questline HQ" and reply.data["teamId"] == "T9TK3CUKW"
    assert quest.call("GET", f"/api/entities/{entity_id}/integrations", owner.headers).data["slack"][
        "connected"
    ]


@pytest.mark.parametrize(
    "case",
    [
        (
            "twitter",
            {"code": "bad", "redirectUri": "https://x", "codeVerifier": "v"},
            400,
            "code: twitter refused",
        ),
        ("twitter", {"code": "good-no-verifier", "redirectUri": "https://x"}, 400, "code: twitter refused"),
        ("twitter", {"code": "good-x"}, 400, "redirectUri: is required"),
        ("discord", {"code": "bad", "redirectUri": "https://x"}, 400, "code: discord refused"),
        ("slack", {"code": "bad"}, 400, "code: slack refused the authorization code (invalid_code)"),
        ("discord", {"code": "boom", "redirectUri": "https://x"}, 503, "discord did not answer"),
        ("twitter", {"redirectUri": "https://x"}, 400, "code: is required"),
        (
            "twitter",
            {"code": "good", "redirectUri": "https://x", "entityId": "e-" + "1" * 32},
            400,
            "entityId:",
        ),
    ],
)
def test_refused_or_failed_exchanges_write_nothing(
    aws: Aws,
    quest: Quest,
    owned: tuple[User, str],
    case: tuple[str, dict[str, str], int, str],
) -> None:
    owner, entity_id = owned
    provider_name, body, status, message = case
    before = table_items(aws)

    reply = quest.call("POST", f"/api/entities/{entity_id}/{provider_name}/connect", owner.headers, body)

    assert reply.status == status, reply.text
    assert reply.error.startswith(message), reply.error
    assert table_items(aws) == before


def test_an_unconfigured_provider_is_refused(aws: Aws, quest: Quest, owned: tuple[User, str]) -> None:
    aws.template.set_parameters({"DiscordClientId": ""})
    owner, entity_id = owned

    reply = quest.call(
        "POST",
        f"/api/entities/{entity_id}/discord/connect",
        owner.headers,
        {"code": "good", "redirectUri": "https://x"},
    )

    assert reply.status == 422 and "not configured" in reply.error


def test_an_unreachable_provider_is_503(aws: Aws, quest: Quest, owned: tuple[User, str]) -> None:
    dead = FakeOAuthProvider()
    dead.stop()
    aws.template.set_parameters({"SlackOAuthBaseUrl": f"{dead.url}/slack"})
    owner, entity_id = owned

    reply = quest.call("POST", f"/api/entities/{entity_id}/slack/connect", owner.headers, {"code": "good"})

    assert reply.status == 503 and reply.error == "slack did not answer; try again"


def test_the_caller_is_checked_before_the_code_is_spent(
    aws: Aws, quest: Quest, owned: tuple[User, str], provider: FakeOAuthProvider
) -> None:
    owner, entity_id = owned
    member, stranger = quest.new_user("Member"), quest.new_user("Stranger")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    before = table_items(aws)
    body = {"code": "good-once", "redirectUri": "https://x", "codeVerifier": "v"}

    assert (
        quest.call("POST", f"/api/entities/{entity_id}/twitter/connect", member.headers, body).status == 403
    )
    assert (
        quest.call("POST", f"/api/entities/{entity_id}/twitter/connect", stranger.headers, body).status == 403
    )
    assert provider.requests == [] and table_items(aws) == before


def test_social_tokens_are_set_and_read_by_type(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    _, secret = quest.new_key(owner, entity_id)
    path = f"/api/entities/{entity_id}/social-tokens"

    stored = quest.call(
        "POST",
        path,
        quest.bearer(secret),
        {
            "type": "INSTAGRAM",
            "accessToken": "ig-access-secret",
            "refreshToken": "ig-refresh-secret",
            "expiry": "2030-01-01T00:00:00Z",
            "username": "questline.ig",
        },
    )
    read = quest.call("GET", path, owner.headers, query={"type": "INSTAGRAM"})

    assert stored.status == 200 and "ig-access-secret" not in stored.text
    assert read.status == 200
    assert read.data["accessToken"] == "ig-access-secret" and read.data["refreshToken"] == "ig-refresh-secret"
    assert read.data["expiry"] == "2030-01-01T00:00:00.000Z" and read.data["source"] == "manual"
    status = quest.call("GET", f"/api/entities/{entity_id}/integrations", owner.headers)
    assert status.data["instagram"]["username"] == "questline.ig" and "ig-access-secret" not in status.text


def test_social_token_refusals(aws: Aws, quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    member = quest.new_user("Member")
    quest.call("POST", f"/api/entities/{entity_id}/users", owner.headers, {"userIds": [member.user_id]})
    path = f"/api/entities/{entity_id}/social-tokens"
    quest.call("POST", path, owner.headers, {"type": "TWITTER", "accessToken": "tw-secret"})
    before = table_items(aws)

    assert quest.call("POST", path, owner.headers, {"type": "SLACK", "accessToken": "x"}).error.startswith(
        "type:"
    )
    assert quest.call("POST", path, owner.headers, {"type": "TWITTER"}).error.startswith("accessToken:")
    assert (
        quest.call(
            "POST", path, owner.headers, {"type": "TWITTER", "accessToken": "x", "expiry": "soon"}
        ).status
        == 400
    )
    assert quest.call("GET", path, owner.headers, query={"type": "MYSPACE"}).error.startswith("type:")
    assert quest.call("GET", path, owner.headers).error.startswith("type:")
    member_read = quest.call("GET", path, member.headers, query={"type": "TWITTER"})
    assert member_read.status == 403 and "tw-secret" not in member_read.text
    assert quest.call("GET", path, owner.headers, query={"type": "DISCORD"}).status == 404
    assert table_items(aws) == before
