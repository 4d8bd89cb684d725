"""A write of several items, all or nothing, whose failed conditions become the domain errors they stand
for: each operation is added with the error a failure of its condition means ("the alias is taken", "the
entity does not exist"), so a service states its rules once and never inspects cancellation reasons.

One operation is sent as a plain conditional write (half the capacity of a one-item transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from questline.errors import QuestlineError
from questline.storage import get_table
from questline.storage.table import ConditionFailed, TxCheck, TxDelete, TxOp, TxPut, TxUpdate

MAX_OPERATIONS = 100  # DynamoDB's limit per TransactWriteItems

Failure = QuestlineError | Callable[[dict[str, Any] | None], QuestlineError]
"""What a failed condition means: an error, or a function of the stored item (when the operation asked
for it with `return_old_on_failure`) that decides which error."""


class Transaction:
    __slots__ = ("_failures", "operations")

    def __init__(self) -> None:
        self.operations: list[TxOp] = []
        self._failures: list[Failure | None] = []

    def add(self, operation: TxOp, on_failure: Failure | None = None) -> Transaction:
        self.operations.append(operation)
        self._failures.append(on_failure)
        return self

    def extend(self, operations: Iterable[tuple[TxOp, Failure | None]]) -> Transaction:
        for operation, on_failure in operations:
            self.add(operation, on_failure)
        return self

    def __len__(self) -> int:
        return len(self.operations)

    def commit(self) -> None:
        if not self.operations:
            return
        if len(self.operations) > MAX_OPERATIONS:
            raise ValueError(f"a transaction holds at most {MAX_OPERATIONS} operations")
        try:
            if len(self.operations) == 1 and not isinstance(self.operations[0], TxCheck):
                _write_one(self.operations[0])
            else:
                get_table().transact_write(self.operations)
        except ConditionFailed as failed:
            index = 0 if len(self.operations) == 1 else failed.index
            failure = self._failures[index] if index is not None else None
            if failure is None:
                raise
            raise (failure if isinstance(failure, QuestlineError) else failure(failed.item)) from failed


def _write_one(operation: TxOp) -> None:
    table = get_table()
    if isinstance(operation, TxPut):
        table.put(
            operation.item,
            condition=operation.condition,
            return_old_on_failure=operation.return_old_on_failure,
        )
    elif isinstance(operation, TxUpdate):
        table.update(
            operation.key,
            operation.update,
            condition=operation.condition,
            return_values="NONE",
            return_old_on_failure=operation.return_old_on_failure,
        )
    elif isinstance(operation, TxDelete):
        table.delete(
            operation.key,
            condition=operation.condition,
            return_old_on_failure=operation.return_old_on_failure,
        )
