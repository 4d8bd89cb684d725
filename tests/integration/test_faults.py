"""Faults, on the local stack over DynamoDB Local: throttling and failing storage calls in the middle of a
stream batch and of a request, a stream record that fails every time, and hostile request bodies.

The functions run in worker processes, so faults are injected where the real service would put them: on
the wire. The stack's DynamoDB endpoint is a loopback proxy in front of DynamoDB Local that answers chosen
requests (picked by operation and by what the request body contains) with DynamoDB's own error responses,
or processes only part of a batch write and hands the rest back as `UnprocessedItems`.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

import local.stack as local_stack
from local.backends import DynamoDBLocal
from local.runtime import FunctionPool, Invocation
from local.stack import LocalStack
from tests.integration.conftest import new_tenant
from tests.support import Receiver, api_event, eventually, is_request_count

SETTLE_SECONDS = 90.0  # a generous deadline for asynchronous work on a busy two-core machine
# questline.aws configures `retries={"max_attempts": 3}`: botocore reads that as three retries, so a call
# is attempted four times before a throttle reaches our code.
SDK_ATTEMPTS = 4


# --- DynamoDB Local behind a fault-injecting proxy -------------------------------------------------------


class Fault:
    """Requests of `operation` whose body contains every one of `markers`: the first `skip` pass, the next
    `times` (None: all) are answered with `error`, or, with `unprocessed`, half their items are handed back
    as `UnprocessedItems` (what DynamoDB does with a batch write it can only partly absorb)."""

    def __init__(
        self,
        operation: str,
        *markers: str,
        error: str = "ProvisionedThroughputExceededException",
        skip: int = 0,
        times: int | None = 1,
        unprocessed: bool = False,
    ) -> None:
        self.operation, self.markers, self.error = operation, markers, error
        self.skip, self.times, self.unprocessed = skip, times, unprocessed
        self.seen = 0
        self.injected = 0

    def take(self, operation: str, text: str) -> bool:
        if operation != self.operation or not all(marker in text for marker in self.markers):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.injected >= self.times):
            return False
        self.injected += 1
        return True


class FaultyDynamoDB:
    """DynamoDB Local, reached through a loopback proxy that injects the faults a test asks for. It stands
    in for `local.backends.DynamoDBLocal` (same `url` and `stop`), so the whole stack uses it."""

    def __init__(self) -> None:
        self.backend = DynamoDBLocal()
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults = []

    def fault_for(self, operation: str, text: str) -> Fault | None:
        with self._lock:
            return next((fault for fault in self.faults if fault.take(operation, text)), None)

    def forward(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.backend.port, timeout=60)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.backend.stop()


def _proxy_handler(proxy: FaultyDynamoDB) -> type[BaseHTTPRequestHandler]:
    hop_by_hop = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
            operation = self.headers.get("x-amz-target", "").rpartition(".")[2]
            fault = proxy.fault_for(operation, body.decode("utf-8", "replace"))
            if fault is None:
                self._answer(*proxy.forward(self.path, headers, body))
            elif fault.unprocessed:
                self._answer(*self._partly(headers, body))
            else:
                error = {"__type": f"com.amazonaws.dynamodb.v20120810#{fault.error}", "message": "injected"}
                self._answer(400, {"content-type": "application/x-amz-json-1.0"}, json.dumps(error).encode())

        def _partly(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
            request = json.loads(body)
            table, items = next(iter(request["RequestItems"].items()))
            kept, handed_back = items[: len(items) // 2], items[len(items) // 2 :]
            request["RequestItems"] = {table: kept}
            status, answer_headers, answer = proxy.forward(self.path, headers, json.dumps(request).encode())
            if status != 200 or not kept:
                return status, answer_headers, answer
            response = json.loads(answer)
            response["UnprocessedItems"] = {table: handed_back}
            answer_headers = {k: v for k, v in answer_headers.items() if k.lower() != "x-amz-crc32"}
            return status, answer_headers, json.dumps(response).encode()

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in hop_by_hop:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    return Handler


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[FaultyDynamoDB]:
    proxy = FaultyDynamoDB()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def stack(dynamodb: FaultyDynamoDB) -> Iterator[LocalStack]:
    logs: list[str] = []
    stack = LocalStack(
        backend="dynamodb-local",
        port=0,
        state_file=None,
        log=logs.append,
        visibility_timeout=1,
        stack_name="faults",
    )
    stack.logs = logs  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_stack, "DynamoDBLocal", lambda: dynamodb)
        stack.start()
    yield stack
    stack.stop()


@pytest.fixture(autouse=True)
def no_faults_left(dynamodb: FaultyDynamoDB) -> Iterator[None]:
    yield
    dynamodb.clear()


class Tenant:
    """A tenant of its own (keys, platform user), so no other test's data or hooks mix with a test's."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.url: str = stack.state["api_url"]
        made = new_tenant(stack, "Faults tenant")
        self.entity_id, self.secret_key, self.public_key = (
            made["entity_id"],
            made["secret_key"],
            made["public_key"],
        )
        self.http = requests.Session()

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {key or self.secret_key}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def campaign(self, name: str) -> str:
        pid = f"{name}-{uuid.uuid4().hex[:8]}"
        path = f"/api/entities/{self.entity_id}/campaigns/{pid}"
        self.ok("PUT", path, json={"name": name})
        self.ok("POST", f"{path}/publish", json={})
        return pid

    def hook(self, receiver: Receiver, pid: str) -> None:
        body = {
            "scope": "user_reward",
            "uri": receiver.url,
            "secret": "fault-test-secret",
            "hook_id": f"faults-{pid}",
            "pids": [pid],
        }
        assert self.ok("POST", "/hook", json=body) == {"success": True}

    def reward(self, account: str, pid: str, reward_id: str, xp: int) -> requests.Response:
        body = {"account": account, "platform": "discord", "pid": pid, "id": reward_id, "xp": xp}
        return self.call("POST", "/user/reward", json=body)

    def user(self, account: str) -> dict[str, str]:
        return {"account": account, "platform": "discord"}

    def identity_of(self, account: str, pid: str) -> str:
        """Registers the claimr user (GET /token does) and answers its identity id."""
        self.ok("GET", "/token", params={**self.user(account), "name": account})
        return str(
            self.ok("GET", "/user/activity", params={**self.user(account), "pid": pid})["data"]["userId"]
        )

    def xp(self, account: str, pid: str) -> int:
        return int(self.ok("GET", "/user/balance", params={**self.user(account), "pid": pid})["data"]["xp"])

    def stats(self, pid: str) -> dict[str, Any]:
        return dict(self.ok("GET", "/campaign/stats", params={"pid": pid})["data"])

    def board(self, pid: str) -> dict[str, Any]:
        return dict(self.ok("GET", "/leaderboard", params={"pid": pid, "limit": 100})["data"])

    def items(self) -> list[dict[str, Any]]:
        """Every stored item of this tenant (a full scan, filtered on its entity id)."""
        dynamodb, found = self.stack.client("dynamodb"), []
        request: dict[str, Any] = {
            "TableName": self.stack.state["table_name"],
            "FilterExpression": "entity_id = :e OR contains(PK, :e)",
            "ExpressionAttributeValues": {":e": {"S": self.entity_id}},
        }
        while True:
            page = dynamodb.scan(**request)
            found.extend(i for i in page["Items"] if not is_request_count(i))
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def logs_of(self, name: str) -> int:
        return sum(
            1
            for item in self.items()
            if item.get("type", {}).get("S") == "event_log" and item.get("name", {}).get("S") == name
        )


