"""Which store a ``sokka`` command opens, and how.

Reads open the store read-only, always: a read never creates a schema or
writes anything (a mistyped namespace is an error, not a new empty store), and
on PostgreSQL the session itself is read-only. Writes open it writable, with
the operator (OS user, host, ``sokka``) recorded in the audit trail, and are
refused before connecting when the store is read-only by ``--read-only`` or by
its context (unless ``--allow-write``).
"""

from __future__ import annotations

import argparse

import stores
from sokka_tui.contexts import ContextError, Target, resolve
from sokka_tui.ops.errors import Usage
from stores.audit import Operator

TOOL = "sokka"


def target_of(args: argparse.Namespace) -> Target:
    """The store the arguments name. Raises ``Usage`` for a bad context."""
    try:
        return resolve(
            args.url, args.context, namespace=args.namespace, read_only=args.read_only,
            allow_write=args.allow_write, zone=args.tz,
        )
    except ContextError as exc:
        raise Usage(str(exc)) from None


def check_writable(target: Target, args: argparse.Namespace) -> None:
    """Refuse (``Usage``) a write to a read-only target, before any connection."""
    if args.read_only:
        raise Usage("--read-only is set, so this command cannot write")
    if target.read_only and target.context_read_only:
        raise Usage(f"context {target.context!r} is read-only; add --allow-write to write through it")


def open_store(target: Target, *, write: bool, timeout: float | None = None) -> stores.Store:
    """Open ``target`` read-only for a read, writable with the operator for a write.
    Raises the store's errors (``StoreUnavailable``, ``InvalidArgument``)."""
    options: dict = {"read_only": not write}
    if target.namespace is not None:
        options["namespace"] = target.namespace
    if timeout is not None:
        options["timeout"] = timeout
    if write:
        options["operator"] = Operator.current(TOOL)
    return stores.open_store(target.url, **options)
