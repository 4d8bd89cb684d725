"""The single table: every read and write goes through `Table`, which

* builds expressions with generated placeholders (no hand-written `#n`/`:v` maps in services),
* translates `ClientError` codes into domain errors (a failed condition is `ConditionFailed`, carrying
  the stored item when asked, so idempotent writes need no read first; throttling and transaction
  conflicts are `Retryable`), never by message text,
* retries transactions cancelled only by conflicts with other transactions, with jittered backoff,
* counts round trips and consumed capacity (`questline.storage.capacity`).
"""

from __future__ import annotations

import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from questline.errors import Conflict, QuestlineError, Retryable
from questline.storage import capacity
from questline.storage.codec import from_attr, from_item, to_attr, to_item
from questline.storage.keys import (
    GSI1,
    GSI1PK,
    GSI1SK,
    GSI2,
    GSI2PK,
    GSI2SK,
    GSI3,
    GSI3PK,
    GSI3SK,
    PK,
    SK,
    Key,
)

logger = logging.getLogger(__name__)

_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
_RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
_INDEX_KEYS = {None: (PK, SK), GSI1: (GSI1PK, GSI1SK), GSI2: (GSI2PK, GSI2SK), GSI3: (GSI3PK, GSI3SK)}
TRANSACTION_ATTEMPTS = 8


class ConditionFailed(Conflict):
    """A conditional write found the item in another state.

    `item` is the stored item when the write asked for it (`return_old_on_failure`), `index` the position
    of the failing operation inside a transaction.
    """

    code = "condition_failed"

    def __init__(self, *, item: dict[str, Any] | None = None, index: int | None = None) -> None:
        super().__init__("the item is not in the state this write expects")
        self.item = item
        self.index = index


class StorageError(QuestlineError):
    """An unexpected storage failure: a bug or an outage, never the client's input."""


# --- expressions ----------------------------------------------------------------------------------


