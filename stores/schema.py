"""Schema versions: what every backend says when a namespace's schema is missing,
newer than this sokka-tui knows, or older and the store may not upgrade it.

Each backend keeps its own version number (``SCHEMA_VERSION`` in its module)
and stores it as text in the namespace; these helpers word the refusal the same
way for all of them.
"""

from __future__ import annotations

from stores.errors import StoreUnavailable


def checked_schema_version(namespace: str, version: str, known: int) -> int:
    """``version`` (as stored) as a number. Raises ``StoreUnavailable`` when it is
    newer than ``known``, the newest this sokka-tui knows, or not a number at all
    (written by something else, so not this version's to read or change)."""
    if not (version.isascii() and version.isdigit()) or int(version) > known:
        shown = version if version.isascii() and version.isdigit() else repr(version)
        raise StoreUnavailable(
            f"Namespace {namespace!r} has schema version {shown}; this sokka-tui "
            f"knows up to {known}. Upgrade sokka-tui."
        )
    return int(version)


def schema_too_old(namespace: str, version: int, known: int) -> StoreUnavailable:
    """The error for a schema older than ``known`` that this store may not upgrade
    (it is read-only, or its role or user may only read)."""
    return StoreUnavailable(
        f"Namespace {namespace!r} has schema version {version}, older than this "
        f"sokka-tui's {known}; open it once without read_only to upgrade it."
    )


def schema_missing(namespace: str, where: str) -> StoreUnavailable:
    """The error for a namespace without a schema, ``where`` (e.g. "in this
    database"), on a store that may not create one."""
    return StoreUnavailable(
        f"Namespace {namespace!r} has no sokka schema {where}; open it once without read_only to create it."
    )
