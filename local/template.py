"""Read template.yaml as `sam deploy` has CloudFormation read it: the SAM transform (aws-sam-translator, the
library the Serverless transform runs) turns it into plain CloudFormation, and the local stack runs what
that describes: the `AWS::Lambda::Function`s (Globals merged by the translator), the routes of the HTTP
API's generated OpenAPI body and their integrations, the `AWS::Lambda::EventSourceMapping`s, the tables
and queues.

What the transform leaves to CloudFormation (parameter values, conditions, `Ref`/`Fn::GetAtt`/`Fn::Sub`/
`Fn::If` against the resources the local stack provisions) is resolved here, as CloudFormation resolves it
after the transform. The transform itself runs once per template text (it takes seconds), with the
parameters' defaults: Questline's template has nothing whose translation depends on a parameter's value.
Its result is also kept on disk (`.questline/cache/`, keyed by the template text, the parameters and the
translator's version), so that every process after the first (test workers, a restarted stack) skips it.

A template's local code locations (`CodeUri`, `ContentUri`) are handed to the translator as
`s3://questline-local/<path>`, as `sam` does before it transforms, and mapped back to folders afterwards.
The same reader serves the source tree and a `sam build` output (`.aws-sam/build/template.yaml`, whose code
locations are the built folders); a built layer's packages are under `python/`, as Lambda extracts them to
`/opt/python`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LOCAL_BUCKET = "questline-local"  # stands in for the S3 bucket `sam deploy` uploads code to
API_GATEWAY_TIMEOUT_MS = 30_000  # an HTTP API integration's default (and maximum) timeout

_PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as written (SAM), CloudFormation's short-form tags read as intrinsic functions by the
    translator's own YAML reader; parsed once per version of the file (tests load it thousands of times)."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    document: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return document


# --- specs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    timeout_ms: int = API_GATEWAY_TIMEOUT_MS  # the integration's timeout: API Gateway answers 503 after it

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
    environment: dict[str, Any]  # unresolved: intrinsic functions left for `Template.environment_of`
    layers: list[Path]  # import paths, as Lambda puts each layer's /opt/python on sys.path
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None
    tracing: str = "PassThrough"
    routes: list[HttpRoute] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    queues: list[QueueSource] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return re.sub(r"Function$", "", self.logical_id)


# --- the transform ----------------------------------------------------------------------------------

# fingerprint: the translation as JSON (json.loads copies it faster than deepcopy)
_translated: dict[str, str] = {}
_translate_lock = threading.Lock()
TRANSLATION_CACHE = ROOT / ".questline" / "cache"


def _local_code_to_s3(document: dict[str, Any]) -> None:
    places = [((document.get("Globals") or {}).get("Function") or {}, "CodeUri")]
    for resource in document.get("Resources", {}).values():
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(
            resource.get("Type", "")
        )
        if key:
            places.append((resource.get("Properties") or {}, key))
    for props, key in places:
        if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = f"s3://{LOCAL_BUCKET}/{props[key]}"


def translate(document: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The SAM template as CloudFormation receives it from the Serverless transform."""
    sam = copy.deepcopy(document)
    _local_code_to_s3(sam)
    from samtranslator import __version__ as translator_version

    fingerprint = hashlib.sha256(
        json.dumps([sam, dict(parameters), translator_version], sort_keys=True, default=str).encode()
    ).hexdigest()
    with _translate_lock:
        if fingerprint not in _translated:
            cached = TRANSLATION_CACHE / f"template-{fingerprint[:32]}.json"
            try:
                text = cached.read_text()
                json.loads(text)
            except (OSError, ValueError):  # not there yet, or unreadable: translate (and keep it)
                text = json.dumps(_run_translator(sam, parameters))
                _write_atomically(cached, text)
            _translated[fingerprint] = text
        return dict(json.loads(_translated[fingerprint]))


