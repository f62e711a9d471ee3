"""Which store URLs the demo can open more than once."""

from __future__ import annotations


def require_shared_url(url: str, who: str) -> None:
    """Raise ``ValueError`` for ``sqlite://:memory:``: each handle on it is a
    private, empty database, so a second handle or another process would not see
    the first one's tasks. ``who`` names the caller in the message."""
    if not isinstance(url, str) or not url.lower().startswith("sqlite://"):
        return
    # The same reading as stores.sqlite: the path ends at the query string.
    if url[len("sqlite://"):].split("?", 1)[0] == ":memory:":
        raise ValueError(
            f"{who} opens the store more than once, which sqlite://:memory: cannot do "
            "(each handle on it is a separate, empty database); use a file, "
            "e.g. sqlite:///tmp/demo.db."
        )
