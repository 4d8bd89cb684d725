"""A stack deployed on AWS, standing in for the local stack in the integration tests
(`QUESTLINE_TEST_STACK=deployed`; docs/operate/fidelity.md, "On a real account").

Where it is comes from the stack's outputs, as `ops.deploy` writes them (`QUESTLINE_STACK_OUTPUTS`, default
`.questline/stack-dev.json`); the operator key from `QUESTLINE_OPERATOR_KEY` (the one `make deploy` printed,
or a fresh one whose hash you stored). Like the local stack, it seeds a demo platform user, entity, keys and
campaign through the API. AWS clients are boto3's, with your credentials and region (or the endpoints in
`AWS_ENDPOINT_URL_*`, as for any boto3 client)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from local.stack import seed_through_api
from local.template import ROOT

DEFAULT_OUTPUTS = ROOT / ".questline" / "stack-dev.json"


def state_from_outputs(outputs: dict[str, str], operator_key: str) -> dict[str, Any]:
    """What the tests read from a stack's state, from CloudFormation's outputs of template.yaml."""
    return {
        "api_url": outputs["ApiUrl"].rstrip("/"),
        "operator_key": operator_key,
        "table_name": outputs["TableName"],
        "queues": {
            "WebhookQueue": outputs["WebhookQueueUrl"],
            "WebhookDeadLetterQueue": outputs["WebhookDeadLetterQueueUrl"],
            "StreamFailureQueue": outputs["StreamFailureQueueUrl"],
        },
    }


class DeployedStack:
    def __init__(self, outputs: dict[str, str], operator_key: str) -> None:
        self.state = state_from_outputs(outputs, operator_key)
        self.state.update(seed_through_api(self.state["api_url"], operator_key))
        self.logs: list[str] = []  # CloudWatch holds a deployed stack's logs
        self.template = None
        self.pools: dict[str, Any] = {}

    @classmethod
    def from_environment(cls) -> DeployedStack:
        path = Path(os.environ.get("QUESTLINE_STACK_OUTPUTS", str(DEFAULT_OUTPUTS)))
        key = os.environ.get("QUESTLINE_OPERATOR_KEY", "")
        if not path.exists() or not key.startswith("op_"):
            raise RuntimeError(
                f"QUESTLINE_TEST_STACK=deployed needs the stack's outputs ({path}: `make deploy` writes it) "
                "and QUESTLINE_OPERATOR_KEY"
            )
        return cls(json.loads(path.read_text(encoding="utf-8"))["outputs"], key)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service)
