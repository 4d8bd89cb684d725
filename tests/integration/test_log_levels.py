"""Log levels take effect as Lambda applies them: the template's `LogLevel` is each function's application
log level (Lambda's advanced logging controls), which the local stack hands to the function as Lambda does
(`AWS_LAMBDA_LOG_LEVEL`) and Powertools obeys before its own setting. The stream function's batch line is
INFO: it is there at INFO and gone at ERROR."""

from __future__ import annotations

import pytest

from local.provision import name_functions
from local.runtime import FunctionPool, worker_environment
from local.template import Template

# A record the stream function reads and projects nothing from (a removed item): no storage call.
REMOVED = {
    "eventID": "1",
    "eventName": "REMOVE",
    "eventSource": "aws:dynamodb",
    "dynamodb": {"Keys": {"PK": {"S": "a"}}, "OldImage": {"PK": {"S": "a"}}, "SequenceNumber": "1"},
}


@pytest.mark.parametrize(("level", "batch_line_logged"), [("INFO", True), ("ERROR", False)])
def test_the_log_level_parameter_filters_what_a_function_logs(level: str, batch_line_logged: bool) -> None:
    template = Template.load()
    template.set_parameters({"Stage": "local", "LogLevel": level})
    name_functions(template)
    spec = template.functions()["StreamFunction"]
    lines: list[str] = []
    pool = FunctionPool(
        spec,
        worker_environment(spec, template.environment_of(spec), {"dynamodb": "http://127.0.0.1:9"}),
        lambda function, line: lines.append(line),
        max_workers=1,
    )
    try:
        outcome = pool.invoke({"Records": [REMOVED]})
    finally:
        pool.close()

    assert outcome.ok and outcome.result == {"batchItemFailures": []}
    assert any('"message":"stream batch done"' in line for line in lines) is batch_line_logged
