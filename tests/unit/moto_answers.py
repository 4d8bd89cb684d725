"""The DynamoDB calls `test_moto_speedups.py` compares: run as `python moto_answers.py plain|fixed <root>`, it
prints moto's answers (without or with `local/moto_fixes.py`) as JSON, what varies between runs left out."""

# ruff: noqa: E402
import json
import os
import sys

sys.path[:0] = [sys.argv[2], sys.argv[2] + "/layers/core"]
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
)
for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[name]
import boto3
from moto import mock_aws

if sys.argv[1] == "fixed":
    from local import moto_fixes

    moto_fixes.apply()

VARYING = {"CreationDateTime", "LatestStreamLabel", "LatestStreamArn", "ResponseMetadata", "StreamArn"}


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k not in VARYING}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": value.hex()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


answers = []


def call(method, **kwargs):
    try:
        answers.append([method, plain(getattr(db, method)(**kwargs))])
    except db.exceptions.ClientError as error:
        answers.append([method, error.response["Error"]["Code"], error.response["Error"]["Message"]])


with mock_aws():
    db = boto3.client("dynamodb", region_name="us-east-1")
    call(
        "create_table",
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    every_type = {
        "s": {"S": "x"},
        "n": {"N": "1.50"},
        "b": {"B": b"\x00\xff"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01"]},
        "null": {"NULL": True},
        "bool": {"BOOL": False},
        "empty_map": {"M": {}},
        "empty_list": {"L": []},
        "m": {"M": {"L": {"L": [{"S": "deep"}, {"M": {"S": {"N": "3"}}}]}, "x": {"N": "0"}}},
        "List": {"L": [{"S": "named like a shape's member"}]},
        "G": {"S": "gsi"},
    }
    for n in range(3):
        call("put_item", TableName="t", Item={"PK": {"S": "p"}, "SK": {"S": f"s{n}"}, **every_type})
    call("get_item", TableName="t", Key={"PK": {"S": "p"}, "SK": {"S": "s0"}}, ReturnConsumedCapacity="TOTAL")
    call(
        "query",
        TableName="t",
        KeyConditionExpression="PK = :p",
        Limit=2,
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    call(
        "query",
        TableName="t",
        IndexName="gsi1",
        KeyConditionExpression="G = :g",
        ExpressionAttributeValues={":g": {"S": "gsi"}},
    )
    call("scan", TableName="t", FilterExpression="attribute_exists(m.x)")
    call(
        "batch_get_item",
        RequestItems={"t": {"Keys": [{"PK": {"S": "p"}, "SK": {"S": f"s{n}"}} for n in range(3)]}},
    )
    update = (
        "SET #m.x = #m.x + :one, s = if_not_exists(s, :v), l2 = list_append(if_not_exists(l2, :e), :l) "
        "ADD ns :ns, c :one REMOVE bool, #m.L[0]"
    )
    for n in range(3):  # the same expression text, other values each time
        call(
            "update_item",
            TableName="t",
            Key={"PK": {"S": "p"}, "SK": {"S": f"s{n}"}},
            UpdateExpression=update,
            ExpressionAttributeNames={"#m": "m"},
            ReturnValues="ALL_NEW",
            ExpressionAttributeValues={
                ":one": {"N": str(n + 1)},
                ":v": {"S": f"v{n}"},
                ":e": {"L": []},
                ":l": {"L": [{"N": str(n)}]},
                ":ns": {"NS": [str(10 + n)]},
            },
        )
    call(
        "update_item",
        TableName="t",
        Key={"PK": {"S": "p"}, "SK": {"S": "s0"}},
        UpdateExpression=update,
        ExpressionAttributeNames={"#m": "m"},
        ReturnValues="UPDATED_OLD",
        ExpressionAttributeValues={
            ":one": {"S": "not a number"},
            ":v": {"S": "v"},
            ":e": {"L": []},
            ":l": {"L": []},
            ":ns": {"NS": ["1"]},
        },
    )
    for _ in range(2):
        call(
            "update_item",
            TableName="t",
            Key={"PK": {"S": "p"}, "SK": {"S": "s1"}},
            UpdateExpression="SET a = :a SET b = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
        call(
            "update_item",
            TableName="t",
            Key={"PK": {"S": "p"}, "SK": {"S": "s1"}},
            UpdateExpression="SET missing.deeper = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
        call(
            "update_item",
            TableName="t",
            Key={"PK": {"S": "p"}, "SK": {"S": "s1"}},
            UpdateExpression="SET PK = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
    for n in range(2):
        call(
            "transact_write_items",
            TransactItems=[
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"PK": {"S": "p"}, "SK": {"S": "s2"}},
                        "UpdateExpression": "ADD c :one",
                        "ConditionExpression": "c < :limit",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": "4"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"PK": {"S": "q"}, "SK": {"S": str(n)}, "n": {"N": str(n)}},
                    }
                },
            ],
        )
    call(
        "transact_get_items",
        TransactItems=[{"Get": {"TableName": "t", "Key": {"PK": {"S": "p"}, "SK": {"S": "s2"}}}}],
    )
    call("delete_item", TableName="t", Key={"PK": {"S": "q"}, "SK": {"S": "0"}}, ReturnValues="ALL_OLD")
    call("describe_table", TableName="t")
    call("get_item", TableName="missing", Key={"PK": {"S": "p"}, "SK": {"S": "s0"}})
print(json.dumps(answers, sort_keys=True))
