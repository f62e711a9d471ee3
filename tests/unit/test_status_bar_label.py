"""The header's store label: whole when it fits, else cut in the middle (the file name stays)."""

from sokka_tui.widgets.status_bar import middle_cut


def test_a_label_that_fits_is_whole():
    assert middle_cut("demo sqlite:///tmp/sokka-demo-x/demo.db", 60) == "demo sqlite:///tmp/sokka-demo-x/demo.db"


def test_a_long_label_is_cut_in_the_middle_to_the_room_given():
    label = "demo sqlite:///home/someone/projects/with/a/very/long/path/to/the/demo.db"
    cut = middle_cut(label, 30)
    assert len(cut) == 30 and cut.startswith("demo sqlite:///") and cut.endswith("/demo.db") and "…" in cut
