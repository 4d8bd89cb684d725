"""Two differences between moto's DynamoDB and DynamoDB that the local stack cannot live with, mended for
the embedded moto server (tests using moto in-process get the same, more faithful, behaviour), and one cost.

1. moto runs a TransactWriteItems operation by operation and, when one fails, puts back a deep copy of
   every table it touched taken before the transaction. Under the threaded server that discards what
   concurrent requests wrote meanwhile, and replaces the table's stream shard, so stream readers stop
   seeing new records. Here every condition is checked first and nothing is written unless all pass.
2. moto's writes are not atomic across threads: two concurrent conditional writes can both pass their
   check. Here every write to a DynamoDB backend happens under one lock.
3. moto serializes each answer by walking the operation's output shape, and for every member of every
   structure it builds six alias providers to guess where the value sits in its Python object. DynamoDB's
   answers are dicts of AttributeValue structures (ten members, nine absent), so that guessing was most of
   a storage call's cost (about 8 ms of a GetItem or Query here). For a plain dict the guesses depend only
   on the shape and the key, so they are worked out once: the same keys, tried in the same order (and
   once they are known, a member is looked up without building the picker's context for it).
   Likewise each of the ten passes that validate an UpdateExpression rebuilt its table of node types to
   handlers at every node of the expression's tree; each pass now builds it once. And an UpdateExpression
   is parsed twice per update (moto's handler and its backend): its tree is kept by expression text (moto
   only reads it: the validator works on its own deep copy, which for a kept tree is now unpickled from
   the tree pickled once, a few times faster than `copy.deepcopy` and the same nodes).
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


# (picker type, shape, its parent, key) -> the keys moto's picker would try, in its order (see 3. above)
_PICK_KEYS: dict[tuple[Any, ...], tuple[str, ...]] = {}


def _picker_call(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's `AttributePicker.__call__`, with the keys to try for a plain dict worked out once per shape."""
    from moto.core.serialize import DEFAULT_ALIAS_PROVIDERS
    from moto.core.utils import MISSING, get_value

    @functools.wraps(original)
    def pick(self: Any, context: Any) -> Any:
        obj = context.obj
        # A dict's guesses depend on nothing of the dict (it has no Meta, its class name is "dict"); another
        # picker or alias list may guess differently, so those take moto's own path.
        if type(obj) is not dict or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS:
            return original(self, context)
        shape = context.shape
        memo = (type(self), shape, getattr(shape, "parent", None), context.key)
        keys = _PICK_KEYS.get(memo)
        if keys is None:
            keys = _PICK_KEYS[memo] = tuple(self.get_possible_keys(context))
        for possible_key in keys:
            value = get_value(obj, possible_key, MISSING)
            if value is not MISSING:
                break
        else:
            value = None
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in self.response_transformers.items():
            if key_path.endswith(transform_path):
                value = transform(value)
                break
        return value

    return pick


def _serializer_get_value(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's `ResponseSerializer.get_value`: a plain dict's member, once its keys are known (see
    `_picker_call`), looked up directly when the picker is moto's default one and transforms nothing."""
    from moto.core.serialize import DEFAULT_ALIAS_PROVIDERS, XFormedAttributePicker
    from moto.core.utils import MISSING, get_value

    @functools.wraps(original)
    def member(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if (
            type(value) is dict
            and type(picker) is XFormedAttributePicker
            and picker.alias_providers is DEFAULT_ALIAS_PROVIDERS
            and not picker.response_transformers
        ):
            keys = _PICK_KEYS.get((XFormedAttributePicker, shape, getattr(shape, "parent", None), key))
            if keys is not None:
                for possible_key in keys:
                    found = get_value(value, possible_key, MISSING)
                    if found is not MISSING:
                        return found
                return None
        return original(self, value, key, shape)

    return member


def _processing_map_once(traverser: Any) -> dict[type, Callable[[Any], Any]]:
    """A traverser's `_processing_map()`, built on first use (it is a literal of the traverser's methods)."""
    table: dict[type, Callable[[Any], Any]] | None = traverser.__dict__.get("_questline_processing_map")
    if table is None:
        table = traverser.__dict__["_questline_processing_map"] = traverser._processing_map()
    return table


def _nodes_to_be_processed(self: Any) -> tuple[type, ...]:
    return tuple(_processing_map_once(self))


def _process(self: Any, node: Any) -> Any:
    for class_key, processor in _processing_map_once(self).items():
        if isinstance(node, class_key):
            return processor(node)
    return None


_PARSED_UPDATES_KEPT = 4096
_kept_trees: dict[int, tuple[Any, bytes]] = {}  # id of a kept (parsed once) tree -> (the tree, its pickle)


def _update_expression_parsed_once(make: Callable[[type, str], Any]) -> Any:
    """`UpdateExpressionParser.make`, keeping each expression text's tree (invalid ones raise, as before)."""
    import pickle

    parsed: dict[str, Any] = {}

    def make_once(cls: type, expression_str: str) -> Any:
        tree = parsed.get(expression_str)
        if tree is None:
            tree = make(cls, expression_str)
            if len(parsed) < _PARSED_UPDATES_KEPT:
                try:
                    blob = pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)
                except (pickle.PicklingError, TypeError, AttributeError):
                    return tree  # not kept: deep-copied as moto does
                _kept_trees[id(tree)] = (tree, blob)
                parsed[expression_str] = tree
        return tree

    return classmethod(make_once)


def _validator_init(init: Callable[..., None]) -> Callable[..., None]:
    """moto's `Validator.__init__`, whose deep copy of a kept tree is unpickled from the tree's pickle."""
    import copy
    import pickle

    @functools.wraps(init)
    def validator_init(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        init(self, None, *args, **kwargs)  # everything but the copy (a deep copy of None is None)
        kept = _kept_trees.get(id(expression))
        if kept is not None and kept[0] is expression:
            self.node_to_validate = pickle.loads(kept[1])  # noqa: S301 - pickled by make_once, above
        else:
            self.node_to_validate = copy.deepcopy(expression)

    return validator_init


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
        from moto.core.serialize import AttributePicker

        AttributePicker.__call__ = _picker_call(AttributePicker.__call__)  # type: ignore[method-assign]
        from moto.core.serialize import ResponseSerializer

        ResponseSerializer.get_value = _serializer_get_value(ResponseSerializer.get_value)  # type: ignore[method-assign]
        from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

        DepthFirstTraverser.nodes_to_be_processed = _nodes_to_be_processed  # type: ignore[method-assign]
        DepthFirstTraverser.process = _process  # type: ignore[method-assign]
        from moto.dynamodb.parsing.expressions import UpdateExpressionParser

        UpdateExpressionParser.make = _update_expression_parsed_once(UpdateExpressionParser.make.__func__)
        from moto.dynamodb.parsing.validators import Validator

        Validator.__init__ = _validator_init(Validator.__init__)  # type: ignore[method-assign]
        _applied = True
