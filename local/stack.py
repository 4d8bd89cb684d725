"""The whole system on 127.0.0.1, from template.yaml: backends, table and queues, function pools, the HTTP
API, the stream and queue event-source mappings, and a seeded operator key and demo entity.

Seeding goes through the Entity API over HTTP, as a client would: the operator creates a platform user, the
user creates the demo entity (enabled at once locally) and its `sk_` and `pk_` keys.

With a data folder (what `python -m local` uses: `.questline/data/<backend>/`), the tables, queues and
seeded credentials survive a restart; without one (tests), everything lives as long as the stack. Until it
is seeded, `GET /health` answers 503 `starting`; then the state file is written (atomically) and the
stack is ready. `stop()` lets the requests in flight finish before anything else stops."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from local import state as published
from local.backends import DynamoDBLocal, MotoBackend
from local.esm import QueueMapping, StreamMapping
from local.gateway import Cors, Gateway, Router
from local.persistence import DataFolder, MotoSnapshots
from local.provision import aws_client, create_queues, create_tables, name_functions, store_secrets
from local.runtime import FunctionPool, Interpreter, worker_environment
from local.template import ROOT, TEMPLATE, FunctionSpec, Template

STATE_FILE = published.STATE_FILE
BACKENDS = ("moto", "dynamodb-local")


def _operator_key() -> tuple[str, str]:
    import secrets

    key = "op_" + secrets.token_urlsafe(32)
    return key, _hash(key)


def _hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


class StaleData(Exception):
    """The data folder's seeded credentials do not work on its data."""


