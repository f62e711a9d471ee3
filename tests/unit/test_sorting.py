"""The order and the narrowing of a table's rows (sokka_tui.sorting): pure logic."""

from __future__ import annotations

from sokka_tui.sorting import SortOrder, arrange, cell_value, heading_label, matches, next_order, task_value
from stores import Task, TaskStatus


def _value(row: tuple[str, int | None], heading: str) -> int | None:
    return row[1]


def test_arrange_sorts_both_ways_none_last_and_ties_keep_their_order():
    rows = [("a", 2), ("b", None), ("c", 1), ("d", 2)]
    assert arrange(rows, None, _value) == rows
    assert [k for k, _ in arrange(rows, SortOrder("n"), _value)] == ["c", "a", "d", "b"]
    assert [k for k, _ in arrange(rows, SortOrder("n", descending=True), _value)] == ["a", "d", "c", "b"]


def test_arrange_with_mixed_kinds_compares_text_instead_of_failing():
    rows = [("a", "x"), ("b", 3)]
    assert [k for k, _ in arrange(rows, SortOrder("n"), lambda r, h: r[1])] == ["b", "a"]


def test_choosing_the_same_column_again_reverses_it():
    first = next_order(None, "Failed")
    assert first == SortOrder("Failed", descending=False)
    assert next_order(first, "Failed") == SortOrder("Failed", descending=True)
    assert next_order(SortOrder("Failed", True), "Topic") == SortOrder("Topic", False)
    assert next_order(None, "Failed", descending_first=True) == SortOrder("Failed", True)


def test_cell_values_counts_as_numbers_dashes_last_text_without_case():
    assert cell_value("1,234") == 1234
    assert cell_value("—") is None and cell_value(" ") is None
    assert cell_value("Worker-A") == "worker-a"


def test_heading_label_marks_the_sorted_column_within_its_width():
    assert heading_label("Failed", 10, None) == "Failed"
    assert heading_label("Failed", 10, SortOrder("Topic")) == "Failed"
    assert heading_label("Failed", 10, SortOrder("Failed")) == "Failed ▲"
    assert heading_label("Failed", 10, SortOrder("Failed", True)) == "Failed ▼"
    assert heading_label("Running", 8, SortOrder("Running", True)) == "Running▼"
    assert heading_label("Starting", 8, SortOrder("Starting", True)) == "Startin▼"


def test_matches_is_case_insensitive_and_empty_matches_everything():
    assert matches(["billing.invoices"], "BILL")
    assert not matches(["emails"], "bill")
    assert matches([], "  ")


def test_task_values_by_column():
    task = Task(
        task_id="t-1", task_group_id="t-1", task_description=None, topic="emails", sub_topic="default",
        status=TaskStatus.SNOOZED, pid=None, record_ver=3, data=None, error=None, snooze_time=None,
        timeout_ms=None, lease_expires_at=None, created_at=1, updated_at=5,
    )
    assert task_value(task, "Updated") == 5 and task_value(task, "Ver") == 3
    assert task_value(task, "Status") > task_value(task.__class__(**{**task.__dict__, "status": TaskStatus.RUNNING}),
                                                    "Status")  # by the life cycle: running before snoozed
    assert task_value(task, "Group") is None  # its own group: an empty cell, last
    assert task_value(task, "Owner") is None and task_value(task, "Description") is None
