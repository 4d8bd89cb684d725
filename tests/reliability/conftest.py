"""Reliability tests: DynamoDB Local (Amazon's emulator, real conditional writes, transactions and
capacity accounting) on a free loopback port, the table created from template.yaml."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.backends import DynamoDBLocal
from local.provision import aws_client, create_tables
from local.template import REGION, Template
from questline.caches import reset_all


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal()
    yield server
    server.stop()


@pytest.fixture
def table_env(
    dynamodb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh table for each test, and `questline` pointed at it through the standard AWS variables."""
    stack_name = "rel-" + request.node.name.replace("_", "-")[:40]
    template = Template.load(stack_name=stack_name)
    create_tables(template, aws_client("dynamodb", dynamodb_local.url))
    table_name = str(template.physical["Table"]["Ref"])
    for key, value in {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local.url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "TABLE_NAME": table_name,
    }.items():
        monkeypatch.setenv(key, value)
    reset_all()
    yield table_name
    aws_client("dynamodb", dynamodb_local.url).delete_table(TableName=table_name)
    reset_all()
