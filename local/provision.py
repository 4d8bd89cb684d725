"""Create the template's table(s) and queues on the local backends, exactly as declared (keys, indexes,
stream, TTL; visibility timeouts, redrive policies), and record their physical names for `!Ref`/`!GetAtt`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from local.template import REGION, Template


def aws_client(service: str, endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=30),
    )


class TableChanged(Exception):
    """A table kept from an earlier run was created from another definition than the template's."""


def create_tables(template: Template, dynamodb: Any, *, keep_existing: bool = False) -> None:
    """`dynamodb` is a boto3 DynamoDB client: a local backend's, or moto's in-process mock in unit tests.
    With `keep_existing`, a table that exists already (the local stack's kept data) is used as it is."""
    for logical, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource.get("Properties", {}))
        name = f"{template.stack_name}-{logical}"
        if keep_existing and _use_existing(template, logical, name, props, dynamodb):
            continue
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [
                {
                    k: v
                    for k, v in index.items()
                    if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                }
                for index in props["GlobalSecondaryIndexes"]
            ]
        if props.get("LocalSecondaryIndexes"):
            request["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
        stream = props.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        description = dynamodb.create_table(**request)["TableDescription"]
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        template.physical[logical] = {
            "Ref": name,
            "Arn": description["TableArn"],
            "StreamArn": description.get("LatestStreamArn"),
        }


def _use_existing(template: Template, logical: str, name: str, props: dict[str, Any], dynamodb: Any) -> bool:
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return False
    wanted = {index["IndexName"] for index in props.get("GlobalSecondaryIndexes") or []}
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes") or []}
    if table["KeySchema"] != props["KeySchema"] or wanted != present:
        raise TableChanged(
            f"the kept table {name} has other keys or indexes than template.yaml's {logical} "
            f"(indexes {sorted(present)}, the template's {sorted(wanted)})"
        )
    template.physical[logical] = {
        "Ref": name,
        "Arn": table["TableArn"],
        "StreamArn": table.get("LatestStreamArn"),
    }
    return True


def create_queues(template: Template, sqs: Any, *, visibility_timeout: int | None = None) -> None:
    """Queues first, redrive policies second (they name other queues' ARNs). `visibility_timeout`, when
    given, replaces the template's so that local retries take seconds."""
    queues = template.of_type("AWS::SQS::Queue")
    for logical, resource in queues.items():
        props = resource.get("Properties", {})
        fifo = bool(template.resolve(props.get("FifoQueue", False)))
        name = f"{template.stack_name}-{logical}" + (".fifo" if fifo else "")
        attributes = {
            key: str(template.resolve(props[key]))
            for key in (
                "DelaySeconds",
                "MaximumMessageSize",
                "MessageRetentionPeriod",
                "ReceiveMessageWaitTimeSeconds",
                "VisibilityTimeout",
            )
            if key in props
        }
        if visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(visibility_timeout)
        if fifo:
            attributes["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        template.physical[logical] = {"Ref": url, "QueueUrl": url, "Arn": arn, "QueueName": name}
    for logical, resource in queues.items():
        redrive = resource.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            policy = template.resolve(redrive)
            sqs.set_queue_attributes(
                QueueUrl=template.physical[logical]["Ref"],
                Attributes={
                    "RedrivePolicy": json.dumps({**policy, "maxReceiveCount": int(policy["maxReceiveCount"])})
                },
            )


def store_secrets(
    template: Template,
    ssm: Any,
    *,
    operator_key_hash: str | None = None,
    secrets: Mapping[str, str] | None = None,
) -> None:
    """Put the stack's secrets where its functions read them, as an operator does on AWS: under the
    template's `ParameterPath` in SSM Parameter Store (moto's, locally), the operator key's hash as a String
    and the others (names relative to the path, such as `oauth/twitter-client-secret`) as SecureStrings."""
    path = str(template.parameters.get("ParameterPath") or "/questline").rstrip("/")
    if operator_key_hash is not None:
        ssm.put_parameter(
            Name=f"{path}/operator-key-hash", Value=operator_key_hash, Type="String", Overwrite=True
        )
    for name, value in (secrets or {}).items():
        ssm.put_parameter(Name=f"{path}/{name}", Value=value, Type="SecureString", Overwrite=True)


def name_functions(template: Template) -> None:
    for logical in template.of_type("AWS::Lambda::Function"):
        template.physical[logical] = {
            "Ref": logical,
            "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:{logical}",
        }
    for logical in template.of_type("AWS::ApiGatewayV2::Api"):
        template.physical[logical] = {"Ref": "local"}
