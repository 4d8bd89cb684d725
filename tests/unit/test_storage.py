"""The table wrapper against moto: conditional writes, transactions, queries, cursors, error translation."""

from __future__ import annotations

import pytest

from questline.errors import BadRequest, Retryable
from questline.storage import capacity, get_table
from questline.storage.codec import check_client_value, from_item, to_item
from questline.storage.cursor import decode_cursor, encode_cursor
from questline.storage.table import (
    ConditionFailed,
    TxCheck,
    TxPut,
    TxUpdate,
    Update,
    _translate,
    at_least,
    equals,
    exists,
    not_exists,
)
from tests.unit.conftest import Aws


def item(pk: str, sk: str, **fields: object) -> dict[str, object]:
    return {"PK": pk, "SK": sk, "type": "test", **fields}


def test_put_new_refuses_a_second_write_and_hands_back_the_first(aws: Aws) -> None:
    table = get_table()
    table.put_new(item("A", "1", n=1))

    with pytest.raises(ConditionFailed) as raised:
        table.put_new(item("A", "1", n=2), return_old_on_failure=True)

    assert raised.value.item is not None and raised.value.item["n"] == 1
    assert table.get({"PK": "A", "SK": "1"})["n"] == 1  # type: ignore[index]


def test_update_with_condition_keeps_a_balance_from_going_negative(aws: Aws) -> None:
    table = get_table()
    table.put(item("B", "1", xp=10))

    after = table.update({"PK": "B", "SK": "1"}, Update(add={"xp": -7}), condition=at_least("xp", 7))
    assert after is not None and after["xp"] == 3
    with pytest.raises(ConditionFailed):
        table.update({"PK": "B", "SK": "1"}, Update(add={"xp": -7}), condition=at_least("xp", 7))
    assert table.get({"PK": "B", "SK": "1"})["xp"] == 3  # type: ignore[index]


def test_update_sets_removes_and_sets_only_when_absent(aws: Aws) -> None:
    table = get_table()
    table.put(item("C", "1", keep="x", drop="y", created="first"))

    after = table.update(
        {"PK": "C", "SK": "1"},
        Update(set={"keep": "z"}, set_if_absent={"created": "second", "born": "now"}, remove=["drop"]),
        condition=exists(),
    )

    assert after == {"PK": "C", "SK": "1", "type": "test", "keep": "z", "created": "first", "born": "now"}


def test_names_are_literal_and_tuples_are_paths(aws: Aws) -> None:
    table = get_table()
    table.put(item("P", "1", data={}))

    after = table.update(
        {"PK": "P", "SK": "1"}, Update(set={"a.b": 1, ("data", "x.y"): None, ("data", "k"): [1]})
    )

    assert after is not None and after["a.b"] == 1 and after["data"] == {"x.y": None, "k": [1]}


def test_transaction_is_all_or_nothing_and_names_the_failing_operation(aws: Aws) -> None:
    table = get_table()
    table.put(item("D", "1", state="open"))

    with pytest.raises(ConditionFailed) as raised:
        table.transact_write(
            [
                TxPut(item("D", "2"), condition=not_exists()),
                TxCheck({"PK": "D", "SK": "1"}, equals("state", "closed")),
            ]
        )

    assert raised.value.index == 1
    assert raised.value.item is not None and raised.value.item["state"] == "open"
    assert table.get({"PK": "D", "SK": "2"}) is None

    table.transact_write(
        [
            TxPut(item("D", "2"), condition=not_exists()),
            TxUpdate({"PK": "D", "SK": "1"}, Update(set={"state": "closed"})),
        ]
    )
    assert table.get({"PK": "D", "SK": "1"})["state"] == "closed"  # type: ignore[index]


def test_query_pages_with_cursors_bound_to_their_partition(aws: Aws) -> None:
    table = get_table()
    table.batch_write(puts=[item("E", f"{i:03d}") for i in range(30)] + [item("F", "000")])

    first = table.query("E", limit=20)
    cursor = encode_cursor(first.last_key)
    second = table.query("E", limit=20, start_key=decode_cursor(cursor, partition_attr="PK", partition="E"))

    assert [i["SK"] for i in first.items + second.items] == [f"{i:03d}" for i in range(30)]
    assert table.query("E", begins_with="01").items[0]["SK"] == "010"
    assert [i["SK"] for i in table.query("E", after="027").items] == ["028", "029"]
    with pytest.raises(BadRequest):
        decode_cursor(cursor, partition_attr="PK", partition="F")  # another partition's cursor
    for garbage in ("%%%", "eyJ4Ijog", "W10", "x" * 5000):
        with pytest.raises(BadRequest):
            decode_cursor(garbage, partition_attr="PK", partition="E")


def test_batch_get_returns_what_exists(aws: Aws) -> None:
    table = get_table()
    table.batch_write(puts=[item("G", str(i)) for i in range(3)])

    found = table.batch_get([{"PK": "G", "SK": str(i)} for i in (0, 1, 1, 7)])

    assert sorted(i["SK"] for i in found) == ["0", "1"]


def test_every_call_is_counted(aws: Aws) -> None:
    tally = capacity.reset()
    get_table().put(item("H", "1"))
    get_table().get({"PK": "H", "SK": "1"})

    assert tally.calls == 2
    assert tally.header().startswith("calls=2;")


def test_throttling_and_contention_become_retryable() -> None:
    from botocore.exceptions import ClientError

    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")
    contended = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
        },
        "TransactWriteItems",
    )

    assert isinstance(_translate(throttled), Retryable)
    assert type(_translate(contended)).__name__ == "_TransactionContention"


def test_codec_round_trips_json_values() -> None:
    value = {"s": "x", "i": 3, "f": 1.5, "b": True, "n": None, "l": [1, "a", {"m": {}}], "big": 10**30}

    assert from_item(to_item(value)) == {k: v for k, v in value.items() if v is not None}


@pytest.mark.parametrize(
    "value",
    [
        1e200,
        -1e-200,
        float("nan"),
        12345678901234567890123456789012345678901,  # 41 significant digits
        {
            "a": {
                "b": {
                    "c": {
                        "d": {
                            "e": {
                                "f": {
                                    "g": {
                                        "h": {"i": {"j": {"k": {"l": {"m": {"n": {"o": {"p": {"q": 1}}}}}}}}}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        {"": 1},  # a map key is an attribute name: at least one character
        {"nested": [{"": None}]},
    ],
)
def test_client_values_dynamodb_cannot_store_are_400(value: object) -> None:
    with pytest.raises(BadRequest) as raised:
        check_client_value(value, "data")
    assert raised.value.field == "data"


def test_ordinary_client_values_pass() -> None:
    check_client_value({"price": 49.99, "qty": 4, "tags": ["a"], "nested": {"ok": None}, "zero": 0}, "data")
