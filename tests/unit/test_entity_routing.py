"""Routing of the Entity API: every sample event answers; literal paths win over `{entityId}` in API
Gateway's order, the local gateway's and Powertools'; no two dynamic routes of one method can match the same
path (so the order in which routes join the resolver never matters); routes join on first use."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest

from local.events import EVENTS
from local.gateway import Router, build_event
from local.inprocess import function_specs
from local.template import HttpRoute
from questline.auth import PUBLIC
from questline.http import PLATFORM, Api, Routes
from tests.support import FakeOAuthProvider
from tests.unit.conftest import Aws
from tests.unit.quest_client import FUNCTIONS, Quest

_PARAMETER = re.compile(r"^\{\w+\}$")


def _overlap(a: HttpRoute, b: HttpRoute) -> bool:
    """Some concrete path matches both (a literal segment matches only itself, a parameter anything)."""
    left, right = a.path.strip("/").split("/"), b.path.strip("/").split("/")
    if a.method != b.method or len(left) != len(right):
        return False
    return all(x == y or _PARAMETER.match(x) or _PARAMETER.match(y) for x, y in zip(left, right, strict=True))


def _dynamic(route: HttpRoute) -> bool:
    return "{" in route.path


def test_no_two_dynamic_routes_of_one_method_match_the_same_path() -> None:
    routes = [route for spec in function_specs().values() for route in spec.routes]

    clashes = [
        (a.route_key, b.route_key)
        for a, b in itertools.combinations(routes, 2)
        if _dynamic(a) and _dynamic(b) and _overlap(a, b)
    ]

    assert clashes == []


@pytest.mark.parametrize("literal", ["pending", "by-alias", "by-custom-id"])
def test_literal_paths_win_over_the_entity_id(literal: str) -> None:
    router = Router()
    for route in function_specs()["EntitiesFunction"].routes:
        router.add(route, None)  # type: ignore[arg-type]

    found = router.match("GET", f"/api/entities/{literal}")

    assert found is not None and found[0].route.path == f"/api/entities/{literal}"


def test_a_warm_container_still_routes_literal_paths_after_the_entity_id_route_joined(
    quest: Quest, entity: dict[str, str]
) -> None:
    assert quest.call("GET", f"/api/entities/{entity['ENTITY_ID']}", quest.operator).status == 200

    pending = quest.call("GET", "/api/entities/pending", quest.operator)
    alias = quest.call("GET", "/api/entities/by-alias", quest.operator, query={"entityURLAlias": "nope"})

    assert pending.status == 200 and pending.data == []
    assert alias.status == 404 and alias.error == "no entity has the alias nope"


def test_routes_join_the_resolver_on_first_use_in_any_order(aws: Aws) -> None:
    routes = Routes(tag="things")

    @routes.get("/things/{thingId}", auth=PUBLIC)
    def one(thingId: str) -> dict[str, str]:
        return {"thing": thingId}

    @routes.get("/things/special", auth=PUBLIC)
    def special() -> dict[str, str]:
        return {"thing": "the special one"}

    api = Api(PLATFORM, routes)
    assert set(api._pending) == {"GET /things/{thingId}", "GET /things/special"}

    first = api.handle(_event("GET /things/{thingId}", "/things/special", {"thingId": "special"}), None)
    assert set(api._pending) == {"GET /things/special"}
    second = api.handle(_event("GET /things/special", "/things/special"), None)

    assert json.loads(first["body"]) == {"thing": "special"}
    assert json.loads(second["body"]) == {"thing": "the special one"}
    assert api._pending == {}


def _event(route_key: str, path: str, parameters: dict[str, str] | None = None) -> dict[str, object]:
    return build_event(
        method=route_key.split(maxsplit=1)[0],
        raw_path=path,
        raw_query="",
        headers=[],
        body=b"",
        route_key=route_key,
        path_parameters=parameters or {},
        source_ip="127.0.0.1",
        host="localhost",
    )


@pytest.fixture
def quest(aws: Aws) -> Quest:
    return Quest(aws)


@pytest.fixture
def provider(aws: Aws) -> Iterator[FakeOAuthProvider]:
    fake = FakeOAuthProvider()
    aws.template.set_parameters(fake.parameters())
    aws.store_secrets(fake.secrets())
    yield fake
    fake.stop()


# The sample events in the order a story needs them (delete last; connect before disconnect).
SAMPLE_ORDER = [
    "entities_get",
    "entities_list",
    "entities_create_user",
    "entities_get_user",
    "entities_add_admin",  # an invitation; declined, invited again, withdrawn, invited again, accepted
    "entities_pending_invitations",
    "entities_user_invitations",
    "entities_decline_invitation",
    "entities_add_admin",
    "entities_withdraw_invitation",
    "entities_add_admin",
    "entities_accept_invitation",
    "entities_admins",
    "entities_remove_admin",
    "entities_add_users",
    "entities_users",
    "entities_update",
    "entities_create",
    "entities_organizations",
    "entities_by_alias",
    "entities_add_custom_id",
    "entities_by_custom_id",
    "entities_enable",
    "entities_plan",
    "entities_pending",
    "entities_mau",
    "entities_keys",
    "entities_create_key",
    "entities_tracking_tokens",
    "entities_rotate_key",
    "entities_revoke_key",
    "entities_put_theme",
    "entities_theme",
    "entities_twitter_connect",
    "entities_twitter_disconnect",
    "entities_discord_connect",
    "entities_discord_disconnect",
    "entities_slack_connect",
    "entities_set_social_tokens",
    "entities_social_tokens",
    "entities_integrations",
    "entities_rotate_user_token",
    "entities_delete",
]


def test_every_sample_event_answers_2xx(aws: Aws, quest: Quest, provider: FakeOAuthProvider) -> None:
    owner = quest.new_user("Owner")
    entity_id = quest.new_entity(owner, "Demo entity", entityURLAlias="demo")
    key_id, secret = quest.new_key(owner, entity_id, "sk")
    values = {
        "ENTITY_ID": entity_id,
        "SECRET_KEY": secret,
        "OPERATOR_KEY": aws.operator_key,
        "USER_ID": owner.user_id,
        "USER_TOKEN": owner.token,
        "KEY_ID": key_id,
    }
    codes = (f"good-{n}" for n in itertools.count())
    samples = {path.stem for path in EVENTS.glob("entities_*.json")}
    assert samples - {"entities_get_no_key"} == set(SAMPLE_ORDER)
    specs = function_specs()
    serving = {route.route_key: function for function in FUNCTIONS for route in specs[function].routes}
    routes = set(serving)
    covered: set[str] = set()

    for name in SAMPLE_ORDER:
        route_key = json.loads((EVENTS / f"{name}.json").read_text())["routeKey"]
        response = aws.invoke(serving[route_key], name, **values, OAUTH_CODE=next(codes))
        assert 200 <= response["statusCode"] < 300, (name, response["body"])
        data = json.loads(response["body"])["data"]
        covered.add(route_key)
        if name == "entities_create_user":
            values["ADMIN_USER_ID"], values["ADMIN_USER_TOKEN"] = data["userId"], data["token"]
        elif name == "entities_add_admin":
            values["INVITATION_ID"] = data["invitationId"]
        elif name == "entities_rotate_key":
            values["SECRET_KEY"] = data["key"]  # the rotated key is revoked next
        elif name == "entities_rotate_user_token":
            values["USER_TOKEN"] = data["token"]

    assert covered == routes
