"""The one place where text from a store becomes text on screen.

Everything a store holds (ids, topics, data, errors, pids) is untrusted: it may
contain Rich markup (``[@click=app.quit]x[/]``), escape sequences or control
characters. ``safe_text`` returns a ``rich.text.Text`` with control characters
replaced by visible glyphs; a ``Text`` is never parsed as markup.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text

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


def safe_text(
    value: object,
    style: str = "",
    *,
    multiline: bool = False,
    max_length: int | None = None,
) -> Text:
    """A ``Text`` showing ``value`` literally: never markup, no control characters.

    ``max_length`` cuts long values with an ellipsis (tables stay one line).
    """
    text = clean(value, multiline=multiline)
    if max_length is not None and len(text) > max_length:
        text = text[: max(max_length - 1, 0)] + "…"
    return Text(text, style=style, no_wrap=not multiline, end="")


def plain(value: object, max_length: int = 200) -> str:
    """For notifications (sent with ``markup=False``): one clean line, cut short."""
    return safe_text(value, max_length=max_length).plain


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


def relative(at_ms: int | None, now_ms: int) -> str:
    """``at_ms`` relative to ``now_ms``: ``3m 05s ago`` or ``in 42s``; ``—`` for none."""
    if at_ms is None:
        return "—"
    delta = at_ms - now_ms
    if abs(delta) < 1000:
        return "now"
    return f"in {format_duration(delta)}" if delta > 0 else f"{format_duration(delta)} ago"


def absolute(at_ms: int | None) -> str:
    """``at_ms`` as an absolute UTC time with milliseconds; ``—`` for none."""
    if at_ms is None:
        return "—"
    moment = dt.datetime.fromtimestamp(at_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{at_ms % 1000:03d} UTC"
