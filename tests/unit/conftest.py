"""Unit tests: moto in-process, the table and queues created from template.yaml, handlers invoked in
this process with the sample events from `events/` and each function's own environment from the template."""

from __future__ import annotations

import functools
import io
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from local import moto_fixes
from local.events import load_event
from local.inprocess import handler_of
from local.provision import create_queues, create_tables, name_functions, store_secrets
from local.template import REGION, Template
from questline.caches import reset_all
from questline.ids import new_secret, secret_hash

BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "QuestlineTests",
}


class LambdaContext:
    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:test"
    memory_limit_in_mb = 512
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


@dataclass
class Aws:
    """The mocked account: the template's resources, plus helpers to run functions as Lambda would."""

    template: Template
    operator_key: str
    values: dict[str, str] = field(default_factory=dict)
    monkeypatch: pytest.MonkeyPatch | None = None
    stream_batches: list[list[dict[str, Any]]] = field(default_factory=list)

    @property
    def table_name(self) -> str:
        return str(self.template.physical["Table"]["Ref"])

    def queue_url(self, logical: str) -> str:
        return str(self.template.physical[logical]["QueueUrl"])

    def function_env(self, logical: str) -> dict[str, str]:
        return self.template.environment_of(self.template.functions()[logical])

    def use_function_env(self, logical: str) -> None:
        assert self.monkeypatch is not None
        for key, value in self.function_env(logical).items():
            self.monkeypatch.setenv(key, value)
        reset_all()

    def store_secrets(self, secrets: dict[str, str]) -> None:
        """Client secrets and the like, where the functions read them (under the stack's parameter path)."""
        store_secrets(self.template, boto3.client("ssm", region_name=REGION), secrets=secrets)
        reset_all()

    def table_items(self) -> list[dict[str, Any]]:
        """Everything stored, to show that refused input wrote nothing (a write request's count for the
        plan's rate limit apart: `tests.support.is_request_count`)."""
        from questline.storage.codec import from_item
        from tests.support import is_request_count

        client = boto3.client("dynamodb", region_name=REGION)
        items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=self.table_name):
            items += [from_item(i) for i in page["Items"] if not is_request_count(i)]
        return sorted(items, key=lambda i: (i["PK"], i["SK"]))

    def call(self, logical: str, event: str | dict[str, Any], **values: str) -> tuple[int, Any]:
        """Invoke and answer (status, parsed JSON body or None)."""
        import json

        response = self.invoke(logical, event, **values)
        body = response.get("body")
        return int(response["statusCode"]), json.loads(body) if body else None

    def pump_stream(self, *, max_rounds: int = 10) -> int:
        """Feed the table's stream (moto's) to the stream function as its event source mapping would:
        the template's filters, batches of its batch size, until nothing new arrives. Returns the number
        of records delivered; every batch delivered is kept in `stream_batches` (to replay them)."""
        from local.esm import _as_lambda_record
        from local.filters import matches_any

        spec = self.template.functions()["StreamFunction"]
        source = spec.streams[0]
        # moto's in-process mock only recognises the streams endpoint when it is named explicitly
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        arn = str(self.template.physical["Table"]["StreamArn"])
        iterators = self.__dict__.setdefault("_stream_iterators", {})
        delivered = 0
        for _ in range(max_rounds):
            batch = []
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                shard_id = shard["ShardId"]
                if shard_id not in iterators:
                    iterators[shard_id] = streams.get_shard_iterator(
                        StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                response = streams.get_records(ShardIterator=iterators[shard_id], Limit=1000)
                iterators[shard_id] = response["NextShardIterator"]
                batch += [
                    {**_as_lambda_record(r), "eventSourceARN": arn}
                    for r in response["Records"]
                    if matches_any(source.filters, r)
                ]
            if not batch:
                break
            for start in range(0, len(batch), source.batch_size):
                records = batch[start : start + source.batch_size]
                self.stream_batches.append(records)
                result = self.invoke("StreamFunction", {"Records": records})
                assert result == {"batchItemFailures": []}, result
            delivered += len(batch)
        return delivered

    def invoke(self, logical: str, event: str | dict[str, Any], **values: str) -> Any:
        """Run function `logical` on a sample event (a name in events/, or the event itself)."""
        self.use_function_env(logical)
        payload = load_event(event, {**self.values, **values}) if isinstance(event, str) else event
        return handler_of(logical)(payload, LambdaContext())  # type: ignore[operator]


@dataclass
class _Provisioned:
    """What the fixture's provisioning left in moto, once per worker: the template with its physical ids, and
    the (empty) tables and queues as moto holds them, pickled. Each test gets its own unpickled copy: the
    same resources, as empty as freshly created ones, without the ~100 ms of API calls a test (the tables'
    streams included: a copy's shard holds no record)."""

    template: bytes
    tables: bytes
    queues: bytes


_provisioned: list[_Provisioned] = []  # at most one


def _moto_resources() -> tuple[dict[str, Any], dict[str, Any]]:
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    account = DEFAULT_ACCOUNT_ID
    return dynamodb_backends[account][REGION].tables, sqs_backends[account][REGION].queues


def _provision() -> Template:
    """The template's tables and queues in the (fresh) mocked account, as the local stack creates them: by
    the API the first time in a worker, then from that first time's pickled resources."""
    from local.persistence import _Pickler

    tables, queues = _moto_resources()
    if _provisioned:
        kept = _provisioned[0]
        # pickled by this process, just below
        tables.update(pickle.loads(kept.tables))
        queues.update(pickle.loads(kept.queues))
        template: Template = pickle.loads(kept.template)
        return template
    template = Template.load(stack_name="questline-test")
    template.set_parameters({"Stage": "local"})
    create_tables(template, boto3.client("dynamodb", region_name=REGION))
    create_queues(template, boto3.client("sqs", region_name=REGION))
    name_functions(template)
    blobs = []
    for resources in (tables, queues):
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(dict(resources))
        blobs.append(buffer.getvalue())
    _provisioned.append(_Provisioned(pickle.dumps(template, protocol=pickle.HIGHEST_PROTOCOL), *blobs))
    return template


@functools.cache
def _ssm() -> Any:
    """The fixture's own SSM client, one per worker (moto answers any client while a mock is active)."""
    return boto3.client("ssm", region_name=REGION)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key)
    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    operator_key = new_secret("op")
    moto_fixes.apply()  # atomic, check-first transactions, as the local stack's moto server has them
    # One boto3 default session for the whole run: moto would otherwise replace it for every test, and
    # each new session loads the endpoint rules and service models again (about 0.35 s a test).
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        template = _provision()
        store_secrets(template, _ssm(), operator_key_hash=secret_hash(operator_key))
        monkeypatch.setenv("TABLE_NAME", str(template.physical["Table"]["Ref"]))
        monkeypatch.setenv("PARAMETER_PATH", str(template.parameters["ParameterPath"]))
        reset_all()
        yield Aws(
            template=template,
            operator_key=operator_key,
            values={"OPERATOR_KEY": operator_key},
            monkeypatch=monkeypatch,
        )
    reset_all()


@pytest.fixture
def entity(aws: Aws) -> dict[str, str]:
    """An enabled entity with keys, its values also filled into sample events' placeholders."""
    from questline.tenancy.entities import create_enabled_entity

    created = create_enabled_entity("Test entity")
    values = {
        "ENTITY_ID": created.entity["entity_id"],
        "SECRET_KEY": created.secret_key.plain,
        "PUBLIC_KEY": created.publishable_key.plain,
    }
    aws.values.update(values)
    return values
