"""The one place where text from a store becomes text on screen.

Everything a store holds (ids, topics, data, errors, pids) is untrusted: it may
contain Rich markup (``[@click=app.quit]x[/]``), escape sequences or control
characters. ``safe_text`` returns a ``rich.text.Text`` with control characters
replaced by visible glyphs; a ``Text`` is never parsed as markup.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text

from sokka_tui.timezones import UTC, Zone

#: How a value longer than its room is cut: ``words`` for prose (descriptions,
#: errors, reasons: at a word boundary), ``middle`` for identifiers whose end
#: matters (owners keep their pid, ids and topics their last characters).
Cut = Literal["words", "middle"]
#: Separators an identifier's end is kept from, when it fits: ``host:pid``.
_ID_TAIL_SEPARATORS = (":", "@", "/")

# C0 controls map to the Unicode "control pictures" block (U+2400...), DEL to
# U+2421; C1 controls (U+0080-U+009F) and other invisible format characters
# that can reorder or hide text are shown as a replacement character.
_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_C0_PICTURES[0x7F] = "\u2421"
_INVISIBLE = {code: "\ufffd" for code in range(0x80, 0xA0)}
_INVISIBLE.update({code: "\ufffd" for code in (0x200E, 0x200F, 0x2028, 0x2029, 0x2066, 0x2067, 0x2068, 0x2069)})
_INVISIBLE.update({code: "\ufffd" for code in range(0x202A, 0x202F)})
_TABLE = {**_C0_PICTURES, **_INVISIBLE}
_MULTILINE_TABLE = {k: v for k, v in _TABLE.items() if k not in (0x0A, 0x09)}


def clean(value: object, *, multiline: bool = False) -> str:
    """``value`` as text with control characters made visible (newlines and tabs
    kept when ``multiline``)."""
    text = "" if value is None else str(value)
    return text.translate(_MULTILINE_TABLE if multiline else _TABLE)


def truncate(text: str, width: int, how: Cut = "words") -> str:
    """``text`` in at most ``width`` characters; when it is cut, an ellipsis says so.

    ``words``: cut at the last word boundary that keeps at least half the room
    (else mid-word), punctuation before the cut dropped: ``"Sales by day,…"``.
    ``middle``: the start and the end kept, the middle dropped; an end after a
    separator (``:pid``, ``@host``, ``/leaf``) is kept whole when it leaves the
    start 3 characters: ``"demo-wor…:23741"``.
    """
    if len(text) <= width:
        return text
    room = width - 1  # one cell is the ellipsis
    if room <= 0:
        return "…"[: max(width, 1)]
    if how == "middle":
        tail_len = room // 2
        cut_at = max(text.rfind(sep) for sep in _ID_TAIL_SEPARATORS)
        if cut_at > 0 and len(text) - cut_at <= room - 3:
            tail_len = len(text) - cut_at
        head = text[: room - tail_len]
        return head + "…" + (text[len(text) - tail_len :] if tail_len else "")
    head = text[:room]
    space = head.rfind(" ")
    if text[room] != " " and space >= room // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-–—") + "…"


def safe_text(
    value: object,
    style: str = "",
    *,
    multiline: bool = False,
    max_length: int | None = None,
    cut: Cut = "words",
) -> Text:
    """A ``Text`` showing ``value`` literally: never markup, no control characters.

    ``max_length`` cuts long values with an ellipsis (tables stay one line),
    ``cut`` says how (``truncate``): ``middle`` for ids, owners and topics.
    """
    text = clean(value, multiline=multiline)
    if max_length is not None:
        text = truncate(text, max_length, cut)
    return Text(text, style=style, no_wrap=not multiline, end="")


def safe_id(value: object, max_length: int, style: str = "") -> Text:
    """An identifier (task id, owner, topic, group, operator) cut in the middle."""
    return safe_text(value, style, max_length=max_length, cut="middle")


def plain(value: object, max_length: int = 200) -> str:
    """For notifications (sent with ``markup=False``): one clean line, cut short."""
    return safe_text(value, max_length=max_length).plain


def about_row(reason: str, task_id: str) -> str:
    """A store's reason shown on the row of ``task_id``: the row names the task,
    so the reason does not again (``Task 'x' cannot move…`` → ``The task cannot move…``)."""
    for quoted in (repr(task_id), f'"{task_id}"'):
        reason = reason.replace(f"Task {quoted}", "The task").replace(f"task {quoted}", "the task")
    return reason


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with ``noun`` in the right number: ``1 task``, ``0 tasks``, ``1,250 tasks``
    (``plural`` when adding an ``s`` is wrong: ``counted(2, "entry", "entries")``)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def sentence(text: str) -> str:
    """``text`` ending in exactly one full stop: store messages are sentences already,
    so ``f"...: {sentence(error)}"`` never ends in ``..``."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def format_duration(ms: int) -> str:
    """``ms`` as a short human duration: ``42s``, ``3m 05s``, ``2h 10m``, ``3d 4h``."""
    seconds = abs(ms) // 1000
    if seconds < 60:
        return f"{seconds}s" if seconds or abs(ms) >= 1000 else f"{abs(ms)}ms"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def ago(ms: int) -> str:
    """``ms`` milliseconds in the past: ``3m 05s ago``; under a second, ``now``
    (never ``0ms ago``: the clocks shown tick by the second)."""
    return "now" if abs(ms) < 1000 else f"{format_duration(ms)} ago"


def ahead(ms: int) -> str:
    """``ms`` milliseconds in the future: ``in 42s``; under a second, ``now``."""
    return "now" if abs(ms) < 1000 else f"in {format_duration(ms)}"


def relative(at_ms: int | None, now_ms: int) -> str:
    """``at_ms`` relative to ``now_ms``: ``3m 05s ago`` or ``in 42s``; ``—`` for none."""
    if at_ms is None:
        return "—"
    delta = at_ms - now_ms
    return ahead(delta) if delta > 0 else ago(delta)


def absolute(at_ms: int | None, zone: Zone = UTC) -> str:
    """``at_ms`` as an absolute time in ``zone`` with milliseconds and the instant's
    offset (``2026-12-05 08:03:12.123 +01:00``; in UTC ``... UTC``); ``—`` for none."""
    if at_ms is None:
        return "—"
    return zone.format(at_ms)
