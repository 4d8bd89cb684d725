"""The stack created in moto's CloudFormation from the translated template (the smoke deploy and the
operator scripts' tests share it)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.template import LOCAL_BUCKET, REGION, Template


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def create_stack(name: str, parameters: dict[str, str]) -> dict[str, Any]:
    """The translated template, its code uploaded where the transform's output says, created and described."""
    template = Template.load().cloudformation
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=LOCAL_BUCKET)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("app.py", "")
    for resource in template["Resources"].values():
        code = resource["Properties"].get("Code") or resource["Properties"].get("Content") or {}
        if "S3Key" in code:
            s3.put_object(Bucket=LOCAL_BUCKET, Key=code["S3Key"], Body=archive.getvalue())
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack: dict[str, Any] = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def resources(name: str) -> list[dict[str, Any]]:
    pages = boto3.client("cloudformation", region_name=REGION).get_paginator("list_stack_resources")
    return [r for page in pages.paginate(StackName=name) for r in page["StackResourceSummaries"]]
