"""The store's identity as every backend stores it, and why a store is read-only.

The identity (``StoreIdentity``) is kept as one text, ``"<store_id>:<created_at>"``,
next to the schema version: a row ``identity`` of the meta table (SQLite,
PostgreSQL), the key ``<namespace>:identity`` (Redis). One value, so it is
written, and read, whole.
"""

from __future__ import annotations

import secrets

from stores.model import StoreIdentity

#: The meta key (SQL backends) and key suffix (Redis) of the identity.
IDENTITY_KEY = "identity"

#: ``read_only_reason`` of a store opened with ``read_only=True``.
ASKED_READ_ONLY = "opened read-only"
#: ``read_only_reason`` of a PostgreSQL store whose role has no write privilege.
ROLE_MAY_ONLY_READ = "this role may only read"
#: ``read_only_reason`` of a Redis store whose ACL user may not run the writes.
USER_MAY_ONLY_READ = "this user may only read"
#: ``read_only_reason`` of a PostgreSQL store on a hot standby.
STANDBY_MAY_ONLY_READ = "this server is a standby: it may only read"
#: ``read_only_reason`` of a PostgreSQL store whose sessions are read-only by default.
SESSION_MAY_ONLY_READ = "this session may only read (default_transaction_read_only)"


def new_identity(now_ms: int) -> str:
    """The stored text of a new identity created at ``now_ms`` (store clock)."""
    return f"{secrets.token_hex(8)}:{now_ms}"


def parse_identity(text: str | None) -> StoreIdentity | None:
    """The identity stored as ``text``; ``None`` when there is none, or when the
    text is not one this module wrote (then it identifies nothing)."""
    if not text:
        return None
    store_id, _, created = text.partition(":")
    if not store_id or not (created.isascii() and created.isdigit()):
        return None
    return StoreIdentity(store_id, int(created))