class LocalStack:
    def __init__(
        self,
        *,
        backend: str = "moto",
        host: str = "127.0.0.1",
        port: int = 3000,
        template_path: Path = TEMPLATE,
        state_file: Path | None = STATE_FILE,
        log: Callable[[str], None] = print,
        function_logs: bool = True,
        visibility_timeout: int | None = 3,
        max_workers: int = 4,
        parameter_overrides: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        interpreter: Interpreter | None = None,
        seed: bool = True,
        stack_name: str = "questline-local",
        data_dir: Path | None = None,
        fresh: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}")
        self.backend_name = backend
        self.host = host
        self.port = port
        self.template_path = template_path
        self.state_file = state_file
        self.log = log
        self.function_logs = function_logs
        self.visibility_timeout = visibility_timeout
        self.max_workers = max_workers
        self.parameter_overrides = dict(parameter_overrides or {})
        # Stored under the stack's ParameterPath in (moto's) SSM, where the functions read them at run time.
        self.secrets = dict(secrets or {})
        # None: the source tree in this Python; local.fidelity's: the sam build output as Lambda runs it.
        self.interpreter = interpreter
        self.seed = seed
        # Resource names derive from it. moto keeps its state per process: two stacks started in one
        # process (as tests do) need different names.
        self.stack_name = stack_name
        self.data_dir = data_dir
        self.fresh = fresh
        self.data: DataFolder | None = None
        self.template: Template | None = None
        self.pools: dict[str, FunctionPool] = {}
        self.mappings: list[StreamMapping | QueueMapping] = []
        self.gateway: Gateway | None = None
        self._moto: MotoBackend | None = None
        self._dynamodb_local: DynamoDBLocal | None = None
        self._snapshots: MotoSnapshots | None = None
        self.endpoints: dict[str, str] = {}
        self.state: dict[str, Any] = {}
        self._log_lock = threading.Lock()

    # lifecycle

    def start(self) -> dict[str, Any]:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, Any]:
        started = time.monotonic()
        if self.data_dir is not None:
            self.data = DataFolder(self.data_dir, fresh=self.fresh)
        kept = self.data.seeded() if self.data is not None else None
        self._moto = MotoBackend()
        dynamodb_url = self._moto.url
        if self.backend_name == "dynamodb-local":
            if self.data is not None:
                self._dynamodb_local = DynamoDBLocal(db_path=self.data.dynamodb_local)
            else:
                self._dynamodb_local = DynamoDBLocal()
            dynamodb_url = self._dynamodb_local.url
        self.endpoints = {
            "dynamodb": dynamodb_url,
            "dynamodbstreams": dynamodb_url,
            "sqs": self._moto.url,
            "ssm": self._moto.url,
        }
        positions = self._restore()

        operator_key = kept["operator_key"] if kept else _operator_key()[0]
        template = Template.load(self.template_path, stack_name=self.stack_name)
        # Each stack its own SSM path: stacks in one process share the embedded moto server's state.
        local = {"Stage": "local", "ParameterPath": f"/{self.stack_name}"}
        template.set_parameters({k: v for k, v in local.items() if k in template.parameters})
        template.set_parameters(self.parameter_overrides)
        store_secrets(
            template,
            aws_client("ssm", self._moto.url),
            operator_key_hash=_hash(operator_key),
            secrets=self.secrets,
        )
        create_tables(template, aws_client("dynamodb", dynamodb_url), keep_existing=self.data is not None)
        create_queues(template, aws_client("sqs", self._moto.url), visibility_timeout=self.visibility_timeout)
        name_functions(template)
        self.template = template

        specs = template.functions()
        router = Router()
        for logical, spec in specs.items():
            env = worker_environment(spec, template.environment_of(spec), self.endpoints, self.interpreter)
            self.pools[logical] = FunctionPool(
                spec, env, self._function_log, max_workers=self.max_workers, interpreter=self.interpreter
            )
            for route in spec.routes:
                router.add(route, self.pools[logical])
        self.gateway = Gateway(
            router, host=self.host, port=self.port, cors=self._cors(template), access_log=self._access_log
        )
        self.gateway.start()
        self._start_mappings(template, specs, positions)
        if self._snapshots is not None:
            self._snapshots.start()

        self.state = {
            "api_url": self.gateway.url,
            "pid": os.getpid(),
            "operator_key": operator_key,
            "backend": self.backend_name,
            "endpoints": self.endpoints,
            "table_name": template.physical.get("Table", {}).get("Ref"),
            "queues": {
                logical: attributes["QueueUrl"]
                for logical, attributes in template.physical.items()
                if "QueueUrl" in attributes
            },
        }
        # what `invoke` needs to run a function as this stack runs it
        path = (
            {"ParameterPath": template.parameters["ParameterPath"]}
            if "ParameterPath" in template.parameters
            else {}
        )
        self.state["parameters"] = {**path, **self.parameter_overrides}
        if self.data is not None:
            self.state["data"] = str(self.data.path)
        if self.seed:
            self.state.update(self._seeded(self.gateway.url, operator_key, kept))
        self.state["started_in_seconds"] = round(time.monotonic() - started, 2)
        if self.state_file is not None:
            published.publish(self.state, self.state_file)
        self.gateway.ready.set()
        return self.state

    def _restore(self) -> dict[str, str]:
        """The kept moto resources, back in the embedded server; answers the stream's read positions."""
        if self.data is None:
            return {}
        snapshots = MotoSnapshots(
            self.data.moto_snapshot,
            prefix=f"{self.stack_name}-",
            tables=self.backend_name == "moto",
            positions=self._stream_positions,
        )
        positions = snapshots.restore()
        self._snapshots = snapshots  # only now: a snapshot that failed to load is never overwritten
        return positions

    def _stream_positions(self) -> dict[str, str]:
        positions: dict[str, str] = {}
        for mapping in self.mappings:
            if isinstance(mapping, StreamMapping):
                positions.update(mapping.positions)
        return positions

    def _seeded(self, api_url: str, operator_key: str, kept: dict[str, Any] | None) -> dict[str, Any]:
        """The kept credentials when they still work on the kept data; otherwise a fresh seeding."""
        if kept is not None:
            if _secret_key_works(api_url, kept):
                return {k: v for k, v in kept.items() if k != "operator_key"}
            self.log("the kept credentials match no data any more: seeding again")
        try:
            seeded = seed_through_api(api_url, operator_key)
        except RuntimeError as error:
            if kept is None:
                raise RuntimeError(f"seeding failed: {error}") from error
            raise StaleData(
                f"{error}; start with --fresh (make dev FRESH=1) to begin from empty data"
            ) from error
        if self.data is not None:
            self.data.remember_seed({"operator_key": operator_key, **seeded})
        return seeded

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()  # no new requests; the ones in flight finish
            self.gateway = None
        for mapping in self.mappings:
            mapping.stop()
        if self._snapshots is not None:
            try:
                self._snapshots.stop()
            finally:
                self._snapshots = None
        self.mappings = []
        for pool in self.pools.values():
            pool.close()
        self.pools = {}
        if self._dynamodb_local is not None:
            self._dynamodb_local.stop()
            self._dynamodb_local = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self.data is not None:
            self.data.close()
            self.data = None
        if self.state_file is not None and self.state:
            published.withdraw(self.state_file)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # helpers

    def client(self, service: str) -> Any:
        """A boto3 client for one of the local services (tests look at what got stored)."""
        return aws_client(service, self.endpoints[service])

    def _start_mappings(
        self, template: Template, specs: dict[str, FunctionSpec], positions: dict[str, str]
    ) -> None:
        sqs = self.client("sqs")
        for logical, spec in specs.items():
            for stream in spec.streams:
                failure_queue = (
                    template.physical[stream.on_failure_queue]["QueueUrl"]
                    if stream.on_failure_queue
                    else None
                )
                self.mappings.append(
                    StreamMapping(
                        stream,
                        self.pools[logical],
                        stream_arn=template.physical[stream.table]["StreamArn"],
                        streams_client=self.client("dynamodbstreams"),
                        sqs_client=sqs,
                        failure_queue_url=failure_queue,
                        function_arn=template.physical[logical]["Arn"],
                        log=lambda line, name=spec.short_name: self._function_log(name, line),
                        positions=positions,
                    )
                )
            for source in spec.queues:
                queue = template.physical[source.queue]
                self.mappings.append(
                    QueueMapping(
                        source,
                        self.pools[logical],
                        queue_url=queue["QueueUrl"],
                        queue_arn=queue["Arn"],
                        sqs_client=self.client("sqs"),
                        log=lambda line, name=spec.short_name: self._function_log(name, line),
                    )
                )
        for mapping in self.mappings:
            mapping.start()

    @staticmethod
    def _cors(template: Template) -> Cors | None:
        config = template.cors()
        if not config:
            return None
        return Cors(
            allow_origins=list(config.get("allowOrigins", [])),
            allow_headers=list(config.get("allowHeaders", [])),
            allow_methods=list(config.get("allowMethods", [])),
            max_age=config.get("maxAge"),
            expose_headers=list(config.get("exposeHeaders", [])),
        )

    def _function_log(self, function: str, line: str) -> None:
        if self.function_logs:
            with self._log_lock:
                self.log(f"[{function}] {line}")

    def _access_log(self, line: str) -> None:
        with self._log_lock:
            self.log(line)


