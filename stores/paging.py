"""Walking keyset-paginated listings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from stores.constants import DEFAULT_PAGE_LIMIT
from stores.model import Page, Row


def scroll(
    fn: Callable[[Mapping[str, Any]], Page[Row]], cursor: Mapping[str, Any] | None = None
) -> Iterator[Row]:
    """Every row (task, or audit record) of every page: ``fn(cursor)`` for the first page, then with each
    page's ``cursor`` until one is ``None``. Example::

        for task in scroll(lambda c: store.list_tasks({"topic": "mail"}, c), {"limit": 500}):
            ...
    """
    cursor = cursor if cursor is not None else {"limit": DEFAULT_PAGE_LIMIT}
    while cursor is not None:
        page = fn(cursor)
        yield from page.data
        cursor = page.cursor
