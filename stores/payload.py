"""Payload conditions: ``list_tasks``'s ``data`` filter, one rule for every backend.

A condition is a JSON path into a task's ``data`` (1 to ``MAX_PATH_KEYS``
object keys), an operator and a value text:

- ``=``: the field's *text form* is exactly the value;
- ``~``: the value is a (case-sensitive) substring of the field's text form.

The text form of a field is a string's own text (no quotes), a number's JSON
text as stored (``42``, ``1.5``), ``true`` or ``false``. JSON ``null``, objects,
arrays and missing fields have none: they never match. So
``data.customer_id=42`` matches ``42`` and ``"42"``. Path keys are always object
keys: a key never indexes an array.

Text a user typed (``data.user.email~@example.com``) is parsed here
(``parse_condition``), and a filter given as mappings
(``{"path": [...], "op": "=", "value": "42"}``) is checked here
(``check_conditions``), so the console, the CLI and every store refuse the same
input with the same message. ``text_form`` and ``matches`` are the rule in
Python: the Redis store filters with them, and the SQL backends' queries
(``payload_text`` in their ``queries.sql``) compute the same text form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stores.errors import InvalidArgument

#: The most keys a path may have.
MAX_PATH_KEYS = 8
#: The longest value text, in characters.
MAX_VALUE_CHARS = 1_000
#: The most conditions one filter may hold.
MAX_CONDITIONS = 8
#: A path key: letters, digits, ``_`` and ``-``, 1 to 64 of them.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
OPERATORS: tuple[Literal["="], Literal["~"]] = ("=", "~")
EXAMPLE = "data.customer_id=42 or data.user.email~@example.com"

Operator = Literal["=", "~"]
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Condition:
    """One checked payload condition: ``path`` (object keys), ``op`` and ``value``."""

    path: tuple[str, ...]
    op: Operator
    value: str

    def to_text(self) -> str:
        """The condition as a user writes it: ``data.a.b=v``."""
        return "data." + ".".join(self.path) + self.op + self.value

    def to_filter(self) -> dict[str, Any]:
        """The condition as ``list_tasks``'s ``data`` filter takes it."""
        return {"path": list(self.path), "op": self.op, "value": self.value}

    def sqlite_path(self) -> str:
        """The SQLite JSON path of the field: ``$."a"."b"`` (keys are checked, so
        they hold no quote); passed to SQLite as a parameter."""
        return "$" + "".join(f'."{key}"' for key in self.path)


def _bad(message: str) -> InvalidArgument:
    return InvalidArgument(f"{message} Write a payload filter as {EXAMPLE}.")


def _check_key(key: object, where: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        shown = key if isinstance(key, str) else type(key).__name__
        raise _bad(
            f"Payload path key {shown!r} in {where} is not 1 to 64 letters, digits, '_' or '-' "
            "(keys are object keys; array indexes are not supported)."
        )
    return key


def _check_value(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _bad(f"The value of {where} must be text, not {type(value).__name__}.")
    if len(value) > MAX_VALUE_CHARS:
        raise _bad(f"The value of {where} is longer than {MAX_VALUE_CHARS} characters.")
    if "\x00" in value:
        raise _bad(f"The value of {where} contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(f"The value of {where} is not valid Unicode text.") from None
    return value


def _check_path(keys: Sequence[object], where: str) -> tuple[str, ...]:
    if not 1 <= len(keys) <= MAX_PATH_KEYS:
        raise _bad(f"The path of {where} must have 1 to {MAX_PATH_KEYS} keys after 'data.'.")
    return tuple(_check_key(key, where) for key in keys)


def parse_condition(text: str) -> Condition:
    """``data.PATH=VALUE`` or ``data.PATH~VALUE`` as a ``Condition``. The path ends
    at the first ``=`` or ``~``; the value is the rest, as written (it may be empty,
    and may hold ``=``, ``~``, spaces, quotes). Raises ``InvalidArgument`` with
    one sentence naming the bad part and an example."""
    if not isinstance(text, str):
        raise _bad(f"A payload filter must be text, not {type(text).__name__}.")
    shown = text if len(text) <= 80 else text[:79] + "…"
    if not text.startswith("data."):
        raise _bad(f"Payload filter {shown!r} does not start with 'data.'.")
    split = min((i for i in (text.find("="), text.find("~")) if i >= 0), default=-1)
    if split < 0:
        raise _bad(f"Payload filter {shown!r} has no '=' or '~'.")
    path_text, op, value = text[5:split], text[split], text[split + 1 :]
    keys = path_text.split(".") if path_text else []
    where = repr(shown)
    path = _check_path(keys, where)
    return Condition(path, "=" if op == "=" else "~", _check_value(value, where))


def check_conditions(conditions: object) -> tuple[Condition, ...]:
    """The ``data`` filter of ``list_tasks``: a list of ``Condition`` or of mappings
    ``{"path": ["customer_id"], "op": "=" | "~", "value": "42"}`` (or of texts as
    ``parse_condition`` takes them). Raises ``InvalidArgument``."""
    if isinstance(conditions, (str, Mapping)) or not isinstance(conditions, Sequence):
        raise _bad("The data filter must be a list of conditions such as "
                   "{'path': ['customer_id'], 'op': '=', 'value': '42'}.")
    if not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise _bad(f"The data filter must hold 1 to {MAX_CONDITIONS} conditions.")
    checked = []
    for i, item in enumerate(conditions):
        if isinstance(item, Condition):
            item = item.to_filter()
        if isinstance(item, str):
            checked.append(parse_condition(item))
            continue
        where = f"data condition {i + 1}"
        if not isinstance(item, Mapping) or set(item) != {"path", "op", "value"}:
            raise _bad(f"The {where} must be a mapping with the keys path, op and value.")
        path = item["path"]
        if isinstance(path, str) or not isinstance(path, Sequence):
            raise _bad(f"The path of {where} must be a list of keys, such as ['user', 'email'].")
        op = item["op"]
        if op not in OPERATORS:
            raise _bad(f"The op of {where} must be '=' or '~', not {op!r}.")
        value = _check_value(item["value"], where)
        checked.append(Condition(_check_path(path, where), "=" if op == "=" else "~", value))
    return tuple(checked)


def text_form(value: Any) -> str | None:
    """A field's text form: a string's text, a number's JSON text, ``true`` /
    ``false``; ``None`` for ``null``, an object or an array."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _ENCODER.encode(value)
    return None


def field_text(data: Any, path: Sequence[str]) -> str | None:
    """The text form of ``data`` at ``path`` (object keys), ``None`` when missing."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return text_form(data)


def matches(data: Any, conditions: Sequence[Condition]) -> bool:
    """Whether ``data`` meets every condition (they are ANDed)."""
    for condition in conditions:
        text = field_text(data, condition.path)
        if text is None:
            return False
        if condition.op == "=":
            if text != condition.value:
                return False
        elif condition.value not in text:
            return False
    return True
