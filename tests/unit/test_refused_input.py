"""Input that must be refused with a 4xx naming what is wrong, writing nothing: numbers JSON cannot carry
(NaN, Infinity, overflow) anywhere in a body, even in a field the route ignores; control characters (NUL
and the rest) inside identifiers; links that are not http(s) in entity fields that are served publicly."""

from __future__ import annotations

import json

import pytest

from tests.support import api_event
from tests.unit.conftest import Aws
from tests.unit.quest_client import Quest, User, table_items
from tests.unit.test_claimr import P, call, live_campaign, q

__all__ = ["live_campaign"]  # a fixture these tests use


def raw_call(aws: Aws, function: str, route: str, text: str, key: str) -> tuple[int, object]:
    request = api_event("POST", route, raw_body=text.encode(), headers={"authorization": f"Bearer {key}"})
    return aws.call(function, request)


@pytest.mark.parametrize(
    "ignored",
    ['"note": NaN', '"note": Infinity', '"note": -Infinity', '"deep": {"x": [1, NaN]}'],
)
def test_a_number_json_cannot_carry_is_refused_even_where_ignored(
    aws: Aws, live_campaign: dict[str, object], ignored: str
) -> None:
    before = aws.table_items()
    known = json.dumps({"account": "u1", "platform": "discord", "pid": P, "id": "r1", "xp": 10})
    text = known[:-1] + ", " + ignored + "}"

    status, body = raw_call(aws, "ClaimrUsersFunction", "/user/reward", text, aws.values["SECRET_KEY"])

    assert status == 400, body
    assert body == {"success": False, "error": body["error"], "code": "bad_request"}  # type: ignore[index]
    assert "finite" in body["error"]  # type: ignore[index]
    assert aws.table_items() == before


def test_non_finite_numbers_are_refused_on_every_family(aws: Aws, entity: dict[str, str]) -> None:
    before = aws.table_items()
    parcelvoy = raw_call(
        aws,
        "ClientFunction",
        "/api/client/identify",
        '{"external_id": "x", "data": {"score": NaN}}',
        aws.values["PUBLIC_KEY"],
    )
    heymint = raw_call(
        aws,
        "HeyMintFunction",
        "/v1/identities",
        '{"uniqueIdentifier": "u", "x": Infinity}',
        entity["SECRET_KEY"],
    )

    assert parcelvoy[0] == 422 and "finite" in parcelvoy[1]["error"]  # type: ignore[index]
    assert heymint[0] == 400 and "finite" in heymint[1]["message"]  # type: ignore[index]
    assert aws.table_items() == before


@pytest.mark.parametrize("account", ["play\u0000er", "player\n", "\u0007bell", "x\u007fy", "x\u009by"])
def test_control_characters_in_an_account_are_refused(
    aws: Aws, live_campaign: dict[str, object], account: str
) -> None:
    before = aws.table_items()

    rewarded = call(
        aws,
        "POST",
        "/user/reward",
        body={"account": account, "platform": "discord", "pid": P, "id": "r1", "xp": 10},
    )
    read = call(aws, "GET", "/user/balance", query=q(account.replace("\u0000", "%00").replace("\n", "%0A")))

    assert rewarded[0] == 400 and rewarded[1]["error"].startswith("account"), rewarded
    assert read[0] in (400, 404) and read[1]["success"] is False, read
    assert aws.table_items() == before


def test_control_characters_in_other_identifiers_are_refused(aws: Aws, entity: dict[str, str]) -> None:
    before = aws.table_items()
    heymint = aws.call(
        "HeyMintFunction",
        api_event(
            "POST",
            "/v1/identities",
            body={"uniqueIdentifier": "abc\u0000def"},
            headers={"x-api-key": entity["SECRET_KEY"]},
        ),
    )
    parcelvoy = aws.call(
        "ClientFunction",
        api_event(
            "POST",
            "/api/client/identify",
            body={"external_id": "user\u0000"},
            headers={"authorization": f"Bearer {entity['PUBLIC_KEY']}"},
        ),
    )

    assert heymint[0] == 400 and "uniqueIdentifier" in heymint[1]["message"], heymint
    assert parcelvoy[0] == 422 and "external_id" in parcelvoy[1]["error"], parcelvoy
    assert aws.table_items() == before


