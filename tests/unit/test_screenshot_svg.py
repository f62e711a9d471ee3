"""The README's screenshots render right outside a browser too (rsvg-convert):
spaces kept, every character on its cell, blank runs of rows cut to one."""

from __future__ import annotations

import html
import importlib.util
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("screenshot_svg", ROOT / "scripts" / "screenshot_svg.py")
assert _spec is not None and _spec.loader is not None
screenshot_svg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshot_svg)

ZOOM = 0.5  # rendered at half size: a quarter of the pixels to decode
CELL = 20 * 0.61 * ZOOM  # Rich's export: 20 px characters, 0.61 wide


def rgba_rows(png: bytes) -> list[bytearray]:
    """The pixels of an 8-bit RGBA, non-interlaced PNG (what rsvg-convert writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, width, height = 8, b"", 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind, body = png[position + 4:position + 8], png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6)
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    raw, stride, rows, previous = zlib.decompress(data), width * 4, [], bytearray(width * 4)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up, corner = previous[i], previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    return rows


def ink_columns(pixels, channel: int) -> list[int]:
    """The x of every pixel drawn mostly in ``channel`` (0 red, 1 green, 2 blue)."""
    found = set()
    others = [c for c in range(3) if c != channel]
    for row in pixels[int(45 * ZOOM):]:  # below the window's title bar and its three coloured dots
        for x in range(0, len(row), 4):
            if row[x + channel] > 150 and row[x + others[0]] < 110 and row[x + others[1]] < 110:
                found.add(x // 4)
    return sorted(found)


def rendered(svg: str, tmp_path: Path):
    source = tmp_path / "shot.svg"
    source.write_text(svg, encoding="utf-8")
    command = ["rsvg-convert", "--zoom", str(ZOOM), str(source)]
    png = subprocess.run(command, capture_output=True, check=True, timeout=30).stdout
    return rgba_rows(png)


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs rsvg-convert")
def test_rsvg_keeps_the_spaces_and_the_cell_grid(tmp_path):
    console = screenshot_svg._console(160, 3)
    console.print(Text("X", style="#ff0000"))  # the reference: column 0
    console.print(Text(" " * 40 + "X", style="#00ff00"))  # leading spaces in one run
    console.print(Text("x" * 150 + "X", style="#0000ff"))  # a long run: 151 cells
    pixels = rendered(screenshot_svg.portable(console.export_svg(title="t")), tmp_path)
    column_0 = ink_columns(pixels, 0)[0]
    spaced = ink_columns(pixels, 1)[0] - column_0
    assert abs(spaced - 40 * CELL) < CELL / 2, f"the X after 40 spaces is at cell {spaced / CELL:.1f}"
    end = ink_columns(pixels, 2)[-1] - column_0
    assert abs(end - 151 * CELL) < CELL / 2, f"a 151-cell run ends at cell {end / CELL:.1f}"


def test_portable_places_short_pieces_on_their_cells():
    console = screenshot_svg._console(80, 1)
    console.print(Text.assemble(("a<b&c", "bold"), " " * 3, "日本 ok " * 3))
    svg = screenshot_svg.portable(console.export_svg(title="t"))
    assert 'xml:space="preserve"' in svg and 'textLength="61"' in svg  # a browser fits each piece to its cells
    assert "a&lt;b&amp;c" in svg and "日本" in svg
    pieces = [html.unescape(piece.split(">", 1)[1].split("<", 1)[0]) for piece in svg.split("<tspan")[1:]]
    assert "".join(pieces) == "a<b&c" + "\u00a0" * 3 + "日本\u00a0ok\u00a0" * 3
    assert all(cell_len(piece) <= screenshot_svg.PIECE_CELLS for piece in pieces)


def test_lines_and_bars_are_placed_a_character_at_a_time():
    # A font narrower than the cell would leave a visible gap every few cells in a rule or a bar.
    assert screenshot_svg._pieces("ab━━━▆▆ cd") == [
        (0, "ab"), (2, "━"), (3, "━"), (4, "━"), (5, "▆"), (6, "▆"), (7, " cd")]


def test_blank_runs_of_rows_are_cut_to_one():
    rows = [Text(t) for t in ("top", "   ", "  ", " ", "mid", " ", "end", "  ", "  ")]
    kept = screenshot_svg.without_blank_runs(rows)
    assert [row.plain for row in kept] == ["top", "   ", "mid", " ", "end", "  "]
