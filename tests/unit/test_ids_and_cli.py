from __future__ import annotations

import json
import uuid

from questline.cli import main
from questline.ids import new_id, new_secret, prefixed_id, secret_hash, uuid7, uuid7_time_ms


def test_uuid7_is_version_7_and_strictly_increasing() -> None:
    ids = [uuid7() for _ in range(5000)]

    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)  # string order is time order


def test_uuid7_carries_its_millisecond() -> None:
    import time

    before = int(time.time() * 1000)
    value = new_id()
    assert before <= uuid7_time_ms(value) <= before + 1000


def test_prefixes_say_what_an_id_or_secret_is() -> None:
    assert prefixed_id("e").startswith("e-") and len(prefixed_id("e")) == 34
    key = new_secret("sk")
    assert key.startswith("sk_") and len(key) > 40
    assert secret_hash(key) != secret_hash(new_secret("sk"))


def test_operator_key_command_prints_a_key_and_its_hash(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["operator-key"]) == 0
    printed = json.loads(capsys.readouterr().out)

    assert printed["operator_key"].startswith("op_")
    assert printed["operator_key_hash"] == secret_hash(printed["operator_key"])


def test_operator_key_command_stores_the_hash_where_the_stack_reads_it(aws, capsys) -> None:  # type: ignore[no-untyped-def]
    """`--store` writes `{path}/operator-key-hash`; the functions authenticate the new key from it at once,
    and a second `--store` keeps the first hash unless `--replace` rotates it."""
    import boto3

    from questline.caches import reset_all
    from questline.secret_store import operator_key_hash

    path = "/questline-cli-test"
    assert main(["operator-key", "--store", path]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["operator-key", "--store", path]) == 1
    capsys.readouterr()
    assert main(["operator-key", "--store", path, "--replace"]) == 0
    second = json.loads(capsys.readouterr().out)

    stored = boto3.client("ssm").get_parameter(Name=f"{path}/operator-key-hash")["Parameter"]["Value"]
    assert stored == second["operator_key_hash"] != first["operator_key_hash"]
    aws.monkeypatch.setenv("PARAMETER_PATH", path)
    reset_all()

    assert operator_key_hash() == second["operator_key_hash"]
