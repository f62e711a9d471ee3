"""A small, fixed dataset for console tests and snapshots: every status, a group
spanning topics, a stuck lease, a snoozed task, a failed one with a traceback,
and hostile text. Made through the protocol's own operations on a real store."""

from __future__ import annotations

FROZEN_MS = 1_795_000_000_000  # 2026-11-18 11:06:40 UTC
HOSTILE_TOPIC = "[bold red]hostile[/] \x1b]0;title\x07"
HOSTILE_ID = "[@click=app.quit]x[/]"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "billing/invoice.py", line 42, in render\n'
    "    total = sum(line.amount for line in lines)\n"
    "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'"
)


class SteppingClock:
    """Epoch ms that only moves when told: the store's and the console's clock in tests."""

    def __init__(self, now: int = FROZEN_MS) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def fill(store, clock: SteppingClock | None = None) -> None:
    """Create the dataset. With a ``SteppingClock`` every time in it is fixed."""

    def tick(ms: int = 1_000) -> None:
        if clock is not None:
            clock.advance(ms)

    for i in range(1, 13):
        store.create_task({
            "task_id": f"email-{i:03d}",
            "topic": "emails",
            "sub_topic": "welcome" if i % 3 else "digest",
            "task_group_id": "order-42" if i in (2, 5) else None,
            "task_description": f"send email #{i}",
            "data": {"to": f"user{i}@example.com", "template": "welcome", "attempt": 1},
        })
        tick()
    for i in range(1, 5):
        store.create_task({
            "task_id": f"invoice-{i:03d}",
            "topic": "billing.invoices",
            "task_group_id": "order-42" if i == 1 else None,
            "data": {"invoice": 1000 + i, "lines": [{"sku": "A-1", "amount": 12.5}, {"sku": "B-7", "amount": None}]},
            "timeout_ms": 30_000,
        })
        tick()
    store.create_task({
        "task_id": HOSTILE_ID,
        "topic": HOSTILE_TOPIC,
        "sub_topic": "\x1b[2J",
        "task_description": "[link=https://example.com]click[/link] \x1b[31mred\x1b[0m 🚀",
        "data": {"markup": "[bold red]x[/]", "osc": "\x1b]0;title\x07", "emoji": "🚀"},
    })
    tick()
    # email-001: a worker takes it and vanishes: nobody renews its lease.
    stuck = store.reserve_task("emails", "worker-a1:4242")
    tick()
    # email-002, -003: running and healthy (renewed below).
    healthy = [store.reserve_task("emails", "worker-b2:5151") for _ in range(2)]
    tick()
    # email-004: snoozed for 10 minutes; email-005: failed; email-006, -007: done.
    napping = store.reserve_task("emails", "worker-c3:6161")
    store.snooze(napping.task_id, "worker-c3:6161", 600_000)
    tick()
    failing = store.reserve_task("emails", "worker-c3:6161")
    store.fail(failing.task_id, "worker-c3:6161", "SMTP 550: mailbox unavailable")
    tick()
    for _ in range(2):
        done = store.reserve_task("emails", "worker-c3:6161")
        store.terminate(done.task_id, "worker-c3:6161")
        tick()
    broken = store.reserve_task("billing.invoices", "worker-d4:7171")
    store.fail(broken.task_id, "worker-d4:7171", TRACEBACK)
    tick()
    healthy.append(store.reserve_task("billing.invoices", "worker-d4:7171"))
    tick(45_000)
    for task in healthy:  # live workers renew their leases in time...
        store.extend_lease(task.task_id, task.pid)
    tick(40_000)  # ...the vanished one does not: its lease has ended
    assert stuck.task_id == "email-001"