def _run_translator(sam: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    values = {**_PSEUDO, "AWS::StackName": "questline", "AWS::StackId": "local", **parameters}
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    # Only inline policies: nothing asks for a managed policy's ARN by name.
    translated: dict[str, Any] = translator.translate(
        sam, parameter_values=values, get_managed_policy_map=dict
    )
    return translated


def _write_atomically(path: Path, text: str) -> None:
    """Best effort (a read-only checkout still works): write beside, then rename into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_text(text)
        partial.replace(path)
    except OSError:
        pass


# --- the template ---------------------------------------------------------------------------------


class Template:
    def __init__(
        self, document: dict[str, Any], *, root: Path = ROOT, stack_name: str = "questline-local"
    ) -> None:
        self.document = document  # as written (SAM)
        self.root = root
        self.stack_name = stack_name
        self.parameters: dict[str, Any] = {
            name: spec.get("Default") for name, spec in document.get("Parameters", {}).items()
        }
        given = {k: v for k, v in self.parameters.items() if v is not None}
        self.cloudformation = translate(document, given)  # what CloudFormation creates the stack from
        self.resources: dict[str, dict[str, Any]] = self.cloudformation.get("Resources", {})
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

    # intrinsic functions, as CloudFormation resolves them

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.cloudformation.get("Conditions", {})[name]))

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

    def _ref(self, name: str) -> Any:
        if name == "AWS::StackName":
            return self.stack_name
        if name.startswith("AWS::"):
            return _PSEUDO.get(name)
        if name in self.parameters:
            return self.parameters[name]
        return self._attribute(name, "Ref")

    def _attribute(self, logical: str, attribute: str) -> Any:
        if logical not in self.resources:
            raise KeyError(f"template has no resource {logical}")
        attributes = self.physical.get(logical, {})
        if attribute not in attributes:
            # Resources the local stack does not provision (log groups, roles) get stable stand-ins.
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
        specs: dict[str, FunctionSpec] = {}
        for logical, resource in self.of_type("AWS::Lambda::Function").items():
            props = resource.get("Properties", {})
            logging_config = self.resolve(props.get("LoggingConfig") or {})
            specs[logical] = FunctionSpec(
                logical_id=logical,
                code_dir=self._code_dir(props["Code"]),
                handler=props["Handler"],
                runtime=str(self.resolve(props.get("Runtime", "python3.13"))),
                timeout=int(self.resolve(props.get("Timeout", 3))),
                memory=int(self.resolve(props.get("MemorySize", 128))),
                environment=dict((props.get("Environment") or {}).get("Variables", {})),
                layers=[path for layer in props.get("Layers", []) for path in self._layer_paths(layer)],
                architectures=list(self.resolve(props.get("Architectures", ["x86_64"]))),
                log_format=str(logging_config.get("LogFormat", "Text")),
                application_log_level=logging_config.get("ApplicationLogLevel"),
                system_log_level=logging_config.get("SystemLogLevel"),
                log_group=logging_config.get("LogGroup"),
                tracing=str(self.resolve((props.get("TracingConfig") or {}).get("Mode", "PassThrough"))),
            )
        for route, function in self._routes():
            specs[function].routes.append(route)
        for logical, mapping in self.of_type("AWS::Lambda::EventSourceMapping").items():
            self._add_mapping(specs, logical, mapping.get("Properties", {}))
        return specs

    def environment_of(self, spec: FunctionSpec) -> dict[str, str]:
        resolved = {}
        for key, raw in spec.environment.items():
            value = self.resolve(raw)
            if value is None:
                continue
            resolved[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return resolved

    def cors(self) -> dict[str, Any] | None:
        """The HTTP API's CORS configuration as the translator wrote it into the API's body."""
        for api in self.of_type("AWS::ApiGatewayV2::Api").values():
            props = api.get("Properties", {})
            found = (props.get("Body") or {}).get("x-amazon-apigateway-cors") or props.get(
                "CorsConfiguration"
            )
            if found:
                return dict(self.resolve(found))
        return None

    def _local_path(self, bucket: Any, key: Any) -> Path:
        if bucket != LOCAL_BUCKET:
            raise ValueError(f"code at s3://{bucket}/{key} is not in this folder: nothing to run locally")
        return (self.root / str(key)).resolve()

    def _code_dir(self, code: Mapping[str, Any]) -> Path:
        return self._local_path(code.get("S3Bucket"), code.get("S3Key"))

    def _layer_paths(self, layer: Any) -> list[Path]:
        target = layer.get("Ref") if isinstance(layer, dict) else None
        resource = self.resources.get(str(target)) if target else None
        if resource is None or resource.get("Type") != "AWS::Lambda::LayerVersion":
            return []  # a layer from outside the template (an ARN) has nothing to run locally
        content = resource["Properties"]["Content"]
        folder = self._local_path(content.get("S3Bucket"), content.get("S3Key"))
        built = folder / "python"
        if not built.is_dir():
            return [folder]  # the source tree: the package sits at the folder's top
        return [built, *sorted(built.glob("lib/python3*/site-packages"))]

    def _routes(self) -> list[tuple[HttpRoute, str]]:
        found: list[tuple[HttpRoute, str]] = []
        for api in self.of_type("AWS::ApiGatewayV2::Api").values():
            body = (api.get("Properties") or {}).get("Body") or {}
            for path, operations in body.get("paths", {}).items():
                for method, operation in operations.items():
                    integration = (operation or {}).get("x-amazon-apigateway-integration")
                    if not integration:
                        continue
                    verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                    timeout = int(integration.get("timeoutInMillis", API_GATEWAY_TIMEOUT_MS))
                    found.append((HttpRoute(verb, path, timeout), _integrated_function(integration)))
        return found

    def _add_mapping(self, specs: dict[str, FunctionSpec], logical: str, props: Mapping[str, Any]) -> None:
        function = _logical_of(props["FunctionName"])
        source, attribute = _target_of(props["EventSourceArn"])
        name = logical.removeprefix(function) or logical
        filters = [json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])]
        report = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        if attribute == "StreamArn":
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            specs[function].streams.append(
                StreamSource(
                    name=name,
                    table=source,
                    batch_size=int(props.get("BatchSize", 100)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    starting_position=props.get("StartingPosition", "LATEST"),
                    maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                    report_item_failures=report,
                    filters=filters,
                    on_failure_queue=_target_of(destination)[0] if destination else None,
                )
            )
        else:
            specs[function].queues.append(
                QueueSource(
                    name=name,
                    queue=source,
                    batch_size=int(props.get("BatchSize", 10)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    report_item_failures=report,
                    filters=filters,
                    maximum_concurrency=(props.get("ScalingConfig") or {}).get("MaximumConcurrency"),
                )
            )


def _integrated_function(integration: Mapping[str, Any]) -> str:
    """The function an `aws_proxy` integration's URI names: `…/functions/${Name.Arn}/invocations`."""
    uri = integration.get("uri")
    text = uri.get("Fn::Sub") if isinstance(uri, dict) else uri
    if isinstance(text, list):
        text = text[0]
    found = re.search(r"/functions/\$\{(\w+)\.Arn\}/invocations", str(text))
    if not found:
        raise ValueError(f"cannot tell which function the integration {uri!r} invokes")
    return found.group(1)


def _logical_of(reference: Any) -> str:
    return _target_of(reference)[0]


def _target_of(reference: Any) -> tuple[str, str]:
    """(logical id, attribute) named by `!GetAtt X.Arn`, `!GetAtt X.StreamArn` or `!Ref X`."""
    if isinstance(reference, dict):
        if "Fn::GetAtt" in reference:
            target = reference["Fn::GetAtt"]
            logical, attribute = target if isinstance(target, list) else str(target).split(".", 1)
            return str(logical), str(attribute)
        if "Ref" in reference:
            return str(reference["Ref"]), "Ref"
    raise ValueError(f"cannot tell which resource {reference!r} names")
