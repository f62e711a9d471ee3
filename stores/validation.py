"""Checks on what callers hand a store, shared by every backend.

Everything here raises ``InvalidTask`` or ``InvalidArgument`` before a server is
asked anything, so every backend refuses the same input with the same error.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

from stores.constants import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT
from stores.errors import InvalidArgument, InvalidTask
from stores.model import Task, TaskStatus
from stores.payload import Condition, check_conditions

NAMESPACE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")
#: The largest time or duration accepted, in ms (about 3,000 years): keeps every
#: value exact in Redis' Lua numbers and in a bigint.
MAX_MS = 10**14
#: The longest id, group id, topic, sub-topic or pid, in UTF-8 bytes. PostgreSQL
#: keeps these in b-tree indexes (several in one entry, at most 2704 bytes), and
#: an operator must be able to read them: longer ones are refused everywhere.
MAX_NAME_BYTES = 512
#: The largest ``record_ver`` accepted: exact in Redis' Lua numbers and in a bigint.
MAX_RECORD_VER = 2**53 - 1

TASK_FIELDS = (
    "task_id",
    "task_group_id",
    "task_description",
    "topic",
    "sub_topic",
    "status",
    "pid",
    "record_ver",
    "data",
    "error",
    "snooze_time",
    "timeout_ms",
    "lease_expires_at",
    "created_at",
    "updated_at",
)
_FIELD_SET = frozenset(TASK_FIELDS)
# Fields a caller may hand create_task but the store decides itself.
_STORE_OWNED = frozenset(TASK_FIELDS) - {
    "task_id",
    "task_group_id",
    "task_description",
    "topic",
    "sub_topic",
    "data",
    "timeout_ms",
}


@dataclass(frozen=True)
class NewTask:
    """A validated task to create; ``data_json`` is the exact JSON text to store."""

    task_id: str
    task_group_id: str
    task_description: str | None
    topic: str
    sub_topic: str
    data_json: str
    timeout_ms: int | None

    def created(self, at: int) -> Task:
        """The task a create of this one writes at ``at`` (epoch ms, the store's
        clock): ``starting``, version 1, no owner, no lease."""
        return Task(
            self.task_id, self.task_group_id, self.task_description, self.topic, self.sub_topic,
            TaskStatus.STARTING, None, 1, json.loads(self.data_json), None, None, self.timeout_ms,
            None, at, at,
        )


_B32 = "abcdefghijklmnopqrstuvwxyz234567"
#: Every pair of base32 characters, indexed by the 10 bits they encode.
_B32_PAIRS = tuple(a + b for a in _B32 for b in _B32)
_PAIR_SHIFTS = tuple(range(120, -1, -10))


class _RandomBits:
    """128-bit numbers from the OS's CSPRNG, read 4 KiB at a time: one
    ``getrandom`` call per task id costs more than the rest of its validation.
    A forked child forgets the parent's unread bytes, so no two processes can
    hand out the same ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._used = 0
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        self._lock = threading.Lock()  # the parent's may have been held at the fork
        self._buffer, self._used = b"", 0

    def next128(self) -> int:
        with self._lock:
            if self._used + 16 > len(self._buffer):
                self._buffer, self._used = os.urandom(4096), 0
            start = self._used
            self._used = start + 16
            return int.from_bytes(self._buffer[start : start + 16], "big")


_RANDOM = _RandomBits()


def new_task_id() -> str:
    """128 random bits as 26 lowercase base32 characters (safe on a command line):
    what ``base64.b32encode`` gives without its padding, made two characters at a
    time (bulk creation makes one per task)."""
    n = _RANDOM.next128() << 2  # 130 bits: 13 groups of 10, as b32encode pads them
    return "".join([_B32_PAIRS[(n >> shift) & 1023] for shift in _PAIR_SHIFTS])


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


#: Characters that fit in ``MAX_NAME_BYTES`` whatever they are (4 bytes each at most).
_SHORT_NAME = MAX_NAME_BYTES // 4


def plain_name(value: object) -> bool:
    """Whether ``value`` is the usual name: ASCII text (valid Unicode) of 1 to
    ``MAX_NAME_BYTES`` / 4 characters (short enough whatever they are), without
    NUL. Such a name passes every name check here; another may or may not."""
    return type(value) is str and 0 < len(value) <= _SHORT_NAME and value.isascii() and "\x00" not in value


