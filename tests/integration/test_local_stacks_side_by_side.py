"""Stacks started in one process (the test suite starts several) share the embedded moto server's state:
each keeps its secrets under its own SSM path, so a second stack never replaces the first one's operator key
hash (which the first stack's functions read again when their cache expires: 401 for a valid key)."""

from __future__ import annotations

import hashlib

from local.provision import aws_client
from local.stack import LocalStack


def _stored_hash(stack: LocalStack) -> str:
    path = stack.template.parameters["ParameterPath"]
    ssm = aws_client("ssm", stack.state["endpoints"]["ssm"])
    return str(ssm.get_parameter(Name=f"{path}/operator-key-hash")["Parameter"]["Value"])


def test_a_second_stack_keeps_its_secrets_apart_from_the_first() -> None:
    first = LocalStack(port=0, state_file=None, log=lambda line: None, seed=False, stack_name="side-a")
    second = LocalStack(port=0, state_file=None, log=lambda line: None, seed=False, stack_name="side-b")
    first.start()
    try:
        second.start()
        try:
            assert first.state["operator_key"] != second.state["operator_key"]
            for stack in (first, second):
                assert _stored_hash(stack) == hashlib.sha256(stack.state["operator_key"].encode()).hexdigest()
        finally:
            second.stop()
    finally:
        first.stop()
