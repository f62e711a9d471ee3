"""The operator's marked tasks: frozen as they were seen (id, version, owner,
status, topic), never whole tasks, so marking thousands costs little memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from stores import Task, TaskStatus
from stores.bulk import BulkAction, BulkItem, allowed_from


@dataclass(frozen=True)
class Mark:
    item: BulkItem
    topic: str


class Marks:
    """An ordered set of marks, keyed by task id."""

    def __init__(self) -> None:
        self._marks: dict[str, Mark] = {}

    def __len__(self) -> int:
        return len(self._marks)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._marks

    def toggle(self, task: Task) -> bool:
        """Mark ``task`` as it is now, or unmark it; returns whether it is marked."""
        if task.task_id in self._marks:
            del self._marks[task.task_id]
            return False
        self.add([task])
        return True

    def add(self, tasks: Iterable[Task]) -> None:
        for task in tasks:
            item = BulkItem(task.task_id, task.record_ver, task.pid, task.status)
            self._marks[task.task_id] = Mark(item, task.topic)

    def clear(self) -> None:
        self._marks.clear()

    def items(self) -> list[BulkItem]:
        return [mark.item for mark in self._marks.values()]

    def statuses(self) -> Counter[TaskStatus | None]:
        return Counter(mark.item.status for mark in self._marks.values())

    def topics(self) -> list[str]:
        return sorted({mark.topic for mark in self._marks.values()})

    def sample(self, n: int = 5) -> list[str]:
        return list(self._marks)[:n]

    def refused_by_table(self, action: BulkAction) -> int:
        """How many the transition table will refuse, judged on the statuses as marked."""
        return len(self.by_table(action)[1])

    def by_table(self, action: BulkAction) -> tuple[list[BulkItem], list[BulkItem]]:
        """The items the transition table lets ``action`` write (to send), and
        those it refuses (never sent), judged on the statuses as marked."""
        allowed = set(allowed_from(action))
        sent: list[BulkItem] = []
        refused: list[BulkItem] = []
        for mark in self._marks.values():
            (sent if str(mark.item.status) in allowed else refused).append(mark.item)
        return sent, refused
