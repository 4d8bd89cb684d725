"""Two differences between moto's DynamoDB and DynamoDB that the local stack cannot live with, mended for
the embedded moto server (tests using moto in-process get the same, more faithful, behaviour).

1. moto runs a TransactWriteItems operation by operation and, when one fails, puts back a deep copy of
   every table it touched taken before the transaction. Under the threaded server that discards what
   concurrent requests wrote meanwhile, and replaces the table's stream shard, so stream readers stop
   seeing new records. Here every condition is checked first and nothing is written unless all pass.
2. moto's writes are not atomic across threads: two concurrent conditional writes can both pass their
   check. Here every write to a DynamoDB backend happens under one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()
_applied = False


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def under_lock(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return under_lock


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:  # noqa: PLR0912
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    targets: set[tuple[str, str]] = set()
    reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    plan: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException()
        op_type, op = next(iter(entry.items()))
        table_name = op["TableName"]
        table = self.get_table(table_name)
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        target = (str(table_name), str(dict(sorted(key.items()))))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                    old = current.to_json()["Attributes"]
                reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        reasons.append((None, None, None))
        plan.append((op_type, op, key))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    for op_type, op, key in plan:
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(
                op["TableName"],
                op["Item"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )
        elif op_type == "Delete":
            self.delete_item(
                op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values
            )
        elif op_type == "Update":
            self.update_item(
                op["TableName"],
                key,
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )


def write_lock() -> threading.RLock:
    """The lock every DynamoDB write of the embedded server holds (a snapshot holds it to read a still
    table)."""
    return _LOCK


def apply() -> None:
    """Install the fixes (once per process)."""
    global _applied  # noqa: PLW0603 - once per process
    with _LOCK:
        if _applied:
            return
        from moto.dynamodb.models import DynamoDBBackend

        for name in ("put_item", "update_item", "delete_item"):
            setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
        DynamoDBBackend.transact_write_items = _locked(_transact_write_items)  # type: ignore[method-assign]
        _applied = True
