"""The identity graph: one person, one identity, across every surface."""

from __future__ import annotations

import pytest

from questline.errors import BadRequest, NotFound
from questline.identity import identifiers as ids
from questline.identity.devices import devices_of, upsert_device
from questline.identity.graph import partitions_of, read_identity, resolve
from questline.identity.profiles import update_profile
from questline.storage import get_table, keys
from tests.unit.conftest import Aws

E = "e-" + "1" * 32


def owner(identifier: ids.Identifier, entity_id: str = E) -> str | None:
    item = get_table().get(keys.identifier(entity_id, identifier.key))
    return None if item is None else str(item["identity_id"])


def test_identifiers_resolve_to_one_identity_per_entity(aws: Aws) -> None:
    first = resolve(E, [ids.unique_identifier("abcd1234")])
    again = resolve(E, [ids.unique_identifier("abcd1234")])
    elsewhere = resolve("e-" + "2" * 32, [ids.unique_identifier("abcd1234")])

    assert first.created and not again.created
    assert again.identity_id == first.identity_id
    assert elsewhere.identity_id != first.identity_id  # identifiers are unique within an entity


def test_new_identifiers_are_claimed_by_the_identity_they_arrive_with(aws: Aws) -> None:
    person = resolve(E, [ids.external_id("EXT")]).identity_id

    resolve(E, [ids.external_id("EXT"), ids.fingerprint("fp-1"), ids.account("Discord", "42")])

    assert owner(ids.fingerprint("fp-1")) == owner(ids.account("discord", "42")) == person


def test_linking_two_people_merges_into_the_older(aws: Aws) -> None:
    older = resolve(E, [ids.anonymous_id("anon")]).identity_id
    newer = resolve(
        E, [ids.external_id("EXT"), ids.wallet("0xAbC0000000000000000000000000000000000001")]
    ).identity_id
    update_profile(E, older, fields={"email": "old@example.com"}, traits={"plan": "free", "age": 30})
    update_profile(
        E, newer, fields={"email": "new@example.com", "locale": "en"}, traits={"plan": "pro", "city": "Oslo"}
    )
    upsert_device(E, newer, "dev-1", "push-token", {"os": "iOS"})

    merged = resolve(E, [ids.anonymous_id("anon"), ids.external_id("EXT")])

    assert merged.identity_id == older and merged.merged == (newer,)
    survivor = read_identity(E, newer)  # a read through the merged id answers for the survivor
    assert survivor["identity_id"] == older
    assert survivor["email"] == "old@example.com" and survivor["locale"] == "en"  # its own kept, gaps filled
    assert survivor["data"] == {"plan": "free", "age": 30, "city": "Oslo"}
    assert partitions_of(survivor) == [older, newer]
    assert (
        owner(ids.external_id("EXT"))
        == owner(ids.wallet("0xabc0000000000000000000000000000000000001"))
        == older
    )
    assert [d["device_id"] for d in devices_of(E, older)] == ["dev-1"] and devices_of(E, newer) == []
    loser = get_table().get(keys.identity(E, newer))
    assert loser is not None and (loser["status"], loser["merged_into"]) == ("merged", older)


def test_merging_again_changes_nothing(aws: Aws) -> None:
    a = resolve(E, [ids.anonymous_id("a")]).identity_id
    resolve(E, [ids.external_id("b")])
    resolve(E, [ids.anonymous_id("a"), ids.external_id("b")])
    before = aws.table_items()

    again = resolve(E, [ids.anonymous_id("a"), ids.external_id("b")])

    assert again.identity_id == a and again.merged == ()
    assert aws.table_items() == before


def test_chains_of_merges_converge_on_the_oldest(aws: Aws) -> None:
    a = resolve(E, [ids.fingerprint("a")]).identity_id
    b = resolve(E, [ids.fingerprint("b")]).identity_id
    c = resolve(E, [ids.fingerprint("c")]).identity_id

    resolve(E, [ids.fingerprint("b"), ids.fingerprint("c")])  # c into b
    resolve(E, [ids.fingerprint("c"), ids.fingerprint("a")])  # b (holding c) into a

    assert {owner(ids.fingerprint(x)) for x in "abc"} == {a}
    assert read_identity(E, c)["identity_id"] == a
    assert sorted(partitions_of(read_identity(E, a))) == sorted([a, b, c])


def test_a_named_identity_joins_the_identifiers_sent_with_it(aws: Aws) -> None:
    named = resolve(E, []).identity_id
    other = resolve(E, [ids.fingerprint("fp")]).identity_id

    result = resolve(E, [ids.fingerprint("fp")], identity_id=other, need_item=True)
    assert result.identity_id == other and result.item is not None

    joined = resolve(E, [ids.fingerprint("fp")], identity_id=named)
    assert joined.identity_id == min(named, other)


def test_unknown_identities_and_refusals(aws: Aws) -> None:
    with pytest.raises(NotFound):
        resolve(E, [], identity_id="01a00000-0000-7000-8000-000000000000")
    with pytest.raises(NotFound):
        resolve(E, [ids.external_id("nobody")], create=False)
    with pytest.raises(NotFound):
        read_identity(E, "01a00000-0000-7000-8000-000000000000")
    with pytest.raises(BadRequest):
        ids.external_id("x" * 257)
    with pytest.raises(BadRequest):
        ids.account("dis#cord", "1")


def test_wallets_are_one_identifier_whatever_their_casing_or_surface() -> None:
    evm = "0xAbCdEf0000000000000000000000000000000001"
    assert ids.wallet(evm) == ids.wallet(evm.lower()) == ids.account("web3", evm)
    assert ids.wallet("SoLaNaAddReSS1111") != ids.wallet("solanaaddress1111")  # base58 is case-sensitive
    assert ids.account("Discord", "42") == ids.account("discord", "42")
