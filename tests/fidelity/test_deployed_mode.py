"""The integration tests pointed at a deployed stack (`QUESTLINE_TEST_STACK=deployed`), proven without an
account: a local stack stands in for the deployed one, described only as `ops.deploy` describes a real
one (its CloudFormation outputs in a file, its operator key in the environment, boto3's endpoints from the
standard `AWS_ENDPOINT_URL_*` variables). `make prove` runs the same tests against a real stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local.stack import LocalStack
from local.template import ROOT
from ops.prove import PROOF_TESTS


def test_the_proof_tests_pass_against_a_stack_known_only_by_its_outputs(tmp_path: Path) -> None:
    stack = LocalStack(port=0, state_file=None, log=lambda line: None, seed=False, stack_name="as-deployed")
    state = stack.start()
    try:
        outputs = {
            "ApiUrl": state["api_url"] + "/",
            "TableName": state["table_name"],
            "WebhookQueueUrl": state["queues"]["WebhookQueue"],
            "WebhookDeadLetterQueueUrl": state["queues"]["WebhookDeadLetterQueue"],
            "StreamFailureQueueUrl": state["queues"]["StreamFailureQueue"],
        }
        described = tmp_path / "stack-proof.json"
        described.write_text(json.dumps({"stack_name": "as-deployed", "outputs": outputs}))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "QUESTLINE_"))},
            "QUESTLINE_TEST_STACK": "deployed",
            "QUESTLINE_STACK_OUTPUTS": str(described),
            "QUESTLINE_OPERATOR_KEY": state["operator_key"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            **{f"AWS_ENDPOINT_URL_{s.upper()}": url for s, url in state["endpoints"].items()},
        }
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *PROOF_TESTS, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        # This stack seeded nothing itself: the entities in its table are the tests' (they used it).
        items = stack.client("dynamodb").scan(TableName=state["table_name"])["Items"]
        entities = [i for i in items if i.get("type", {}).get("S") == "entity"]
    finally:
        stack.stop()

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert len(entities) >= 2  # the seeded demo entity and the tests' second tenant