# --- links served publicly -----------------------------------------------------------------------------


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


@pytest.fixture
def owned(quest: Quest) -> tuple[User, str]:
    owner = quest.new_user("Owner")
    return owner, quest.new_entity(owner)


def shown(theme: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in theme.items() if value is not None}


UNSAFE_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "https://exa mple.com/",
    "https://example.com/\u0000",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_the_public_theme_takes_only_http_links(
    aws: Aws, quest: Quest, owned: tuple[User, str], link: str
) -> None:
    owner, entity_id = owned
    before = table_items(aws)

    put = quest.call("PUT", f"/api/entities/{entity_id}/theme", owner.headers, {"logoUrl": link})
    favicon = quest.call("PUT", f"/api/entities/{entity_id}/theme", owner.headers, {"faviconUrl": link})

    assert put.status == 400 and put.error.startswith("logoUrl"), put.text
    assert favicon.status == 400 and favicon.error.startswith("faviconUrl"), favicon.text
    assert table_items(aws) == before
    assert shown(quest.call("GET", f"/api/entities/{entity_id}/theme").data) == {}


@pytest.mark.parametrize("link", UNSAFE_LINKS[:3])
def test_entity_links_take_only_http(aws: Aws, quest: Quest, owned: tuple[User, str], link: str) -> None:
    owner, entity_id = owned
    before = table_items(aws)

    created = quest.call(
        "POST", "/api/entities", owner.headers, {"name": "G", "chainSource": "OFF_CHAIN", "website": link}
    )
    updated = quest.call("PATCH", f"/api/entities/{entity_id}", owner.headers, {"imageUrl": link})
    banner = quest.call("PATCH", f"/api/entities/{entity_id}", owner.headers, {"bannerUrl": link})

    assert created.status == 400 and created.error.startswith("website"), created.text
    assert updated.status == 400 and updated.error.startswith("imageUrl"), updated.text
    assert banner.status == 400 and banner.error.startswith("bannerUrl"), banner.text
    assert table_items(aws) == before


def test_http_links_and_the_seeds_relative_ones_are_kept(quest: Quest, owned: tuple[User, str]) -> None:
    owner, entity_id = owned
    theme = {"logoUrl": "https://cdn.example.com/logo.png", "faviconUrl": "/favicon.ico"}

    put = quest.call("PUT", f"/api/entities/{entity_id}/theme", owner.headers, theme)
    seed = quest.call(
        "POST",
        "/api/entities",
        owner.headers,
        {
            "name": "dummy-entity",
            "chainSource": "OFF_CHAIN",
            "website": "https://www.websitelink.com",
            "imageUrl": "imageurl",  # the seed's own example values
            "bannerUrl": "bannerurl",
        },
    )

    assert put.status == 200, put.text
    assert shown(quest.call("GET", f"/api/entities/{entity_id}/theme").data) == theme
    assert seed.status == 201, seed.text
    assert (seed.data["website"], seed.data["imageUrl"]) == ("https://www.websitelink.com", "imageurl")


def test_a_stored_unsafe_link_is_never_served(quest: Quest, owned: tuple[User, str]) -> None:
    """A theme stored before links were checked: the public route leaves the unsafe link out."""
    from questline.storage import get_table, keys
    from questline.storage.table import Update

    _, entity_id = owned
    get_table().update(
        keys.entity(entity_id),
        Update(set={"theme": {"logoUrl": "javascript:alert(1)", "mode": "dark"}}),
    )

    served = quest.call("GET", f"/api/entities/{entity_id}/theme")

    assert served.status == 200 and shown(served.data) == {"mode": "dark"}, served.text
    assert json.dumps(served.body).find("javascript") == -1
