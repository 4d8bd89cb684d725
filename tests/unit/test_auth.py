"""Credentials in headers, resolved to principals: kinds, prefixes, revocation, expiry, caching."""

from __future__ import annotations

import time

import pytest

from questline.auth import ANY_ENTITY_KEY, OPERATOR, PUBLIC, SECRET_KEY, CredentialKind, authenticate
from questline.auth.policy import PLATFORM_USER
from questline.auth.resolve import read_credentials
from questline.errors import Unauthorized, UnknownCredential
from questline.ids import secret_hash
from questline.storage import capacity, get_table, keys
from tests.unit.conftest import Aws


def test_credentials_are_read_from_each_header_and_classified_by_prefix() -> None:
    found = read_credentials(
        {
            "authorization": "Bearer sk_abc",
            "x-api-key": "pk_def",
            "apikey": "op_ghi",
            "userid": "u-" + "a" * 32,
            "token": "t",
        }
    )

    assert [(c.kind, c.secret) for c in found] == [
        (CredentialKind.SECRET_KEY, "sk_abc"),
        (CredentialKind.PUBLISHABLE_KEY, "pk_def"),
        (CredentialKind.OPERATOR, "op_ghi"),
        (CredentialKind.PLATFORM_USER, "t"),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Basic abc"},
        {"authorization": "Bearer"},
        {"authorization": "Bearer nokind"},
        {"x-api-key": "xx_unknownprefix"},
        {"x-api-key": "sk_"},
        {"userid": "u-" + "a" * 32},
        {"token": "t"},
        {"userid": "not-a-user-id", "token": "t"},
    ],
)
def test_malformed_credentials_are_401(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthorized) as raised:
        read_credentials(headers)
    assert raised.value.code == "malformed_credential"


def test_public_routes_need_nothing() -> None:
    assert authenticate(PUBLIC, {"authorization": "garbage"}) is None


def test_missing_and_wrong_kind_of_credential(aws: Aws, entity: dict[str, str]) -> None:
    with pytest.raises(Unauthorized) as missing:
        authenticate(SECRET_KEY, {})
    with pytest.raises(Unauthorized) as wrong:
        authenticate(SECRET_KEY, {"authorization": f"Bearer {entity['PUBLIC_KEY']}"})

    assert missing.value.code == "missing_credential"
    assert wrong.value.code == "wrong_credential"
    assert "a secret key (sk_)" in wrong.value.message


def test_entity_keys_resolve_to_their_entity(aws: Aws, entity: dict[str, str]) -> None:
    secret = authenticate(ANY_ENTITY_KEY, {"authorization": f"Bearer {entity['SECRET_KEY']}"})
    public = authenticate(ANY_ENTITY_KEY, {"x-api-key": entity["PUBLIC_KEY"]})

    assert secret is not None and secret.kind is CredentialKind.SECRET_KEY
    assert public is not None and public.kind is CredentialKind.PUBLISHABLE_KEY
    assert secret.entity_id == public.entity_id == entity["ENTITY_ID"]
    assert secret.key_id != public.key_id


def test_a_stored_key_of_another_kind_does_not_pass(aws: Aws, entity: dict[str, str]) -> None:
    # a pk_ key's item presented with an sk_ prefix cannot exist, but a tampered item must not pass either
    item = get_table().get(keys.api_key(secret_hash(entity["SECRET_KEY"])))
    assert item is not None
    forged = "pk_" + entity["SECRET_KEY"].removeprefix("sk_")
    get_table().put({**item, **keys.api_key(secret_hash(forged))})

    with pytest.raises(UnknownCredential):
        authenticate(ANY_ENTITY_KEY, {"authorization": f"Bearer {forged}"})


def test_revoked_and_expired_keys_are_unknown(aws: Aws, entity: dict[str, str]) -> None:
    from questline.storage.table import Update

    table = get_table()
    table.update(keys.api_key(secret_hash(entity["SECRET_KEY"])), Update(set={"status": "revoked"}))
    table.update(
        keys.api_key(secret_hash(entity["PUBLIC_KEY"])), Update(set={"expires_at": int(time.time()) - 1})
    )

    with pytest.raises(UnknownCredential):
        authenticate(SECRET_KEY, {"authorization": f"Bearer {entity['SECRET_KEY']}"})
    with pytest.raises(UnknownCredential):
        authenticate(ANY_ENTITY_KEY, {"authorization": f"Bearer {entity['PUBLIC_KEY']}"})


def test_operator_key_is_checked_against_the_deployed_hash(aws: Aws) -> None:
    principal = authenticate(OPERATOR, {"authorization": f"Bearer {aws.operator_key}"})

    assert principal is not None and principal.is_operator
    with pytest.raises(UnknownCredential):
        authenticate(OPERATOR, {"x-api-key": "op_guess"})


def test_platform_user_token_is_compared_by_hash(aws: Aws) -> None:
    user_id = "u-" + "b" * 32
    get_table().put(
        {
            **keys.platform_user(user_id),
            "type": "platform_user",
            "token_hash": secret_hash("tok"),
            "status": "active",
        }
    )

    principal = authenticate(PLATFORM_USER, {"userid": user_id, "token": "tok"})

    assert principal is not None and principal.user_id == user_id
    with pytest.raises(UnknownCredential):
        authenticate(PLATFORM_USER, {"userid": user_id, "token": "wrong"})


def test_the_most_specific_accepted_credential_speaks(aws: Aws, entity: dict[str, str]) -> None:
    principal = authenticate(
        OPERATOR | SECRET_KEY, {"apikey": entity["SECRET_KEY"], "authorization": f"Bearer {aws.operator_key}"}
    )

    assert principal is not None and principal.is_operator


def test_a_resolved_key_costs_no_read_while_cached(aws: Aws, entity: dict[str, str]) -> None:
    headers = {"authorization": f"Bearer {entity['SECRET_KEY']}"}
    tally = capacity.reset()
    authenticate(SECRET_KEY, headers)
    first = tally.calls
    authenticate(SECRET_KEY, headers)

    assert first == 2  # the key, and its entity (a credential dies with its entity)
    assert tally.calls == first
