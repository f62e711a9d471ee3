"""``sokka-tui demo --store PATH``: a demo store kept in a file of your choosing.

A new (or empty) file gets the demo's seed; a file an earlier demo made is
reused as it is; anything else is refused, and never written to: the demo
must not add its tables to someone's database.
"""

from __future__ import annotations

from pathlib import Path

from sokka_tui.demo.topics import DEMO_TOPICS
from stores.errors import TaskStoreError
from stores.registry import open_store


class NotADemoStore(ValueError):
    """``--store`` names a file the demo will not use; the message says why, in one line."""


def demo_store(path: str, namespace: str) -> tuple[str, bool]:
    """The ``sqlite://`` URL of the demo store at ``path`` (made absolute), and
    whether it still needs seeding (a new or empty file, or one with no tasks).

    Raises ``NotADemoStore`` for a directory, a missing parent directory, a file
    that is not a sokka store in ``namespace``, or one holding topics the demo
    does not make."""
    file = Path(path).expanduser().absolute()
    if file.is_dir():
        raise NotADemoStore(f"--store {path} is a directory; give a file, e.g. {file / 'demo.db'}")
    if not file.parent.is_dir():
        raise NotADemoStore(f"--store {path}: there is no directory {file.parent}")
    url = f"sqlite://{file}"
    if not file.exists() or file.stat().st_size == 0:
        return url, True
    refusal = f"--store {path} is not a demo store; give a new file, or one an earlier 'sokka-tui demo --store' made"
    try:
        # Read-only: a file that is not a sokka store is refused, not given a schema.
        with open_store(url, namespace=namespace, read_only=True) as store:
            topics = [stats.topic for stats in store.topics()]
    except TaskStoreError as exc:
        raise NotADemoStore(f"{refusal} ({exc})") from None
    foreign = sorted(topic for topic in topics if topic not in DEMO_TOPICS)
    if foreign:
        shown = ", ".join(repr(topic) for topic in foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise NotADemoStore(f"{refusal} (it has topics the demo does not make: {shown})")
    return url, not topics