class Placeholders:
    """Allocates `#n…` and `:v…` placeholders for one request's expressions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._by_name: dict[str, str] = {}

    def name(self, path: str | tuple[str, ...]) -> str:
        """A placeholder for an attribute name, taken literally (client data may hold dots); a tuple is a
        path into a map, each part literal: ("data", "first_name") is data.first_name."""
        parts = []
        for part in (path,) if isinstance(path, str) else path:
            placeholder = self._by_name.get(part)
            if placeholder is None:
                placeholder = f"#n{len(self._by_name)}"
                self._by_name[part] = placeholder
                self.names[placeholder] = part
            parts.append(placeholder)
        return ".".join(parts)

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attr(value)
        return placeholder

    def apply(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


class Condition(ABC):
    """A condition expression tree, rendered with one request's placeholders.

    (Plain classes rather than dataclasses here and in the other records of the core layer: a dataclass
    costs a few hundred microseconds to create at import, which every cold start would pay.)
    """

    __slots__ = ()

    @abstractmethod
    def render(self, p: Placeholders) -> str: ...

    def __and__(self, other: Condition) -> Condition:
        return _Join("AND", (self, other))

    def __or__(self, other: Condition) -> Condition:
        return _Join("OR", (self, other))


class _Join(Condition):
    __slots__ = ("op", "parts")

    def __init__(self, op: str, parts: tuple[Condition, ...]) -> None:
        self.op, self.parts = op, parts

    def render(self, p: Placeholders) -> str:
        return "(" + f" {self.op} ".join(part.render(p) for part in self.parts) + ")"


class _Function(Condition):
    __slots__ = ("attr", "function", "has_operand", "operand")

    def __init__(self, function: str, attr: str, operand: Any = None, has_operand: bool = False) -> None:
        self.function, self.attr, self.operand, self.has_operand = function, attr, operand, has_operand

    def render(self, p: Placeholders) -> str:
        if self.has_operand:
            return f"{self.function}({p.name(self.attr)}, {p.value(self.operand)})"
        return f"{self.function}({p.name(self.attr)})"


class _Compare(Condition):
    __slots__ = ("attr", "op", "operand")

    def __init__(self, attr: str, op: str, operand: Any) -> None:
        self.attr, self.op, self.operand = attr, op, operand

    def render(self, p: Placeholders) -> str:
        return f"{p.name(self.attr)} {self.op} {p.value(self.operand)}"


class _CompareAttributes(Condition):
    __slots__ = ("left", "op", "right")

    def __init__(self, left: str, op: str, right: str) -> None:
        self.left, self.op, self.right = left, op, right

    def render(self, p: Placeholders) -> str:
        return f"{p.name(self.left)} {self.op} {p.name(self.right)}"


class _Not(Condition):
    __slots__ = ("inner",)

    def __init__(self, inner: Condition) -> None:
        self.inner = inner

    def render(self, p: Placeholders) -> str:
        return f"NOT {self.inner.render(p)}"


def not_exists(attr: str = PK) -> Condition:
    return _Function("attribute_not_exists", attr)


def exists(attr: str = PK) -> Condition:
    return _Function("attribute_exists", attr)


def equals(attr: str, value: Any) -> Condition:
    return _Compare(attr, "=", value)


def differs(attr: str, value: Any) -> Condition:
    return _Compare(attr, "<>", value)


def at_least(attr: str, value: Any) -> Condition:
    return _Compare(attr, ">=", value)


def below(attr: str, value: Any) -> Condition:
    return _Compare(attr, "<", value)


def above(attr: str, value: Any) -> Condition:
    return _Compare(attr, ">", value)


def attribute_below(attr: str, other: str) -> Condition:
    """`attr < other`, both attributes of the item (a count under its limit)."""
    return _CompareAttributes(attr, "<", other)


def begins_with(attr: str, prefix: str) -> Condition:
    return _Function("begins_with", attr, prefix, True)


def negate(condition: Condition) -> Condition:
    return _Not(condition)


AttributePath = str | tuple[str, ...]


class Update(NamedTuple):
    """The pieces of an UpdateExpression. Names are literal attribute names, or tuples for paths into
    maps. `set` stores values as given (None is stored as null); `set_if_absent` writes only where the
    attribute is missing; `add` adds to numbers or to sets; `delete` takes members out of sets; `remove`
    deletes attributes; `append` adds elements at the end of lists (starting them where missing)."""

    # Keys are AttributePath (str or tuple of str); typed Any because Mapping is invariant in its keys.
    set: Mapping[Any, Any] = {}
    set_if_absent: Mapping[Any, Any] = {}
    add: Mapping[Any, Any] = {}
    remove: Sequence[AttributePath] = ()
    delete: Mapping[Any, Any] = {}
    append: Mapping[Any, Sequence[Any]] = {}

    def render(self, p: Placeholders) -> str:
        assignments = [f"{p.name(k)} = {p.value(v)}" for k, v in self.set.items()]
        assignments += [
            f"{p.name(k)} = if_not_exists({p.name(k)}, {p.value(v)})" for k, v in self.set_if_absent.items()
        ]
        assignments += [
            f"{p.name(k)} = list_append(if_not_exists({p.name(k)}, {p.value([])}), {p.value(list(v))})"
            for k, v in self.append.items()
        ]
        clauses = []
        if assignments:
            clauses.append("SET " + ", ".join(assignments))
        if self.add:
            clauses.append("ADD " + ", ".join(f"{p.name(k)} {p.value(v)}" for k, v in self.add.items()))
        if self.remove:
            clauses.append("REMOVE " + ", ".join(p.name(k) for k in self.remove))
        if self.delete:
            clauses.append("DELETE " + ", ".join(f"{p.name(k)} {p.value(v)}" for k, v in self.delete.items()))
        return " ".join(clauses)


# --- transaction operations -----------------------------------------------------------------------


class TxPut(NamedTuple):
    item: Mapping[str, Any]
    condition: Condition | None = None
    return_old_on_failure: bool = False


class TxUpdate(NamedTuple):
    key: Key
    update: Update
    condition: Condition | None = None
    return_old_on_failure: bool = False


class TxDelete(NamedTuple):
    key: Key
    condition: Condition | None = None
    return_old_on_failure: bool = False


class TxCheck(NamedTuple):
    key: Key
    condition: Condition


TxOp = TxPut | TxUpdate | TxDelete | TxCheck


class Page(NamedTuple):
    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None


# --- the table ------------------------------------------------------------------------------------


class Table:
    def __init__(self, name: str, client: Any) -> None:
        self.name = name
        self.client = client

    # reads

    def get(self, key: Key, *, consistent: bool = False) -> dict[str, Any] | None:
        response = self._call(
            "read",
            self.client.get_item,
            TableName=self.name,
            Key=to_item(key),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def batch_get(self, keys: Sequence[Key], *, consistent: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        pending = [to_item(k) for k in _unique_keys(keys)]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self.name: {"Keys": chunk, "ConsistentRead": consistent}}
            for attempt in range(6):
                response = self._call("read", self.client.batch_get_item, RequestItems=request)
                found.extend(from_item(i) for i in response.get("Responses", {}).get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _backoff(attempt)
            else:
                raise Retryable("storage is busy; try again")
        return found

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        begins_with: str | None = None,
        after: str | None = None,
        before: str | None = None,
        between: tuple[str, str] | None = None,
        limit: int | None = None,
        forward: bool = True,
        start_key: Mapping[str, Any] | None = None,
        consistent: bool = False,
        filter: Condition | None = None,
    ) -> Page:
        pk_attr, sk_attr = _INDEX_KEYS[index]
        p = Placeholders()
        key_condition = f"{p.name(pk_attr)} = {p.value(partition)}"
        if begins_with is not None:
            key_condition += f" AND begins_with({p.name(sk_attr)}, {p.value(begins_with)})"
        elif between is not None:
            key_condition += f" AND {p.name(sk_attr)} BETWEEN {p.value(between[0])} AND {p.value(between[1])}"
        elif after is not None:
            key_condition += f" AND {p.name(sk_attr)} > {p.value(after)}"
        elif before is not None:
            key_condition += f" AND {p.name(sk_attr)} < {p.value(before)}"
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
        }
        if filter is not None:
            request["FilterExpression"] = filter.render(p)
        if index is not None:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = consistent
        if limit is not None:
            request["Limit"] = limit
        if start_key:
            request["ExclusiveStartKey"] = to_item(start_key)
        return _page(self._call("read", self.client.query, **p.apply(request)))

    def scan(
        self, *, filter: Condition, limit: int | None = None, start_key: Mapping[str, Any] | None = None
    ) -> Page:
        """One page of a whole-table scan: for operator migrations only (`questline.cli`), never a request."""
        p = Placeholders()
        request: dict[str, Any] = {"TableName": self.name, "FilterExpression": filter.render(p)}
        if limit is not None:
            request["Limit"] = limit
        if start_key:
            request["ExclusiveStartKey"] = to_item(start_key)
        return _page(self._call("read", self.client.scan, **p.apply(request)))

    # writes

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: Condition | None = None,
        return_old_on_failure: bool = False,
    ) -> None:
        request: dict[str, Any] = {"TableName": self.name, "Item": to_item(item)}
        p = Placeholders()
        if condition is not None:
            request["ConditionExpression"] = condition.render(p)
            if return_old_on_failure:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        self._call("write", self.client.put_item, **p.apply(request))

    def put_new(self, item: Mapping[str, Any], *, return_old_on_failure: bool = False) -> None:
        """Write an item that must not exist yet; `ConditionFailed` (with the stored item when asked)
        otherwise. This is how every idempotent create costs one write and no read."""
        self.put(item, condition=not_exists(), return_old_on_failure=return_old_on_failure)

    def update(
        self,
        key: Key,
        update: Update,
        *,
        condition: Condition | None = None,
        return_values: str = "ALL_NEW",
        return_old_on_failure: bool = False,
    ) -> dict[str, Any] | None:
        p = Placeholders()
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_item(key),
            "UpdateExpression": update.render(p),
            "ReturnValues": return_values,
        }
        if condition is not None:
            request["ConditionExpression"] = condition.render(p)
            if return_old_on_failure:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        response = self._call("write", self.client.update_item, **p.apply(request))
        attributes = response.get("Attributes")
        return from_item(attributes) if attributes else None

    def delete(
        self,
        key: Key,
        *,
        condition: Condition | None = None,
        return_old: bool = False,
        return_old_on_failure: bool = False,
    ) -> dict[str, Any] | None:
        p = Placeholders()
        request: dict[str, Any] = {"TableName": self.name, "Key": to_item(key)}
        if condition is not None:
            request["ConditionExpression"] = condition.render(p)
            if return_old_on_failure:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if return_old:
            request["ReturnValues"] = "ALL_OLD"
        response = self._call("write", self.client.delete_item, **p.apply(request))
        attributes = response.get("Attributes")
        return from_item(attributes) if attributes else None

    def transact_write(self, operations: Sequence[TxOp], *, token: str | None = None) -> None:
        """All or nothing. A cancellation caused only by other transactions is retried here (the
        operations are re-sent unchanged, which is safe because they either all applied or none did);
        a failed condition raises `ConditionFailed` naming the operation's index."""
        items = [self._render_tx(op) for op in operations]
        request: dict[str, Any] = {"TransactItems": items}
        if token:
            request["ClientRequestToken"] = token
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._call("transaction", self.client.transact_write_items, **request)
                return
            except _TransactionContention:
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise Retryable("storage is busy with concurrent writes; try again") from None
                _backoff(attempt)

    def batch_write(self, puts: Iterable[Mapping[str, Any]] = (), deletes: Iterable[Key] = ()) -> None:
        """Unconditional puts and deletes, 25 per round trip, unprocessed items retried with backoff."""
        requests = [{"PutRequest": {"Item": to_item(i)}} for i in puts]
        requests += [{"DeleteRequest": {"Key": to_item(k)}} for k in deletes]
        while requests:
            chunk, requests = requests[:25], requests[25:]
            pending: dict[str, Any] = {self.name: chunk}
            for attempt in range(8):
                response = self._call("write", self.client.batch_write_item, RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise Retryable("storage is busy; try again")

    # plumbing

    def _render_tx(self, op: TxOp) -> dict[str, Any]:
        p = Placeholders()
        body: dict[str, Any] = {"TableName": self.name}
        condition = op.condition
        if isinstance(op, TxPut):
            kind, body["Item"] = "Put", to_item(op.item)
        elif isinstance(op, TxUpdate):
            kind, body["Key"] = "Update", to_item(op.key)
            body["UpdateExpression"] = op.update.render(p)
        elif isinstance(op, TxDelete):
            kind, body["Key"] = "Delete", to_item(op.key)
        else:
            kind, body["Key"] = "ConditionCheck", to_item(op.key)
        if condition is not None:
            body["ConditionExpression"] = condition.render(p)
            if getattr(op, "return_old_on_failure", False) or isinstance(op, TxCheck):
                body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {kind: p.apply(body)}

    def _call(self, kind: str, method: Any, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        request["ReturnConsumedCapacity"] = "TOTAL"
        started = time.perf_counter()
        try:
            response: dict[str, Any] = method(**request)
        except ClientError as error:
            capacity.record(kind, None, time.perf_counter() - started)
            raise _translate(error) from error
        items = len(request.get("TransactItems", ())) if kind == "transaction" else 0
        capacity.record(kind, response.get("ConsumedCapacity"), time.perf_counter() - started, items)
        return response


def _page(response: Mapping[str, Any]) -> Page:
    last = response.get("LastEvaluatedKey")
    return Page(
        items=[from_item(i) for i in response.get("Items", [])], last_key=from_item(last) if last else None
    )


class _TransactionContention(Exception):
    """Internal: a transaction cancelled only by contention, to be retried."""


def _translate(error: Any) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        item = error.response.get("Item")
        return ConditionFailed(item=from_item(item) if item else None)
    if code == "TransactionCanceledException":
        return _translate_cancellation(error.response.get("CancellationReasons") or [])
    if code in _RETRYABLE_CODES:
        logger.warning("storage call throttled or busy", extra={"aws_error": code})
        return Retryable("storage is busy; try again")
    logger.error("storage call failed", extra={"aws_error": code})
    return StorageError("storage failure")


def _translate_cancellation(reasons: list[dict[str, Any]]) -> Exception:
    for index, reason in enumerate(reasons):
        if reason.get("Code") == "ConditionalCheckFailed":
            item = reason.get("Item")
            return ConditionFailed(item=from_item(item) if item else None, index=index)
    codes = {reason.get("Code") for reason in reasons} - {None, "None"}
    if codes and codes <= _RETRYABLE_REASONS:
        return _TransactionContention()
    logger.error("transaction cancelled", extra={"reasons": sorted(str(c) for c in codes)})
    return StorageError("storage failure")


def _backoff(attempt: int) -> None:
    # Full jitter: spreads competing writers apart instead of letting them collide again in lockstep.
    time.sleep(random.uniform(0, min(1.0, 0.01 * (2**attempt))))  # noqa: S311 - not cryptographic


def _unique_keys(keys: Sequence[Key]) -> list[Key]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for key in keys:
        marker = (key[PK], key[SK])
        if marker not in seen:
            seen.add(marker)
            unique.append(key)
    return unique


def decode_attr(attr: dict[str, Any]) -> Any:
    """Decode one attribute value (stream images arrive in the wire format)."""
    return from_attr(attr)
