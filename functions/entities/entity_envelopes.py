"""Quest Protocol success envelopes with top-level fields besides `data` (loaded with the models)."""

from __future__ import annotations

from typing import Generic, TypeVar

from questline.http.models import QuestOk

T = TypeVar("T")


class QuestDone(QuestOk[T], Generic[T]):
    """`{"success": true, "message": "…", "data": …}`: the routes whose vendor answer is a message."""

    message: str


class QuestPage(QuestOk[list[T]], Generic[T]):
    """A page of a list: `page` and `limit` as asked, `hasMore` when a next page exists."""

    page: int
    limit: int
    hasMore: bool
