"""Quest Protocol's `page` and `limit` over DynamoDB queries, without scans.

DynamoDB pages by key, not by number, so page N is served by reading the first N x limit items of the
query (plus one, to know whether more follow) and keeping the last `limit`. That costs reads in proportion
to how deep the page is, so the window is capped (`MAX_WINDOW` items: page x limit); past it a list offers
`after` (the last id seen), which reads only `limit` items wherever it starts.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from questline.errors import BadRequest
from questline.storage import get_table

MAX_WINDOW = 1000
MAX_LIMIT = 100


class Window(NamedTuple):
    items: list[dict[str, Any]]
    has_more: bool


def check_window(page: int, limit: int) -> None:
    if page * limit > MAX_WINDOW:
        raise BadRequest(
            f"page: page x limit may be at most {MAX_WINDOW}; page further with `after` (the last id seen)",
            field="page",
        )


def read_window(
    partition: str,
    *,
    page: int,
    limit: int,
    index: str | None = None,
    begins_with: str | None = None,
    after: str | None = None,
) -> Window:
    """Items `(page-1)*limit ... page*limit` of a query, or the `limit` items after sort key `after`."""
    if after is not None:
        skip, wanted = 0, limit + 1
    else:
        check_window(page, limit)
        skip, wanted = (page - 1) * limit, page * limit + 1
    table = get_table()
    collected: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while len(collected) < wanted:
        result = table.query(
            partition,
            index=index,
            begins_with=begins_with if after is None else None,
            after=after,
            limit=wanted - len(collected),
            start_key=start,
        )
        collected.extend(result.items)
        start = result.last_key
        if start is None:
            break
    return Window(items=collected[skip : skip + limit], has_more=len(collected) > skip + limit)
