"""Make the README's screenshots: SVGs of every screen of the real console,
driven headless over a store seeded by the demo's seed.

    .venv/bin/python scripts/make_screenshots.py   # writes screenshots/*.svg

Each SVG renders the same in a browser and outside one (rsvg-convert, image
viewers), and runs of blank rows are cut to one, so a short screen makes a
short picture (screenshot_svg.py says how and why).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from screenshot_svg import screen_svg  # this directory is on sys.path when run as a script

import stores
from sokka_tui.app import build_app
from sokka_tui.demo import seed
from sokka_tui.demo.topics import DEMO_TOPICS
from sokka_tui.state import ENV_STATE_DIR
from sokka_tui.timezones import parse_zone
from stores import StoreOptions, TaskStatus
from stores.audit import Operator
from stores.sqlite.store import SQLiteStore

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (160, 48)
#: What the header shows: the label a real `sokka-tui demo` shows (its store's URL).
STORE_LABEL = "demo sqlite:///tmp/sokka-demo-4k2x9q1z/demo.db"


def history(url: str, minutes: int = 50) -> None:
    """The last hour's rates: before the seed's moment, ``minutes`` of finished
    and failed tasks in every demo topic, each minute a little different (a
    pattern, not chance), written on a clock stepped through the past (an
    SQLite store's clock is its processes'), finished and failed by id, so no
    seeded task is touched and no audit record is made (no operator)."""
    now = int(time.time() * 1000)
    clock = [now - (minutes + 2) * 60_000]
    with SQLiteStore.open(url, StoreOptions(), clock=lambda: clock[0]) as store:
        for minute in range(minutes):
            for number, topic in enumerate(DEMO_TOPICS):
                incident = 20 <= minute < 28 and number % 2  # a bad stretch in half the topics
                count = 18 + (minute * (number + 3)) % 13 + (12 if incident else 0)
                failures = (minute + number) % 3 + (9 if incident else 0)
                made = store.create_tasks([{"topic": topic, "data": {"minute": minute}} for _ in range(count)])
                for i, task in enumerate(made):
                    if i < failures:
                        store.fail(task.task_id, None, "TimeoutError: upstream took 30s", record_ver=task.record_ver)
                    else:
                        store.terminate(task.task_id, None, record_ver=task.record_ver)
            clock[0] += 60_000


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


def pick(store, topic: str, status: TaskStatus, *, with_traceback: bool = False):
    for task in stores.scroll(lambda c: store.list_tasks({"topic": topic, "status": status}, c)):
        if not with_traceback or (task.error and "Traceback" in task.error):
            return task
    raise SystemExit(f"the seed has no {status} task in {topic}")


async def shoot(store, name: str, steps, **app_options) -> None:
    app = build_app(store, store_label=STORE_LABEL, refresh_interval=3600, **app_options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await steps(pilot, app)
        await settle(pilot)
        (OUT / f"{name}.svg").write_text(screen_svg(app), encoding="utf-8")
    print(f"screenshots/{name}.svg")


async def open_topic(pilot, app, topic: str, task_id: str | None = None) -> None:
    table = app.screen.query_one("#topics")
    table.move_cursor(row=table.get_row_index(topic))
    await pilot.press("enter")
    await settle(pilot)
    if task_id is not None:
        tasks = app.screen.query_one("#tasks")
        tasks.move_cursor(row=tasks.get_row_index(task_id))
        await pilot.pause()


async def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite://{directory}/shots.db"
        seed(url, lease_time_ms=120_000)
        history(url)
        operator = Operator("oncall", "ops-laptop", "sokka-tui")
        with stores.open_store(url, lease_time_ms=120_000, operator=operator) as store:
            failed = pick(store, "billing.invoices", TaskStatus.FAILED, with_traceback=True)
            stuck = pick(store, "reports.nightly", TaskStatus.RUNNING)
            running = pick(store, "emails", TaskStatus.RUNNING)

            async def nothing(pilot, app):
                return None

            async def tasks(pilot, app):
                await open_topic(pilot, app, "reports.nightly", stuck.task_id)

            async def detail(pilot, app):
                await open_topic(pilot, app, "billing.invoices", failed.task_id)
                await pilot.press("enter")

            async def confirm(pilot, app):
                await tasks(pilot, app)
                await pilot.press("r")

            async def snooze(pilot, app):
                await open_topic(pilot, app, "emails", running.task_id)
                await pilot.press("s")
                await pilot.pause()
                await pilot.press("4", "5", "m")

            async def help_keys(pilot, app):
                await tasks(pilot, app)
                await pilot.press("question_mark")

            async def bulk_results(pilot, app):
                await open_topic(pilot, app, "reports.nightly")
                await pilot.press("X")  # revoke every expired lease of the topic
                for _ in range(50):
                    await settle(pilot)
                    if app.screen.query("#confirm"):
                        break
                await pilot.click("#confirm")
                for _ in range(50):
                    await settle(pilot)
                    if not getattr(app.screen, "running", True):
                        break

            async def owners(pilot, app):
                await pilot.press("o")

            async def audit(pilot, app):
                await pilot.press("A")

            async def failures(pilot, app):
                table = app.screen.query_one("#topics")
                table.move_cursor(row=table.get_row_index("billing.invoices"))
                await pilot.press("E")

            async def rates_chart(pilot, app):
                await open_topic(pilot, app, "emails")

            async def filter_modal(pilot, app):
                await open_topic(pilot, app, "emails")
                await pilot.press("slash")

            await shoot(store, "topics", nothing)
            await shoot(store, "tasks", tasks)
            await shoot(store, "rates_chart", rates_chart)
            await shoot(store, "task_detail", detail)
            await shoot(store, "task_detail_tz", detail, zone=parse_zone("Europe/Berlin"))  # --tz
            await shoot(store, "confirm_revoke", confirm)
            await shoot(store, "snooze", snooze)
            await shoot(store, "help", help_keys)
            await shoot(store, "filter", filter_modal)
            await shoot(store, "owners", owners)
            await shoot(store, "failures", failures)
            await shoot(store, "read_only", nothing, read_only=True)
            await shoot(store, "bulk_results", bulk_results)  # it changes the store...
            await shoot(store, "audit", audit)  # ...and the trail records it

            async def paused(pilot, app):
                table = app.screen.query_one("#topics")
                table.move_cursor(row=table.get_row_index("emails"))

            store.pause_topic("emails", for_ms=25 * 60_000, reason="SMTP relay down (INC-4412): holding sends")
            store.pause_topic("webhooks", reason="partner API migration")
            await shoot(store, "paused", paused)
    return 0


if __name__ == "__main__":
    # The default layout, not this machine's remembered one (sokka_tui.state).
    os.environ[ENV_STATE_DIR] = tempfile.mkdtemp(prefix="sokka-screenshots-")
    sys.exit(asyncio.run(main()))
