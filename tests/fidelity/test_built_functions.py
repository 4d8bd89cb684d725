"""The built functions as Lambda runs them (docs/operate/fidelity.md): each environment's exact parameter
values (samconfig.toml, `Stage` included), python3.13, the built layer, the runtime's boto3 alone.

* every function imports (its cold start) under dev's and prod's values: prod traces, and a tracer whose
  SDK is not in the layer fails every function at import;
* nothing of the developer's environment can be imported there, while the layer's packages can;
* with tracing on, each invocation's trace reaches the X-Ray daemon's address, without the answer in it (a
  large answer would lose the trace, and answers carry keys and personal data)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from local import fidelity
from local.runtime import FunctionPool, worker_environment
from local.template import FunctionSpec
from tests.fidelity.conftest import built_template

PROBE = Path(__file__).with_name("probe")
NO_SERVICE = {"dynamodb": "http://127.0.0.1:9", "sqs": "http://127.0.0.1:9", "ssm": "http://127.0.0.1:9"}


def _pool(template: Any, spec: FunctionSpec, env: dict[str, str] | None = None) -> FunctionPool:
    interpreter = fidelity.interpreter()
    environment = worker_environment(spec, template.environment_of(spec), NO_SERVICE, interpreter)
    return FunctionPool(
        spec, {**environment, **(env or {})}, lambda f, line: None, max_workers=1, interpreter=interpreter
    )


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_built_function_imports(environment: str, built: Path) -> None:
    template = built_template(environment, built)
    failures = {}
    for logical, spec in template.functions().items():
        assert Path(spec.code_dir).is_relative_to(built.parent), logical  # the build, not the source tree
        pool = _pool(template, spec)
        try:
            error = pool.warm()
        finally:
            pool.close()
        if error is not None:
            failures[logical] = error["errorMessage"]

    assert failures == {}


def test_only_the_layer_and_the_runtime_can_be_imported(built: Path) -> None:
    template = built_template("prod", built)
    spec = template.functions()["PlatformFunction"]
    probe = FunctionSpec(
        **{**spec.__dict__, "logical_id": "ProbeFunction", "code_dir": PROBE, "handler": "app.probe"}
    )
    pool = _pool(template, probe)
    modules = ["moto", "pytest", "requests", "yaml", "samtranslator", "local", "aws_xray_sdk"]
    modules += ["boto3", "botocore", "pydantic", "pydantic_core", "aws_lambda_powertools", "questline"]
    try:
        outcome = pool.invoke({"modules": modules})
    finally:
        pool.close()

    assert outcome.ok, outcome.error
    found = outcome.result["modules"]
    layer, runtime = str(built.parent / "CoreLayer" / "python"), str(fidelity.RUNTIME)
    assert outcome.result["version"] == [3, 13]
    assert [m for m in ("moto", "pytest", "requests", "yaml", "samtranslator", "local") if found[m]] == []
    for name in ("pydantic", "pydantic_core", "aws_lambda_powertools", "questline", "aws_xray_sdk"):
        assert found[name] and found[name]["file"].startswith(layer), (name, found[name])
    # The layer carries boto3 (docs/operate/fidelity.md): it comes before the runtime's, as on Lambda.
    for name in ("boto3", "botocore"):
        assert found[name] and found[name]["file"].startswith(layer), (name, found[name])
    path = outcome.result["path"]
    assert path.index(runtime) > path.index(layer)
    pinned = fidelity.RUNTIME_REQUIREMENTS.read_text().split("boto3==")[1].split()[0]
    assert (fidelity.RUNTIME / f"boto3-{pinned}.dist-info").is_dir()
    assert not [p for p in path if ".venv" in p or ("site-packages" in p and layer not in p)]


def test_with_tracing_on_each_invocation_reaches_the_xray_daemon(built: Path) -> None:
    template = built_template("prod", built)
    spec = template.functions()["PlatformFunction"]
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(10)
    port = daemon.getsockname()[1]
    address = {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}", "_AWS_XRAY_DAEMON_PORT": str(port)}
    pool = _pool(template, spec, address)
    event = json.loads((fidelity.ROOT / "events" / "platform_openapi.json").read_text())
    try:
        outcome = pool.invoke(event)
        datagram = daemon.recv(65536).decode()
    finally:
        pool.close()
        daemon.close()

    assert outcome.ok and outcome.result["statusCode"] == 200
    assert len(outcome.result["body"]) > 65536  # the OpenAPI document: more than a datagram holds
    header, _, segment = datagram.partition("\n")
    assert json.loads(header) == {"format": "json", "version": 1}
    assert json.loads(segment)["trace_id"].startswith("1-")
    assert '"openapi"' not in segment