@pytest.fixture(scope="module")
def tenant(stack: LocalStack) -> Tenant:
    return Tenant(stack)


class StreamCalls:
    """Every invocation of the stream function by its event source mapping: the batch and the answer."""

    def __init__(self, pool: FunctionPool) -> None:
        self.calls: list[tuple[list[dict[str, Any]], Invocation]] = []
        self._invoke = pool.invoke

    def invoke(self, event: Any) -> Invocation:
        outcome = self._invoke(event)
        self.calls.append((list(event["Records"]), outcome))
        return outcome

    def failures(self) -> list[list[str]]:
        """The `batchItemFailures` of each answer that reported any."""
        reported = []
        for _, outcome in self.calls:
            assert outcome.ok, outcome.error  # the function never fails as a whole
            items = (outcome.result or {}).get("batchItemFailures") or []
            if items:
                reported.append([item["itemIdentifier"] for item in items])
        return reported

    def deliveries_of(self, sequence_number: str) -> int:
        return sum(
            1
            for records, _ in self.calls
            for r in records
            if r["dynamodb"]["SequenceNumber"] == sequence_number
        )

    def balance_record(self, identity_id: str) -> dict[str, Any]:
        return next(
            r
            for records, _ in self.calls
            for r in records
            if r["dynamodb"].get("NewImage", {}).get("type", {}).get("S") == "balance"
            and r["dynamodb"]["NewImage"].get("identity_id", {}).get("S") == identity_id
        )


