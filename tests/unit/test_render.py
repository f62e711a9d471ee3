"""The one place store text becomes screen text: control characters made
visible, never markup, cut to a width; and the times and durations shown."""

from __future__ import annotations

import pytest
from rich.text import Text

from sokka_tui.render import (
    about_row,
    absolute,
    ago,
    ahead,
    clean,
    counted,
    format_duration,
    plain,
    relative,
    safe_id,
    safe_text,
    sentence,
    truncate,
)

HOSTILE = ["[/]", "[@click=app.quit]x[/]", "\x1b]0;title\x07", "\x1b[2J", "[bold red]boom[/]", "🚀 ok"]


def test_control_characters_become_visible_glyphs():
    assert clean("a\x1b[2Jb") == "a\u241b[2Jb"  # ESC -> ␛
    assert clean("\x00\x07\x7f") == "\u2400\u2407\u2421"  # NUL, BEL, DEL
    assert clean("x\x9by") == "x\ufffdy"  # C1 (CSI)
    assert clean("a\u202eb\u2066c") == "a\ufffdb\ufffdc"  # bidi overrides and isolates
    assert clean("line\nnext\tcol") == "line\u240anext\u2409col"
    assert clean("line\nnext\tcol", multiline=True) == "line\nnext\tcol"
    assert clean(None) == "" and clean(42) == "42"


@pytest.mark.parametrize("value", HOSTILE)
def test_safe_text_is_never_markup(value):
    text = safe_text(value, "bold")
    assert isinstance(text, Text) and text.plain == clean(value)
    assert "\x1b" not in text.plain and "\x07" not in text.plain
    assert not text.spans  # the style is the Text's own, nothing parsed from the value
    assert text.style == "bold" and text.no_wrap


def test_safe_text_cuts_long_values_with_an_ellipsis():
    assert safe_text("x" * 10, max_length=4).plain == "xxx…"
    assert safe_text("x" * 4, max_length=4).plain == "xxxx"
    assert safe_text("abc", max_length=0).plain == "…"
    assert not safe_text("a\nb", multiline=True).no_wrap


def test_plain_is_one_clean_short_line():
    assert plain("oops [/] x\nnext") == "oops [/] x\u240anext"
    assert plain("y" * 500, 10) == "y" * 9 + "…"


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (0, "0ms"), (999, "999ms"), (1_000, "1s"), (42_000, "42s"), (59_999, "59s"), (60_000, "1m 00s"),
        (185_000, "3m 05s"), (3_600_000, "1h 00m"), (7_800_000, "2h 10m"), (86_400_000, "1d 0h"),
        (273_600_000, "3d 4h"), (-185_000, "3m 05s"),
    ],
)
def test_durations_short_and_human(ms, shown):
    assert format_duration(ms) == shown


def test_relative_and_absolute_times():
    now = 1_795_000_000_000
    assert relative(None, now) == "—"
    assert relative(now + 999, now) == "now" and relative(now - 999, now) == "now"
    assert relative(now + 42_000, now) == "in 42s"
    assert relative(now - 185_000, now) == "3m 05s ago"
    assert absolute(None) == "—"
    assert absolute(1_795_000_000_123) == "2026-11-18 11:06:40.123 UTC"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 tasks"), (1, "1 task"), (2, "2 tasks"), (1_250, "1,250 tasks"), (-1, "-1 tasks")],
)
def test_counted_says_one_task_and_n_tasks(n, expected):
    assert counted(n, "task") == expected


def test_counted_takes_an_irregular_plural_and_a_phrase():
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == "3 entries"
    assert counted(1, "marked task") == "1 marked task" and counted(2, "expired lease") == "2 expired leases"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PostgreSQL refused the write: this user may only read (permission denied).",
         "PostgreSQL refused the write: this user may only read (permission denied)."),
        ("no full stop", "no full stop."),
        ("trailing space. ", "trailing space."),
        ("Really?", "Really?"),
        ("cut short…", "cut short…"),
    ],
)
def test_sentence_ends_in_one_full_stop(text, expected):
    assert sentence(text) == expected


# -- truncation: the useful end kept, never a cut without an ellipsis ----------------


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        ("demo-worker-0:23741", 15, "demo-wor…:23741"),  # the pid end kept whole
        ("demo-worker-0:23741", 19, "demo-worker-0:23741"),  # fits: untouched
        ("demo-worker-0:23741", 18, "demo-worker…:23741"),
        ("host.example.com:1234567890123", 12, "host.e…90123"),  # end too long for the room: halves
        ("ci@runner-with-a-long-name", 10, "ci@ru…name"),
        ("6shqmkzkxzc7lbrsa3ubzptcpm", 12, "6shqmk…ptcpm"),  # no separator: both ends
    ],
)
def test_identifiers_are_cut_in_the_middle_keeping_their_end(value, width, expected):
    cut = truncate(value, width, "middle")
    assert cut == expected and len(cut) <= width
    if len(value) > width:
        assert "…" in cut and value.endswith(cut.split("…")[1])


def test_safe_id_cuts_in_the_middle_and_keeps_the_style():
    assert safe_id("demo-worker-0:23741", 15, "bold").plain == "demo-wor…:23741"
    assert safe_id("demo-worker-0:23741", 15, "bold").style == "bold"


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        ("Sales by day, eu-west, 2026-11-17", 20, "Sales by day…"),  # no dangling comma
        ("Welcome email to someone@example.com", 22, "Welcome email to…"),
        ("Password reset", 14, "Password reset"),
        ("Password reset for a", 15, "Password reset…"),  # the cut falls on a space
        ("Supercalifragilisticexpialidocious", 10, "Supercali…"),  # one long word: cut in it, with …
        ("ab cdefghijklmnop", 8, "ab cdef…"),  # a boundary that would lose over half the room is not used
    ],
)
def test_prose_is_cut_at_a_word_with_an_ellipsis(value, width, expected):
    cut = truncate(value, width)
    assert cut == expected and len(cut) <= width


@pytest.mark.parametrize("how", ["words", "middle"])
@pytest.mark.parametrize("width", [0, 1, 2, 3, 5, 8])
def test_every_cut_says_so(how, width):
    for value in ("x" * 20, "a b c d e f g h i j", "host:12345678", "  spaces   "):
        cut = truncate(value, width, how)
        assert len(cut) <= max(width, 1) and (cut == value or cut.endswith("…") or "…" in cut)


def test_ago_and_ahead_say_now_under_a_second():
    assert ago(0) == "now" and ago(-999) == "now" and ago(-1_000) == "1s ago" and ago(-185_000) == "3m 05s ago"
    assert ahead(0) == "now" and ahead(999) == "now" and ahead(42_000) == "in 42s"


def test_a_reason_on_its_row_does_not_name_the_row_again():
    task_id = "6shqmkzkxzc7lbrsa3ubzptcpm"
    assert about_row(f"Task {task_id!r} cannot move from failed to terminated.", task_id) == (
        "The task cannot move from failed to terminated."
    )
    assert about_row(f"The lease on task {task_id!r} has already expired.", task_id) == (
        "The lease on the task has already expired."
    )
    assert about_row("Changed since marked: now version 3 (running), not 2.", task_id) == (
        "Changed since marked: now version 3 (running), not 2."
    )
