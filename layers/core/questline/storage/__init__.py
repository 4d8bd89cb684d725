"""Single-table storage: keys (`keys`), the table wrapper (`table`), cursors and capacity accounting."""

from __future__ import annotations

from functools import lru_cache

from questline.aws import client
from questline.settings import get_settings
from questline.storage.table import Table


@lru_cache(maxsize=1)
def get_table() -> Table:
    return Table(get_settings().table_name, client("dynamodb"))


def reset_table() -> None:
    get_table.cache_clear()
