"""Run one function of the template on a sample event, as `sam local invoke` does, against a running local
stack's table and queues (what `python -m local invoke` and `make invoke` do).

A function is named by its logical id (`ClaimrUsersFunction`), its short name (`ClaimrUsers`) or the
prefix its sample events carry (`claimr_users`, `heymint`); without a name, the function whose route the
event's `routeKey` names runs it (an HTTP API event), or else the one its file name's prefix says.
Placeholders are filled as `local.events.Placeholders` describes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from local.events import Placeholders, event_path, load_event
from local.provision import aws_client, name_functions
from local.runtime import FunctionPool, Invocation, worker_environment
from local.stack import call_api
from local.template import FunctionSpec, Template


def _normalized(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def find_function(specs: dict[str, FunctionSpec], name: str | None, event: str | Path) -> str:
    """The logical id `name` means; without a name, the function serving the event's route, or else the one
    whose prefix the event's file carries."""
    if name:
        for logical, spec in specs.items():
            if _normalized(name) in (_normalized(logical), _normalized(spec.short_name)):
                return logical
        raise LookupError(f"no function {name!r}; the template has {', '.join(sorted(specs))}")
    route_key = load_event(event).get("routeKey")
    serving = [
        logical for logical, spec in specs.items() if any(r.route_key == route_key for r in spec.routes)
    ]
    if route_key and len(serving) == 1:
        return serving[0]
    stem = _normalized(event_path(event).stem)
    matching = [logical for logical, spec in specs.items() if stem.startswith(_normalized(spec.short_name))]
    if not matching:
        raise LookupError(f"which function is {event} for? name one: FUNCTION=… ({', '.join(sorted(specs))})")
    return max(matching, key=lambda logical: len(specs[logical].short_name))


class Invoker:
    """Invokes the template's functions against the resources a running stack's state names."""

    def __init__(self, state: dict[str, Any], *, log: Callable[[str], None] = print) -> None:
        self.state = state
        self.log = log
        self.template = Template.load()
        parameters = {
            "Stage": "local",
            "OperatorKeyHash": hashlib.sha256(state["operator_key"].encode()).hexdigest(),
        }
        self.template.set_parameters({k: v for k, v in parameters.items() if k in self.template.parameters})
        self.template.set_parameters(state.get("parameters", {}))
        self._attach()
        self.specs = self.template.functions()
        self.placeholders = Placeholders(state, self._call, log=log)
        self._pools: dict[str, FunctionPool] = {}

    def _call(self, method: str, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
        return call_api(self.state["api_url"], method, path, headers, body)

    def _attach(self) -> None:
        """Point the template at the running stack's resources (names from its state)."""
        endpoints = self.state["endpoints"]
        table = self.state["table_name"]
        description = aws_client("dynamodb", endpoints["dynamodb"]).describe_table(TableName=table)["Table"]
        self.template.physical["Table"] = {
            "Ref": table,
            "Arn": description["TableArn"],
            "StreamArn": description.get("LatestStreamArn"),
        }
        sqs = aws_client("sqs", endpoints["sqs"])
        for logical, url in self.state["queues"].items():
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.template.physical[logical] = {
                "Ref": url,
                "QueueUrl": url,
                "Arn": arn,
                "QueueName": url.rsplit("/", 1)[-1],
            }
        name_functions(self.template)

    def _pool(self, logical: str) -> FunctionPool:
        if logical not in self._pools:
            spec = self.specs[logical]
            env = worker_environment(spec, self.template.environment_of(spec), self.state["endpoints"])
            self._pools[logical] = FunctionPool(
                spec, env, lambda name, line: self.log(f"[{name}] {line}"), max_workers=1
            )
        return self._pools[logical]

    def invoke(
        self, function: str | None, event: str | Path, values: Mapping[str, str] | None = None
    ) -> tuple[str, Invocation]:
        """Answers the function's logical id and what the invocation returned. `values` fill placeholders
        before anything else does."""
        logical = find_function(self.specs, function, event)
        payload = load_event(event, self.placeholders.for_event(event, values))
        return logical, self._pool(logical).invoke(payload)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools = {}
