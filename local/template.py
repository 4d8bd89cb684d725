"""Read template.yaml as SAM would: CloudFormation tags, parameters, conditions, Globals merged into each
function, and the intrinsic functions the template uses, resolved against the local resources.

Everything the local stack runs comes from here: which functions exist, their code, handler, timeout,
memory and environment, their HTTP routes, and their stream and queue event-source mappings.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


# --- YAML with CloudFormation short-form tags -----------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _short in ("Ref", "Condition"):
    _Loader.add_constructor(f"!{_short}", _tag(_short))
for _short in (
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "ImportValue",
    "GetAZs",
):
    _Loader.add_constructor(f"!{_short}", _tag(f"Fn::{_short}"))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as data: parsed once per version of the file (tests load it thousands of times)."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass with CFN tags only


# --- specs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class StreamSource:
    name: str
    table: str  # logical id of the table whose stream feeds the function
    batch_size: int
    batching_window: float
    starting_position: str
    maximum_retry_attempts: int
    bisect_on_error: bool
    report_item_failures: bool
    filters: list[dict[str, Any]]
    on_failure_queue: str | None  # logical id


@dataclass
class QueueSource:
    name: str
    queue: str  # logical id
    batch_size: int
    batching_window: float
    report_item_failures: bool
    filters: list[dict[str, Any]]
    maximum_concurrency: int | None


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory: int
    environment: dict[str, Any]  # unresolved: intrinsic functions left for `Template.resolve`
    layers: list[Path]
    routes: list[HttpRoute] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    queues: list[QueueSource] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return re.sub(r"Function$", "", self.logical_id)


# --- the template ---------------------------------------------------------------------------------


class Template:
    def __init__(
        self, document: dict[str, Any], *, root: Path = ROOT, stack_name: str = "questline-local"
    ) -> None:
        self.document = document
        self.root = root
        self.stack_name = stack_name
        self.resources: dict[str, dict[str, Any]] = document.get("Resources", {})
        self.parameters: dict[str, Any] = {
            name: spec.get("Default") for name, spec in document.get("Parameters", {}).items()
        }
        # Physical ids and attributes of provisioned resources: {logical id: {"Ref": …, "Arn": …}}.
        self.physical: dict[str, dict[str, Any]] = {}

    @classmethod
    def load(cls, path: Path = TEMPLATE, **kwargs: Any) -> Template:
        return cls(load_template(path), root=path.parent, **kwargs)

    def set_parameters(self, overrides: Mapping[str, Any]) -> None:
        unknown = set(overrides) - set(self.parameters)
        if unknown:
            raise KeyError(f"template has no parameter(s) {sorted(unknown)}")
        self.parameters.update(overrides)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r.get("Type") == resource_type}

    # intrinsic functions

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per intrinsic
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        ((key, arg),) = value.items()
        if key == "Ref":
            return self._ref(arg)
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self._attribute(logical, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(v) for v in arg)
        if key == "Fn::Or":
            return any(self.resolve(v) for v in arg)
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Join":
            separator, parts = arg
            return str(separator).join(str(self.resolve(p)) for p in self.resolve(parts))
        if key == "Fn::Select":
            index, items = arg
            return self.resolve(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            separator, text = arg
            return str(self.resolve(text)).split(separator)
        return {key: self.resolve(arg)}

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }.get(name)

    def _ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        return self._attribute(name, "Ref")

    def _attribute(self, logical: str, attribute: str) -> Any:
        if logical not in self.resources:
            raise KeyError(f"template has no resource {logical}")
        attributes = self.physical.get(logical, {})
        if attribute not in attributes:
            # Resources the local stack does not provision (log groups, the API itself) get stable fakes.
            return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{logical}/{attribute}"
        return attributes[attribute]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self._attribute(logical, attribute))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    # functions

    def functions(self) -> dict[str, FunctionSpec]:
        globals_ = self.document.get("Globals", {}).get("Function", {})
        specs: dict[str, FunctionSpec] = {}
        for logical, resource in self.of_type("AWS::Serverless::Function").items():
            props = _merge_globals(globals_, resource.get("Properties", {}))
            layers = [self._layer_dir(layer) for layer in props.get("Layers", [])]
            spec = FunctionSpec(
                logical_id=logical,
                code_dir=(self.root / props["CodeUri"]).resolve(),
                handler=props["Handler"],
                runtime=props.get("Runtime", "python3.13"),
                timeout=int(props.get("Timeout", 3)),
                memory=int(props.get("MemorySize", 128)),
                environment=dict(props.get("Environment", {}).get("Variables", {})),
                layers=[layer for layer in layers if layer is not None],
            )
            for name, event in props.get("Events", {}).items():
                self._add_event(spec, name, event)
            specs[logical] = spec
        return specs

    def environment_of(self, spec: FunctionSpec) -> dict[str, str]:
        resolved = {}
        for key, raw in spec.environment.items():
            value = self.resolve(raw)
            if value is None:
                continue
            resolved[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return resolved

    def _layer_dir(self, layer: Any) -> Path | None:
        if isinstance(layer, dict) and "Ref" in layer and layer["Ref"] in self.resources:
            content = self.resources[layer["Ref"]]["Properties"]["ContentUri"]
            return (self.root / content).resolve()
        return None  # a layer from outside the template (an ARN) has nothing to run locally

    def _add_event(self, spec: FunctionSpec, name: str, event: dict[str, Any]) -> None:
        kind = event.get("Type")
        props = event.get("Properties", {})
        if kind == "HttpApi":
            spec.routes.append(
                HttpRoute(method=str(props.get("Method", "ANY")).upper(), path=props.get("Path", "$default"))
            )
        elif kind == "DynamoDB":
            destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            spec.streams.append(
                StreamSource(
                    name=name,
                    table=_logical_of(props["Stream"]),
                    batch_size=int(props.get("BatchSize", 100)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    starting_position=props.get("StartingPosition", "LATEST"),
                    maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    filters=_filters(props),
                    on_failure_queue=_logical_of(destination) if destination else None,
                )
            )
        elif kind == "SQS":
            spec.queues.append(
                QueueSource(
                    name=name,
                    queue=_logical_of(props["Queue"]),
                    batch_size=int(props.get("BatchSize", 10)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    filters=_filters(props),
                    maximum_concurrency=props.get("ScalingConfig", {}).get("MaximumConcurrency"),
                )
            )


def _merge_globals(globals_: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's rule: maps merge (the function wins), lists add up (globals first), scalars are replaced."""
    merged: dict[str, Any] = copy.deepcopy(dict(globals_))
    for key, value in props.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = _merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + value
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


def _logical_of(reference: Any) -> str:
    """The logical id inside `!GetAtt X.Arn`, `!GetAtt X.StreamArn` or `!Ref X`."""
    if isinstance(reference, dict):
        if "Fn::GetAtt" in reference:
            target = reference["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
        if "Ref" in reference:
            return str(reference["Ref"])
    raise ValueError(f"cannot tell which resource {reference!r} names")


def _filters(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
