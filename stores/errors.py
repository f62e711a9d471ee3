"""The errors a store raises. Each has ``.code`` (sokka's keyword) and ``.task_id``.

A driver's own exception never escapes a store: it becomes ``StoreUnavailable``
with the cause chained and any password removed from the message.
"""

from __future__ import annotations

import re


class TaskStoreError(Exception):
    """Base of every store error. ``title`` is a short heading for a UI."""

    code = "task-store-error"
    title = "Store error"

    def __init__(self, message: str, *, task_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id

    def __str__(self) -> str:
        return self.message


class TaskNotFound(TaskStoreError):
    code = "task-not-found"
    title = "Task not found"


class TaskAlreadyExists(TaskStoreError):
    code = "task-already-exists"
    title = "Task already exists"


class AlreadyDone(TaskStoreError):
    code = "already-done"
    title = "Task already finished"


class WrongOwner(TaskStoreError):
    code = "wrong-owner"
    title = "Lease held by another owner"


class LeaseExpired(TaskStoreError):
    code = "lease-expired"
    title = "Lease expired"


class InvalidStatus(TaskStoreError):
    code = "invalid-status"
    title = "Invalid status"


class InvalidStatusTransition(TaskStoreError):
    code = "invalid-status-transition"
    title = "Transition not allowed"


class TaskConcurrentlyUpdated(TaskStoreError):
    code = "task-concurrently-updated"
    title = "Task changed meanwhile"


class InvalidTask(TaskStoreError):
    code = "invalid-task"
    title = "Invalid task"


class InvalidArgument(TaskStoreError):
    code = "invalid-argument"
    title = "Invalid argument"


class ReadOnlyStore(TaskStoreError):
    code = "read-only"
    title = "Read-only store"


class StoreUnavailable(TaskStoreError):
    code = "store-unavailable"
    title = "Store unavailable"


#: The refusals that depend on the task as it is now (the arguments were fine):
#: nothing was written, and the same call may succeed on another task or later.
REFUSALS: tuple[type[TaskStoreError], ...] = (
    TaskNotFound,
    TaskAlreadyExists,
    AlreadyDone,
    WrongOwner,
    LeaseExpired,
    InvalidStatus,
    InvalidStatusTransition,
    TaskConcurrentlyUpdated,
)

_ERRORS: tuple[type[TaskStoreError], ...] = (
    *REFUSALS,
    InvalidTask,
    InvalidArgument,
    ReadOnlyStore,
    StoreUnavailable,
)
ERRORS_BY_CODE: dict[str, type[TaskStoreError]] = {cls.code: cls for cls in _ERRORS}

# user:password@ in a URL, and password=... in a libpq conninfo string.
# The password part runs to the last "@" of the authority (a password may hold one).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*):[^\s/?#]*@")
_KV_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with passwords removed: those in URLs, ``password=`` pairs and ``secrets``."""
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    text = _KV_PASSWORD.sub(r"\g<head>***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def refused_write(server: str, cause: BaseException, *secrets: str | None) -> ReadOnlyStore:
    """A ``ReadOnlyStore`` for a write ``server`` refused for lack of rights (a role or
    ACL user that may only read, a read-only session): one line, no password; the
    write changed nothing. Chains ``cause``."""
    detail = " ".join(str(cause).split()) or type(cause).__name__
    error = ReadOnlyStore(redact(f"{server} refused the write: this user may only read ({detail}).", *secrets))
    error.__cause__ = cause
    return error


def unavailable(what: str, cause: BaseException, *secrets: str | None) -> StoreUnavailable:
    """A ``StoreUnavailable`` for a driver error: one line, no password; chain ``cause``."""
    detail = " ".join(str(cause).split()) or type(cause).__name__
    error = StoreUnavailable(redact(f"{what}: {detail}", *secrets))
    error.__cause__ = cause
    return error


def search_overran(limit_s: float) -> StoreUnavailable:
    """The error of a payload search call stopped by its time limit on the server."""
    return StoreUnavailable(
        f"The payload search read for more than {limit_s:g} s in one call and was stopped; "
        "narrow it (a status, a time range) or search with a smaller scan_limit."
    )
