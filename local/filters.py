"""Lambda event filtering (FilterCriteria), as event source mappings apply it before invoking a function.

Supported comparison operators: exact values (string, number, boolean, null), `prefix`, `suffix`,
`equals-ignore-case`, `anything-but` (values, or a `prefix`), `numeric` ranges, `exists`, and `wildcard`.
A record matches a mapping when it matches any of its filters; a filter matches when every key matches.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()
_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def matches_any(filters: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    return not filters or any(matches(f, event) for f in filters)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    for key, expected in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if value is _MISSING or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _field_matches(expected, value):
                return False
        else:
            raise ValueError(f"filter value for {key!r} must be an object or an array")
    return True


def _field_matches(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_rule_matches(rule, v) for rule in rules for v in values)


def _rule_matches(rule: Any, value: Any) -> bool:  # noqa: PLR0911 - one branch per operator
    if not isinstance(rule, Mapping):
        return value is not _MISSING and _equal(rule, value)
    ((operator, operand),) = rule.items()
    if operator == "exists":
        return (value is not _MISSING) == bool(operand)
    if value is _MISSING:
        return False
    if operator == "prefix":
        if isinstance(operand, Mapping):  # {"prefix": {"equals-ignore-case": "x"}}
            return isinstance(value, str) and value.lower().startswith(
                str(operand["equals-ignore-case"]).lower()
            )
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if operator == "wildcard":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, operand)
    if operator == "anything-but":
        if isinstance(operand, Mapping):
            return not _rule_matches(operand, value)
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_equal(e, value) for e in excluded)
    if operator == "numeric":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        pairs = list(zip(operand[::2], operand[1::2], strict=True))
        return all(_NUMERIC_OPS[op](value, bound) for op, bound in pairs)
    raise ValueError(f"unsupported filter operator {operator!r}")


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return float(expected) == float(value)
    return bool(expected == value)


def sqs_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What an SQS filter sees: the record, with a JSON body parsed (a non-JSON body stays a string)."""
    view = dict(record)
    with contextlib.suppress(TypeError, ValueError):
        view["body"] = json.loads(record.get("body", ""))
    return view