# --- seeding through the API ---------------------------------------------------------------------------

DEMO_USER = {"email": "demo@questline.local", "name": "Demo user"}
DEMO_ENTITY = {
    "name": "Demo entity",
    "chainSource": "OFF_CHAIN",
    "entityURLAlias": "demo",
    "description": "Seeded by the local stack",
}


def call_api(
    api_url: str, method: str, path: str, headers: dict[str, str], body: Any = None
) -> dict[str, Any]:
    """One JSON request to the stack's API, as a client makes it; an error answer raises RuntimeError."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local stack's own loopback URL
        api_url + path,
        data=data,
        method=method,
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as error:
        detail = error.read()[:500]
        raise RuntimeError(f"{method} {path} answered {error.code} {detail!r}") from error
    return answer


DEMO_CAMPAIGN_ID = "campaign_abc123"  # the id claimr's documentation uses in its examples
DEMO_CAMPAIGN = ROOT / "events" / "campaign_admin_put.json"  # its body is the campaign of DESIGN.md §4


def _secret_key_works(api_url: str, seeded: Mapping[str, Any]) -> bool:
    try:
        call_api(
            api_url,
            "GET",
            f"/api/entities/{seeded['entity_id']}",
            {"authorization": f"Bearer {seeded['secret_key']}"},
        )
    except (RuntimeError, KeyError):
        return False
    return True


def seed_through_api(api_url: str, operator_key: str) -> dict[str, Any]:
    """A demo platform user, its demo entity, an sk_ and a pk_ key and a published demo campaign, created
    through the Entity API."""
    operator = {"authorization": f"Bearer {operator_key}"}
    user = call_api(api_url, "POST", "/api/users", operator, DEMO_USER)["data"]
    as_user = {"userid": user["userId"], "token": user["token"]}
    entity = call_api(api_url, "POST", "/api/entities", as_user, DEMO_ENTITY)["data"]
    entity_id = entity["entityId"]
    if not entity["isEnabled"]:  # a stack started with another Stage waits for the operator
        call_api(api_url, "POST", f"/api/entities/{entity_id}/enable", operator, {})
    keys = f"/api/entities/{entity_id}/keys"
    secret = call_api(api_url, "POST", keys, as_user, {"type": "sk", "name": "demo secret key"})["data"]
    public = call_api(api_url, "POST", keys, as_user, {"type": "pk", "name": "demo publishable key"})["data"]
    campaign = json.loads(json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))["body"])
    campaigns = f"/api/entities/{entity_id}/campaigns/{DEMO_CAMPAIGN_ID}"
    call_api(api_url, "PUT", campaigns, as_user, campaign)
    call_api(api_url, "POST", f"{campaigns}/publish", as_user, {})
    return {
        "campaign_id": DEMO_CAMPAIGN_ID,
        "user_id": user["userId"],
        "user_token": user["token"],
        "entity_id": entity_id,
        "secret_key": secret["key"],
        "public_key": public["key"],
    }
