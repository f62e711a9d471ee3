"""Named queries kept in ``.sql`` files, loaded once.

A file holds blocks that each start with a line ``-- name: some_name``; the text
up to the next such line is that query.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_NAME_LINE = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@functools.cache
def load_queries(package: str, filename: str) -> dict[str, str]:
    """``{name: sql}`` for the named blocks of ``package/filename``."""
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    parts = _NAME_LINE.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
