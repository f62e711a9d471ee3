"""Screenshots that render the same in a browser and outside one (rsvg-convert,
image viewers, cairo), sized to their content.

Textual saves a screenshot with Rich's ``export_svg``: one ``<text>`` per run of
same-styled cells, spaces written as ``&#160;``, and the run's width given by
``textLength``. A browser honours ``textLength`` and keeps the spaces; librsvg
does neither: it drops leading and trailing spaces of every run (so
``Topics`` + ``  6 topics`` reads ``Topics6 topics``) and draws each run in
its fallback font's own advance, so a long run drifts off the cell grid and
columns stop lining up. ``portable`` fixes both in the SVG itself:
``xml:space="preserve"`` keeps the spaces, and each run is cut into short
pieces, each placed at its own cell (``<tspan x=...>``), so no drift can add
up. ``screen_svg`` also drops the blank rows a screen leaves (a short table in
a tall terminal), keeping one of each run.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

#: The longest piece of a run placed as a whole (cells): its drift stays under a pixel or two.
PIECE_CELLS = 8
_TEXT = re.compile(r'<text class="(?P<cls>[^"]*)" x="(?P<x>[^"]*)" y="(?P<y>[^"]*)" '
                   r'textLength="(?P<length>[^"]*)" clip-path="(?P<clip>[^"]*)">(?P<body>.*?)</text>', re.DOTALL)


def _number(value: float) -> str:
    return format(round(value, 2), "g")


def _drawing(char: str) -> bool:
    """Box-drawing and block characters: lines and bars that must join up."""
    return "\u2500" <= char <= "\u259f"


def _pieces(text: str) -> list[tuple[int, str]]:
    """``text`` cut into pieces of at most ``PIECE_CELLS`` cells, each with the cell
    it starts at. A line or bar character is a piece of its own: a font narrower
    than the cell leaves a sliver between two pieces, invisible after one
    character, a visible gap after eight."""
    pieces: list[tuple[int, str]] = []
    start, cells, current = 0, 0, ""
    for char in text:
        if current and (cells - start + cell_len(char) > PIECE_CELLS or _drawing(char) or _drawing(current[-1])):
            pieces.append((start, current))
            start, current = cells, ""
        current += char
        cells += cell_len(char)
    if current:
        pieces.append((start, current))
    return pieces


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace(" ", "&#160;")


def _placed(match: re.Match[str]) -> str:
    text = html.unescape(match["body"]).replace("\u00a0", " ")
    if not text.strip():
        return ""  # Rich writes each row's newline as a text of its own: it draws nothing
    x = float(match["x"])
    # Rich gives each character one cell of textLength (its own rounding aside).
    char_width = float(match["length"]) / max(1, len(text))
    spans = "".join(
        # textLength: a browser stretches the piece to its cells exactly (librsvg ignores it).
        f'<tspan x="{_number(x + start * char_width)}" textLength="{_number(cell_len(piece) * char_width)}">'
        f"{_escape(piece)}</tspan>"
        for start, piece in _pieces(text)
    )
    return (f'<text class="{match["cls"]}" y="{match["y"]}" clip-path="{match["clip"]}" '
            f'xml:space="preserve">{spans}</text>')


def portable(svg: str) -> str:
    """``svg`` (Rich's export) with every run of text kept on the cell grid and its
    spaces kept, in any SVG renderer. Other elements are left as they are."""
    return _TEXT.sub(_placed, svg)


def without_blank_runs(rows: list[Text]) -> list[Text]:
    """``rows`` with each run of two or more blank rows (spaces only, whatever
    their colour) cut to one: the screenshot keeps the layout, not the emptiness."""
    kept: list[Text] = []
    for index, row in enumerate(rows):
        if not row.plain.strip() and index > 0 and not rows[index - 1].plain.strip():
            continue
        kept.append(row)
    return kept


def screen_rows(app: Any) -> list[Text]:
    """The current screen (with the screens beneath a modal) as one ``Text`` a row,
    rendered as ``App.export_screenshot`` renders it."""
    width, height = app.size
    console = _console(width, height)
    # The same call as App.export_screenshot (Textual 8).
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    lines = console.export_text(styles=True).split("\n")[:height]
    return [Text.from_ansi(line, no_wrap=True, end="") for line in lines]


def screen_svg(app: Any, *, compact: bool = True) -> str:
    """The app's current screen as a portable SVG (see the module docstring), its
    blank runs cut to one row unless ``compact`` is false."""
    rows = screen_rows(app)
    if compact:
        rows = without_blank_runs(rows)
    console = _console(app.size.width, len(rows))
    for row in rows:
        console.print(row, crop=True, overflow="crop", no_wrap=True)
    return portable(console.export_svg(title=app.title))


def _console(width: int, height: int) -> Console:
    return Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                   record=True, legacy_windows=False, safe_box=False)
