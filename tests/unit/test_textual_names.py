"""The console sets two of Textual's scroll internals itself
(``sokka_tui/widgets/tables.py``: ``virtual_size`` so a table knows its new
height before its idle re-measure, ``scroll_target_y`` so no frame paints the
old offset). pyproject bounds Textual to the versions tested; this fails
loudly, naming the name, if a Textual release moves them."""

from __future__ import annotations

import pytest
from textual.reactive import Reactive
from textual.widgets import DataTable


@pytest.mark.parametrize("name", ["virtual_size", "scroll_target_y"])
def test_the_scroll_reactives_the_tables_set_are_still_reactives(name):
    descriptor = next((vars(cls)[name] for cls in DataTable.__mro__ if name in vars(cls)), None)
    assert isinstance(descriptor, Reactive), (
        f"textual.widgets.DataTable.{name} is no longer a Reactive: sokka_tui/widgets/tables.py must change"
    )


@pytest.mark.parametrize("name", ["ordered_rows", "header_height", "scrollable_content_region", "max_scroll_y"])
def test_the_table_geometry_the_console_reads_is_still_there(name):
    assert hasattr(DataTable, name), (
        f"textual.widgets.DataTable.{name} is gone: sokka_tui/widgets/tables.py must change"
    )