@pytest.fixture
def stream_calls(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> StreamCalls:
    pool = stack.pools["StreamFunction"]
    calls = StreamCalls(pool)
    monkeypatch.setattr(pool, "invoke", calls.invoke)  # the mapping calls the pool it was given: this one
    return calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def failure_queue(stack: LocalStack) -> list[dict[str, Any]]:
    """Drains the stream's on-failure queue and answers its messages."""
    sqs, url = stack.client("sqs"), stack.state["queues"]["StreamFailureQueue"]
    drained = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            return drained
        for message in messages:
            drained.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def stream_caught_up(tenant: Tenant) -> None:
    """A barrier: one more reward in a campaign of its own, waited for until its statistics show it. The
    stream is applied in order, so everything recorded before it (retries included) is done by then."""
    pid = tenant.campaign("barrier")
    assert tenant.reward("barrier", pid, "barrier", 1).status_code == 200
    eventually(lambda: tenant.stats(pid)["total_points"] == 1, timeout=SETTLE_SECONDS)


def webhooks_settled(stack: LocalStack) -> bool:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.state["queues"]["WebhookQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values()) == 0


def in_parallel(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


# --- 1. throttling in the middle of a stream batch --------------------------------------------------------


@pytest.mark.parametrize(
    "throttles",
    [
        pytest.param(1, id="absorbed-by-the-sdk-retry"),
        pytest.param(SDK_ATTEMPTS, id="past-the-sdk-retries-so-the-record-fails"),
    ],
)
def test_a_throttle_in_the_middle_of_a_stream_batch_loses_and_doubles_nothing(
    stack: LocalStack,
    dynamodb: FaultyDynamoDB,
    tenant: Tenant,
    receiver: Receiver,
    stream_calls: StreamCalls,
    throttles: int,
) -> None:
    pid = tenant.campaign("throttled")
    tenant.hook(receiver, pid)
    failure_queue(stack)
    # The first leaderboard and statistics transaction of the campaign (a stream batch's balances are
    # counted together, `projection.apply_batch`) is throttled: once is absorbed by the SDK's retries.
    # Past the SDK's retries the batch is counted record by record instead, and the first of those
    # transactions is throttled past the SDK's retries too: that record reaches the stream function.
    times = 1 if throttles == 1 else 2 * SDK_ATTEMPTS
    fault = dynamodb.inject(Fault("TransactWriteItems", f"CMP#{pid}#PROJ#", times=times))
    rewards = [(f"player-{n}", f"r-{n}", 10 * n) for n in range(1, 7)]
    rewards += [("player-1", "r-bonus-1", 5), ("player-4", "r-bonus-4", 7)]
    events = [
        {"anonymous_id": f"anon-{n % 5}", "name": "throttled-visit", "data": {"n": n}} for n in range(40)
    ]

    answers = in_parallel(
        [
            *(lambda a=a, r=r, x=x: tenant.reward(a, pid, r, x) for a, r, x in rewards),
            lambda: tenant.call("POST", "/api/client/events", key=tenant.public_key, json=events),
        ]
    )

    assert [a.status_code for a in answers] == [200] * len(rewards) + [204], answers[-1].text
    totals: dict[str, int] = {}
    for account, _, xp in rewards:
        totals[account] = totals.get(account, 0) + xp
    eventually(lambda: tenant.stats(pid)["total_points"] == sum(totals.values()), timeout=SETTLE_SECONDS)
    eventually(lambda: len(receiver.requests) >= len(rewards), timeout=SETTLE_SECONDS)
    stream_caught_up(tenant)
    eventually(lambda: webhooks_settled(stack), timeout=SETTLE_SECONDS)

    assert fault.injected == times
    failures = stream_calls.failures()
    if throttles == 1:
        assert failures == []  # the SDK's own retry absorbed it
    else:
        assert len(failures) == 1 and len(failures[0]) == 1  # one record reported, the mapping retried it
        assert stream_calls.deliveries_of(failures[0][0]) == 2
    assert failure_queue(stack) == []
    assert {account: tenant.xp(account, pid) for account in totals} == totals
    stats = tenant.stats(pid)
    assert (stats["total_points"], stats["total_users"]) == (sum(totals.values()), len(totals))
    board = tenant.board(pid)
    assert board["total"] == len(totals)
    assert [(entry["rank"], entry["score"]) for entry in board["leaderboard"]] == list(
        enumerate(sorted(totals.values(), reverse=True), start=1)
    )
    webhook_ids = [headers["webhook-id"] for headers, _ in receiver.requests]
    assert len(webhook_ids) == len(set(webhook_ids)) == len(rewards)  # one delivery per ledger entry
    assert tenant.logs_of("throttled-visit") >= len(events)


# --- 1b. throttling in the middle of a request ------------------------------------------------------------


def test_a_throttled_reward_is_a_clean_503_and_its_retry_counts_once(
    dynamodb: FaultyDynamoDB, tenant: Tenant
) -> None:
    pid = tenant.campaign("request-throttle")
    # A new user: its identity is written first, then the reward's transaction, throttled past the SDK.
    fault = dynamodb.inject(Fault("TransactWriteItems", "ledger_entry", pid, times=SDK_ATTEMPTS))

    refused = tenant.reward("newcomer", pid, "welcome", 25)
    retried = tenant.reward("newcomer", pid, "welcome", 25)
    again = tenant.reward("newcomer", pid, "welcome", 25)

    assert fault.injected == SDK_ATTEMPTS
    assert refused.status_code == 503
    assert refused.json() == {
        "success": False,
        "error": "storage is busy; try again",
        "code": "temporarily_unavailable",
    }
    assert (retried.status_code, again.status_code) == (200, 200)
    assert tenant.xp("newcomer", pid) == 25
    eventually(lambda: tenant.stats(pid)["total_points"] == 25, timeout=SETTLE_SECONDS)
    stream_caught_up(tenant)
    assert (tenant.stats(pid)["total_points"], tenant.board(pid)["total"]) == (25, 1)


def test_a_parcelvoy_batch_partly_unprocessed_by_storage_is_recorded_once(
    dynamodb: FaultyDynamoDB, tenant: Tenant
) -> None:
    events = [{"anonymous_id": f"visitor-{n % 7}", "name": "partly", "data": {"n": n}} for n in range(100)]
    # The second and third batch writes of the 100 logs each hand half their items back.
    fault = dynamodb.inject(Fault("BatchWriteItem", "partly", skip=1, times=2, unprocessed=True))

    answer = tenant.call("POST", "/api/client/events", key=tenant.public_key, json=events)

    assert fault.injected == 2
    assert answer.status_code == 204
    assert tenant.logs_of("partly") == 100


def _throttled_midway_then_retried(
    dynamodb: FaultyDynamoDB, tenant: Tenant, name: str, headers: dict[str, str] | None = None
) -> int:
    """A Parcelvoy batch of 100 events whose second batch write of logs is throttled past the SDK's
    retries (a clean 503), sent again; answers how many logs are stored."""
    events = [{"anonymous_id": f"walker-{n % 5}", "name": name, "data": {"n": n}} for n in range(100)]
    operation = "TransactWriteItems" if headers else "BatchWriteItem"
    fault = dynamodb.inject(Fault(operation, name, skip=30 if headers else 1, times=SDK_ATTEMPTS))
    sent = {"key": tenant.public_key, "json": events, "headers": headers or {}}

    refused = tenant.call("POST", "/api/client/events", **sent)
    retried = tenant.call("POST", "/api/client/events", **sent)

    assert fault.injected == SDK_ATTEMPTS
    assert refused.status_code == 503
    assert refused.json() == {"status": "error", "error": "storage is busy; try again", "code": 503}
    assert retried.status_code == 204
    return tenant.logs_of(name)


def test_a_parcelvoy_batch_throttled_midway_is_a_clean_503_and_its_retry_loses_nothing(
    dynamodb: FaultyDynamoDB, tenant: Tenant
) -> None:
    # Without an idempotency key a retry cannot tell the logs written before the failure from new events
    # with the same content, so it writes them again (the README says so; clients retry with a key).
    assert _throttled_midway_then_retried(dynamodb, tenant, "midway") == 125


def test_a_parcelvoy_batch_retried_with_its_idempotency_key_is_recorded_once(
    dynamodb: FaultyDynamoDB, tenant: Tenant
) -> None:
    key = {"Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    assert _throttled_midway_then_retried(dynamodb, tenant, "midway-exact", key) == 100


# --- 2. one stream record that fails every time -----------------------------------------------------------


def test_a_record_failing_every_time_is_retried_alone_then_lands_on_the_failure_queue(
    stack: LocalStack,
    dynamodb: FaultyDynamoDB,
    tenant: Tenant,
    receiver: Receiver,
    stream_calls: StreamCalls,
) -> None:
    pid = tenant.campaign("poisoned")
    tenant.hook(receiver, pid)
    failure_queue(stack)
    poisoned = tenant.identity_of("poisoned", pid)
    # Storage refuses the poisoned participant's projection as invalid (not retryable): its balance
    # record fails in the stream function at every attempt.
    fault = dynamodb.inject(
        Fault("TransactWriteItems", f"PROJ#{poisoned}", error="ValidationException", times=None)
    )
    rewards = {"healthy-1": 11, "healthy-2": 22, "poisoned": 33, "healthy-3": 44, "healthy-4": 55}

    answers = in_parallel([lambda a=a, x=x: tenant.reward(a, pid, f"r-{a}", x) for a, x in rewards.items()])

    assert {a.status_code for a in answers} == {200}
    landed = eventually(lambda: failure_queue(stack), timeout=SETTLE_SECONDS)
    stream_caught_up(tenant)
    eventually(lambda: webhooks_settled(stack), timeout=SETTLE_SECONDS)

    record = stream_calls.balance_record(poisoned)
    sequence_number = record["dynamodb"]["SequenceNumber"]
    retry_limit = stack.mappings[0].source.maximum_retry_attempts
    # every answer that reported a failure named the poisoned record, and only it
    assert stream_calls.failures() == [[sequence_number]] * (retry_limit + 1)
    assert stream_calls.deliveries_of(sequence_number) == retry_limit + 1
    # each delivery tries the batch's shared transaction, then the poisoned record's own
    assert fault.injected == 2 * (retry_limit + 1)
    assert len(landed) == 1
    [message] = landed
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == retry_limit + 1
    assert message["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence_number
    # everything else applied exactly once
    healthy = {account: xp for account, xp in rewards.items() if account != "poisoned"}
    assert {account: tenant.xp(account, pid) for account in rewards} == rewards
    stats = tenant.stats(pid)
    assert (stats["total_points"], stats["total_users"]) == (sum(healthy.values()), len(healthy))
    board = tenant.board(pid)
    assert board["total"] == len(healthy)
    assert [entry["score"] for entry in board["leaderboard"]] == sorted(healthy.values(), reverse=True)
    assert poisoned not in {entry["user"]["id"] for entry in board["leaderboard"]}
    webhook_ids = [headers["webhook-id"] for headers, _ in receiver.requests]
    assert len(webhook_ids) == len(set(webhook_ids)) == len(rewards)  # the ledger entries all fan out


# --- 3. hostile bodies ------------------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def _sized(size: int) -> bytes:
    head, tail = b'{"name":"', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


class Route:
    """One writing route of a family, with a valid body whose `@S` (a stored string) and `@N` (a stored
    number) slots the hostile values go into."""

    def __init__(self, path: str, key: str, envelope: str, template: bytes) -> None:
        self.path, self.key, self.envelope, self.template = path, key, envelope, template

    def body(self, string: bytes = b'"ok"', number: bytes = b"1") -> bytes:
        return self.template.replace(b"@S", string).replace(b"@N", number)


def _routes(tenant: Tenant) -> dict[str, Route]:
    sk, pk, entity = tenant.secret_key, tenant.public_key, tenant.entity_id.encode()
    return {
        "entity api": Route(
            f"/api/entities/{tenant.entity_id}/custom-ids",
            sk,
            "quest_protocol",
            b'{"platform": "DISCORD", "platformId": @S, "name": "n"}',
        ),
        "heymint": Route("/v1/events", sk, "message_code", b'{"name": @S, "slug": "hostile"}'),
        "parcelvoy": Route(
            "/api/client/events",
            pk,
            "parcelvoy",
            b'[{"name": "hostile", "anonymous_id": "h-1", "data": {"s": @S, "n": @N}}]',
        ),
        "endu": Route(
            "/api/events/record",
            pk,
            "message_code",
            b'{"property_id": "p", "organization_id": "'
            + entity
            + b'", "timestamp": @N, "event_type": "hostile", "event_data": {"s": @S, "n": @N},'
            b' "fingerprint": "fp-hostile"}',
        ),
        "claimr": Route(
            "/user/reward",
            sk,
            "claimr",
            b'{"account": @S, "platform": "discord", "pid": "'
            + tenant.campaign("hostile").encode()
            + b'", "id": "h-1", "xp": @N}',
        ),
    }


def _hostile(route: Route) -> dict[str, tuple[bytes, str | None]]:
    """What each hostile body is, and the content type it is sent with (None: no header)."""
    as_json = "application/json"
    wrong_container = b"{}" if route.template.startswith(b"[") else b"[]"
    # Where the route stores a number, one DynamoDB cannot hold. A Parcelvoy event's number is in its
    # `data`, which keeps such a number exactly as sent (tests/unit/test_lossless_numbers.py).
    numbers = (
        {"a number too large to store": (route.body(number=b"1e400"), as_json)}
        if b"@N" in route.template and route.envelope != "parcelvoy"
        else {}
    )
    return {
        # Over the functions' own limit (256 KB) and within Lambda's (6 MB): the function refuses it. Anything
        # larger never reaches a function (tests/integration/test_local_stack_failures.py).
        "5 MB": (_sized(5 * 1024 * 1024), as_json),
        "100,000 levels of [": (b"[" * 100_000 + b"]" * 100_000, as_json),
        "an object nested 40 deep": (b'{"data":' + b'{"a":' * 40 + b"1" + b"}" * 41, as_json),
        "XML": (b"<reward><xp>10</xp></reward>", "application/xml"),
        "a form": (b"account=a&platform=discord&xp=10", "application/x-www-form-urlencoded"),
        "multipart": (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--",
            "multipart/form-data",
        ),
        "plain text that is not JSON": (b"hello there", "text/plain"),
        "invalid UTF-8": (route.body(string=b'"\xff\xfe\xc3\x28"'), as_json),
        "invalid UTF-8, no content type": (route.body(string=b'"\xc3\x28"'), None),
        "a lone surrogate escape": (route.body(string=b'"\\ud800"'), as_json),
        "a byte order mark": (b"\xef\xbb\xbf" + route.body(), as_json),
        "NaN": (route.body(string=b"NaN", number=b"NaN"), as_json),
        "Infinity": (route.body(string=b"-Infinity", number=b"Infinity"), as_json),
        "truncated JSON": (route.body()[:-3], as_json),
        "empty": (b"", as_json),
        "null": (b"null", as_json),
        "a string": (b'"just a string"', as_json),
        "a number": (b"42", as_json),
        "the wrong container": (wrong_container, as_json),
        **numbers,
    }


def _in_envelope(envelope: str, body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if envelope == "quest_protocol":
        return body.keys() == {"success", "error"} and body["success"] is False
    if envelope == "claimr":
        return body.keys() == {"success", "error", "code"} and body["success"] is False
    if envelope == "parcelvoy":
        return body.keys() <= {"status", "error", "code"} and body.get("status") == "error"
    return body.keys() == {"message", "code"} and isinstance(body["message"], str)


@pytest.mark.parametrize("family", ["entity api", "heymint", "parcelvoy", "endu", "claimr"])
def test_hostile_bodies_are_a_clean_4xx_in_the_family_envelope_and_write_nothing(
    tenant: Tenant, family: str
) -> None:
    route = _routes(tenant)[family]
    before = tenant.items()
    unclean = {}
    for name, (body, content_type) in _hostile(route).items():
        headers = {"content-type": content_type} if content_type else {}
        answer = tenant.call("POST", route.path, route.key, data=body, headers=headers)
        try:
            parsed = answer.json()
        except ValueError:
            parsed = None
        clean = (
            400 <= answer.status_code < 500
            and answer.headers.get("content-type", "").startswith("application/json")
            and _in_envelope(route.envelope, parsed)
            and (answer.status_code == 413) == (name == "5 MB")
        )
        if not clean:
            unclean[name] = (answer.status_code, answer.text[:300])
    after = tenant.items()
    control = tenant.call(
        "POST", route.path, route.key, data=route.body(), headers={"content-type": "application/json"}
    )

    assert unclean == {}
    assert after == before
    assert control.status_code in (200, 201, 204), control.text  # the slots are real, storable fields


def test_a_body_over_api_gateways_limit_is_refused_by_the_gateway(tenant: Tenant) -> None:
    answer = tenant.call(
        "POST", "/user/reward", data=_sized(TEN_MB + 1), headers={"content-type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json() == {"message": "Request Entity Too Large"}


def test_a_base64_body_that_is_not_base64_is_a_400(tenant: Tenant) -> None:
    """A binary body reaches a function base64-encoded; one that does not decode (API Gateway never sends
    one, a direct invocation could) is refused cleanly all the same."""
    event = api_event("POST", "/user/reward", headers={"authorization": f"Bearer {tenant.secret_key}"})
    event.update({"body": "%%% not base64 %%%", "isBase64Encoded": True})

    outcome = tenant.stack.pools["ClaimrUsersFunction"].invoke(event)

    assert outcome.ok and outcome.result["statusCode"] == 400
    assert json.loads(outcome.result["body"])["success"] is False