def _check_text(error: type[Exception], name: str, value: object) -> str:
    """A name (id, topic, pid): non-empty text, no NUL, valid Unicode, at most
    ``MAX_NAME_BYTES``. Returns it; raises ``error`` otherwise."""
    if type(value) is str and 0 < len(value) <= _SHORT_NAME and value.isascii() and "\x00" not in value:
        return value  # plain_name, inline: every call of the store checks a name or two
    if not isinstance(value, str):
        raise error(f"{name} must be text, not {type(value).__name__}.")
    if not value:
        raise error(f"{name} must not be empty.")
    problem = _text_problem(value)
    if problem:
        raise error(f"{name} {problem}.")
    if len(value) > MAX_NAME_BYTES // 4 and len(value.encode("utf-8")) > MAX_NAME_BYTES:
        raise error(f"{name} is longer than {MAX_NAME_BYTES} bytes.")
    return value


def _check_optional_text(error: type[Exception], name: str, value: object) -> str | None:
    """``_check_text``, or ``None`` for ``None``."""
    return None if value is None else _check_text(error, name, value)


def _plain_json(value: Any) -> bool:
    """True when ``value`` is made only of the exact JSON types with text keys and
    finite numbers: the common case, checked without building paths. False means
    "look closer" (``check_json_value``), not "refused". Text is checked for valid
    Unicode once, on the dumped JSON."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is float:
            if not math.isfinite(item):
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str:
                    return False
            extend(item.values())
        elif kind is list:
            extend(item)
        else:
            return False
    return True


def check_json_value(value: Any, path: str = "data") -> None:
    """Raise ``InvalidTask`` unless ``value`` is made only of JSON types (exact round trip)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if item is None or isinstance(item, (bool, int)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidTask(f"{where} holds {item!r}, which JSON cannot represent.")
        elif isinstance(item, str):
            if _text_problem(item) == "is not valid Unicode text":
                raise InvalidTask(f"{where} holds text that is not valid Unicode.")
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise InvalidTask(f"{where} has a key {key!r} that is not text.")
                if _text_problem(key) == "is not valid Unicode text":
                    raise InvalidTask(f"{where} has a key that is not valid Unicode.")
                stack.append((child, f"{where}.{key}"))
        else:
            raise InvalidTask(f"{where} holds a {type(item).__name__}, which is not a JSON type.")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dump_json(value: Any) -> str:
    """The JSON text stored for ``value``; ``value`` must have passed ``check_json_value``."""
    return _ENCODER.encode(value)


def _data_json(data: Any) -> str:
    """``data`` checked and dumped: a fast pass for plain JSON, the detailed check
    (with the path of what is wrong) otherwise."""
    if _plain_json(data):
        try:
            text = _ENCODER.encode(data)
            text.encode("utf-8")  # lone surrogates anywhere in the text
            return text
        except (RecursionError, ValueError):
            pass  # UnicodeEncodeError included: the detailed check names it
    check_json_value(data)
    try:
        return dump_json(data)
    except (RecursionError, ValueError) as exc:
        raise InvalidTask(f"data cannot be stored as JSON: {exc}.") from None


def validate_new_task(task: Any) -> NewTask:
    """Check a mapping given to ``create_task``; raise ``InvalidTask`` when it is not one."""
    if not isinstance(task, Mapping):
        raise InvalidTask(f"A task must be a mapping, not {type(task).__name__}.")
    if not _FIELD_SET.issuperset(task):
        unknown = sorted(str(key) for key in task if key not in _FIELD_SET)
        raise InvalidTask(f"Unknown task field(s): {', '.join(unknown)}.")
    given_id = task.get("task_id")
    task_id = _check_text(InvalidTask, "task_id", new_task_id() if given_id is None else given_id)
    group = _check_optional_text(InvalidTask, "task_group_id", task.get("task_group_id"))
    description = task.get("task_description")
    if description is not None:
        if not isinstance(description, str):
            raise InvalidTask("task_description must be text.")
        if _text_problem(description):
            raise InvalidTask(f"task_description {_text_problem(description)}.")
    if task.get("topic") is None:
        raise InvalidTask("A task needs a topic.")
    topic = _check_text(InvalidTask, "topic", task.get("topic"))
    sub_topic = _check_optional_text(InvalidTask, "sub_topic", task.get("sub_topic"))
    timeout_ms = task.get("timeout_ms")
    if timeout_ms is not None and not (_is_int(timeout_ms) and 0 < timeout_ms <= MAX_MS):
        raise InvalidTask("timeout_ms must be a positive whole number of milliseconds.")
    data_json = _data_json(task.get("data"))
    return NewTask(
        task_id=task_id,
        task_group_id=group if group is not None else task_id,
        task_description=description,
        topic=topic,
        sub_topic=sub_topic if sub_topic is not None else "default",
        data_json=data_json,
        timeout_ms=timeout_ms,
    )


def check_task_id(task_id: object) -> str:
    """Raise ``InvalidArgument`` unless ``task_id`` is non-empty text."""
    return _check_text(InvalidArgument, "task_id", task_id)


def check_topic(topic: object) -> str:
    return _check_text(InvalidArgument, "topic", topic)


def check_pid(pid: object, *, optional: bool) -> str | None:
    """A worker id: non-empty text (``None`` allowed where the operation accepts it)."""
    if optional:
        return _check_optional_text(InvalidArgument, "pid", pid)
    return _check_text(InvalidArgument, "pid", pid)


def check_batch_id(batch_id: object) -> str:
    """A bulk run's id in the audit trail: non-empty text of at most 100 characters."""
    checked = _check_text(InvalidArgument, "batch_id", batch_id)
    if len(checked) > 100:
        raise InvalidArgument("batch_id must be at most 100 characters.")
    return checked


def check_record_ver(record_ver: object, *, optional: bool) -> int | None:
    if record_ver is None and optional:
        return None
    if _is_int(record_ver) and 1 <= record_ver <= MAX_RECORD_VER:
        return record_ver
    raise InvalidArgument(f"record_ver must be a whole number from 1 to {MAX_RECORD_VER}.")


def check_duration_ms(name: str, value: object) -> int:
    """A positive whole number of milliseconds, at most ``MAX_MS``."""
    if _is_int(value) and 0 < value <= MAX_MS:
        return value
    raise InvalidArgument(f"{name} must be a positive whole number of milliseconds.")


def check_error_text(error: object) -> str:
    if error is None:
        return ""
    if not isinstance(error, str):
        raise InvalidArgument("error must be text.")
    problem = _text_problem(error)
    if problem:
        raise InvalidArgument(f"error {problem}.")
    return error


#: The longest reason a pause may give (characters).
MAX_PAUSE_REASON = 500


def check_pause_reason(reason: object) -> str:
    """Why a topic is paused: text (``None`` is ``""``), no NUL, at most ``MAX_PAUSE_REASON`` characters."""
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise InvalidArgument("reason must be text.")
    problem = _text_problem(reason)
    if problem:
        raise InvalidArgument(f"reason {problem}.")
    if len(reason) > MAX_PAUSE_REASON:
        raise InvalidArgument(f"reason must be at most {MAX_PAUSE_REASON} characters.")
    return reason


def check_time_ms(name: str, value: object) -> int:
    """An epoch time in ms: a whole number from 1 to ``MAX_MS``."""
    if _is_int(value) and 0 < value <= MAX_MS:
        return value
    raise InvalidArgument(f"{name} must be a time in epoch milliseconds (a whole number from 1 to {MAX_MS}).")


def check_namespace(namespace: object) -> str:
    """A namespace is an identifier: letters, digits and ``_``, 48 at most."""
    if not isinstance(namespace, str) or not NAMESPACE_PATTERN.fullmatch(namespace):
        raise InvalidArgument(
            "namespace must be 1 to 48 letters, digits or underscores, not starting with a digit."
        )
    return namespace


@dataclass(frozen=True)
class TaskFilters:
    """The filters of ``list_tasks``, checked."""

    topic: str | None = None
    sub_topic: str | None = None
    status: TaskStatus | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    #: Failed tasks whose error key (first line; a traceback's exception) is
    #: exactly this (``stores.failures.error_key``);
    #: given, the status is ``failed`` and a topic is required.
    error_key: str | None = None
    #: Payload conditions (``stores.payload``), ANDed; given, a topic is required
    #: and the listing is a bounded search (``BaseStore.list_tasks``).
    data: tuple[Condition, ...] = ()


_FILTER_KEYS = frozenset(TaskFilters.__dataclass_fields__)


def check_filters(filters: object) -> TaskFilters:
    if filters is None:
        return TaskFilters()
    if not isinstance(filters, Mapping):
        raise InvalidArgument("filters must be a mapping.")
    unknown = sorted(str(key) for key in filters if key not in _FILTER_KEYS)
    if unknown:
        raise InvalidArgument(f"Unknown filter(s): {', '.join(unknown)}.")
    topic = _check_optional_text(InvalidArgument, "topic", filters.get("topic"))
    sub_topic = _check_optional_text(InvalidArgument, "sub_topic", filters.get("sub_topic"))
    status = filters.get("status")
    if status is not None:
        try:
            status = TaskStatus(status)
        except ValueError:
            raise InvalidArgument(f"Unknown status {status!r}.") from None
    for name in ("from_ms", "to_ms"):
        value = filters.get(name)
        if value is not None and not (_is_int(value) and 0 <= value <= MAX_MS):
            raise InvalidArgument(f"{name} must be a whole number of epoch milliseconds.")
    error_key = filters.get("error_key")
    if error_key is not None:
        if not isinstance(error_key, str) or "\n" in error_key:
            raise InvalidArgument("error_key must be text of one line (an error key, as failure_groups gives it).")
        if topic is None:
            raise InvalidArgument("The error_key filter needs a topic.")
        if status not in (None, TaskStatus.FAILED):
            raise InvalidArgument("The error_key filter lists failed tasks only.")
        status = TaskStatus.FAILED
    data: tuple[Condition, ...] = ()
    if filters.get("data") is not None:
        data = check_conditions(filters["data"])
        if topic is None:
            raise InvalidArgument("The data filter needs a topic: a payload search reads one topic's tasks.")
        if error_key is not None:
            raise InvalidArgument("The data filter cannot be combined with error_key.")
    return TaskFilters(topic, sub_topic, status, filters.get("from_ms"), filters.get("to_ms"), error_key, data)


#: Tasks a payload search reads per call when its cursor does not say.
DEFAULT_SCAN_LIMIT = 20_000
MAX_SCAN_LIMIT = 1_000_000


@dataclass(frozen=True)
class Cursor:
    """A checked page request: the size, the sort key of the last row seen, and
    (a payload search only) how many tasks one call may read."""

    limit: int
    after: tuple[int, str] | None
    scan_limit: int = DEFAULT_SCAN_LIMIT


def check_cursor(cursor: object) -> Cursor:
    """``None`` or ``{"limit": n}`` for a first page, else a cursor a page returned."""
    if cursor is None:
        return Cursor(DEFAULT_PAGE_LIMIT, None)
    if not isinstance(cursor, Mapping):
        raise InvalidArgument("cursor must be a mapping such as {'limit': 100}.")
    unknown = sorted(str(key) for key in cursor if key not in ("limit", "after", "scan_limit"))
    if unknown:
        raise InvalidArgument(f"Unknown cursor key(s): {', '.join(unknown)}.")
    limit = cursor.get("limit", DEFAULT_PAGE_LIMIT)
    if not (_is_int(limit) and 1 <= limit <= MAX_PAGE_LIMIT):
        raise InvalidArgument(f"cursor limit must be a whole number from 1 to {MAX_PAGE_LIMIT}.")
    after = cursor.get("after")
    if after is not None:
        if not (
            isinstance(after, (list, tuple))
            and len(after) == 2
            and _is_int(after[0])
            and 0 <= after[0] <= MAX_MS
            and isinstance(after[1], str)
            and _text_problem(after[1]) is None
        ):
            raise InvalidArgument("cursor is not one this store returned.")
        after = (after[0], after[1])
    scan_limit = cursor.get("scan_limit", DEFAULT_SCAN_LIMIT)
    if not (_is_int(scan_limit) and 1 <= scan_limit <= MAX_SCAN_LIMIT):
        raise InvalidArgument(f"cursor scan_limit must be a whole number from 1 to {MAX_SCAN_LIMIT}.")
    return Cursor(limit, after, scan_limit)


Row = TypeVar("Row")


def next_cursor(limit: int, rows: Sequence[Row], key: Callable[[Row], tuple[int, str]]) -> dict[str, object] | None:
    """The cursor after ``rows`` (fetched with ``limit + 1``), or ``None`` on the last page."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return {"limit": limit, "after": list(key(last))}
