"""Routes can keep growing: every HTTP route is one `AWS::Lambda::Permission` the SAM transform adds, one
statement in its function's resource-based policy, and Lambda refuses a policy over 20 KB (the deploy fails).
Measured here from the translated template, each statement rendered as Lambda stores it, with long but
real names (the stack, function and statement names CloudFormation generates, a long region).

The layout: the Entity API is three functions (an entity's members and invitations apart, and the social
connections apart, which are also the only routes that need the OAuth secrets). Every function keeps at
least 30% of its policy free for the routes other work adds (the claimr and HeyMint routes already count
their `/api/v1/...` twins), and the HeyMint function must also fit eight more identity routes, twinned.
When a function outgrows its budget, move a router to a function of its own (as
`functions/entities/members_app.py` and `social_app.py` do) rather than raise the budget."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from local.template import Template

LIMIT = 20 * 1024  # bytes: Lambda's limit on a function's resource-based policy
BUDGET = int(LIMIT * 0.7)
TWINNED_BUDGET = int(LIMIT * 0.9)
STACK = "questline-production"
REGION = "ap-southeast-2"
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
RANDOM = "1ABCDEFGHIJKL"  # the suffix CloudFormation appends to the names it generates


def _statement(function: str, permission: str, source_arn: str) -> dict[str, Any]:
    name = f"{STACK}-{function}-{RANDOM}"[:64]
    return {
        "Sid": f"{STACK}-{permission}-{RANDOM}"[:100],
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }


def _source_arn(permission: dict[str, Any]) -> str:
    source = permission["Properties"]["SourceArn"]
    if "Fn::GetAtt" in source:  # a schedule's rule (EventBridge), not a route
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{STACK}-{source['Fn::GetAtt'][0]}-{RANDOM}"
    text, variables = permission["Properties"]["SourceArn"]["Fn::Sub"]
    assert variables["__Stage__"] == "*"
    values = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
    values |= {"__ApiId__": API_ID, "__Stage__": "*"}
    return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], text)


def _policy_size(statements: list[dict[str, Any]]) -> int:
    document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return len(json.dumps(document, separators=(",", ":")))


def _permissions() -> dict[str, list[tuple[str, str]]]:
    by_function: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name, resource in Template.load().of_type("AWS::Lambda::Permission").items():
        function = resource["Properties"]["FunctionName"]["Ref"]
        by_function[function].append((name, _source_arn(resource)))
    return by_function


PERMISSIONS = _permissions()


def _with_more_routes(function: str, permissions: list[tuple[str, str]], more: int) -> list[dict[str, Any]]:
    """The statements after `more` routes are added, each with its /api/v1 twin, at the longest path."""
    statements = [_statement(function, name, arn) for name, arn in permissions]
    longest = max((arn for _, arn in permissions), key=len)
    for n in range(more):
        statements += [
            _statement(function, f"IdentityRoute{n}Permission", longest),
            _statement(function, f"IdentityRoute{n}V1Permission", longest),
        ]
    return statements


def test_the_transform_adds_one_statement_per_route() -> None:
    template = Template.load()
    routes = sum(len(spec.routes) for spec in template.functions().values())
    rules = [p for p in template.of_type("AWS::Lambda::Permission").values() if _is_rule(p)]

    assert sum(len(p) for p in PERMISSIONS.values()) == routes + len(rules)


def _is_rule(permission: dict[str, Any]) -> bool:
    return str(permission["Properties"].get("Principal")) == "events.amazonaws.com"


@pytest.mark.parametrize("function", sorted(PERMISSIONS))
def test_every_function_keeps_room_in_its_resource_policy(function: str) -> None:
    statements = [_statement(function, name, arn) for name, arn in PERMISSIONS[function]]

    assert _policy_size(statements) <= BUDGET, (
        f"{function}: {_policy_size(statements)} bytes of {LIMIT} for {len(statements)} routes; "
        "move a router to a function of its own"
    )


def test_the_heymint_function_fits_eight_more_identity_routes_with_their_twins() -> None:
    statements = _with_more_routes("HeyMintFunction", PERMISSIONS["HeyMintFunction"], 8)

    assert _policy_size(statements) <= TWINNED_BUDGET, _policy_size(statements)
