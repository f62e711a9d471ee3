"""The console against a seeded store, headless, in a fresh process.

``python -m bench.console URL NAMESPACE`` prints one JSON line:

- ``first_paint_s``: from the start of this process (before Textual and the
  store are imported) to the topics screen painted with its first load;
- ``refresh_ms``: one refresh tick of the topics screen with the leased panel
  open, i.e. the store calls its worker makes (clock, ``topics()``, the first
  ``list_leased_tasks`` page of every topic, ``paused_topics()``, ``rates()``),
  median of 5;
- ``rss_mb``: peak resident memory (``peak_rss_mb``) after opening a topic and
  paging through 100 pages of it in the task table (``rows_loaded``: the rows
  loaded from the top; ``rows_held``: the rows the table's window holds now).
"""

import time

T0 = time.monotonic()  # before the heavy imports: they count toward first paint

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

PAGES = 100
PAGE_ROWS = 100  # sokka_tui.screens.tasks.PAGE_SIZE
TOPIC = "topic-07"


def peak_rss_mb() -> float:
    """This process's peak resident memory, MB. Linux's ``VmHWM`` where there is
    one: ``getrusage``'s ``ru_maxrss`` survives ``fork`` and ``exec``, so in a
    process started by the bench it reads at least the bench's own peak (which
    holds a seeded store's worth of objects), not the console's."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def run(url: str, namespace: str) -> dict:
    from textual.widgets import DataTable

    from sokka_tui.app import build_app
    from sokka_tui.leases import read_leases
    from sokka_tui.screens.tasks import TasksScreen
    from sokka_tui.screens.topics import TopicsScreen
    from stores import open_store

    store = open_store(url, namespace=namespace)
    app = build_app(store, store_label="bench")
    result: dict = {}
    async with app.run_test(size=(160, 48)) as pilot:
        while not (isinstance(app.screen, TopicsScreen) and app.screen.stats):
            await asyncio.sleep(0.002)
        await pilot.pause()  # the frame with the rows
        result["first_paint_s"] = time.monotonic() - T0

        def tick() -> float:
            t0 = time.perf_counter()
            # What the topics screen's refresh reads: the clock, the topics, the leases, the pauses.
            app.clock.measure(store)
            local = app.clock.local()
            stats = store.topics()
            read_leases(store, None, local + (app.clock.offset_ms or 0), local, app.expiring_grace_ms, stats)
            store.paused_topics()
            store.rates()  # the topics screen's sparklines (issue 14 part 2)
            return (time.perf_counter() - t0) * 1000

        await asyncio.to_thread(tick)
        result["refresh_ms"] = statistics.median([await asyncio.to_thread(tick) for _ in range(5)])

        topics = app.screen.query_one("#topics", DataTable)
        topics.move_cursor(row=topics.get_row_index(TOPIC))
        await pilot.press("enter")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, TasksScreen), type(screen)
        table = screen.table
        # Exactly PAGES pages: wait for the first, then ask for one more at a time.
        # The table keeps a window of rows (far pages are dropped), so count the
        # rows loaded from the top, not the rows the table holds now.
        while screen.loaded_rows < PAGE_ROWS:
            await _settle(pilot, 1)
        while screen.loaded_rows < PAGES * PAGE_ROWS and screen.page_cursor is not None:
            loaded = screen.loaded_rows
            table.move_cursor(row=table.row_count - 1, animate=False)
            while screen.loaded_rows == loaded and screen.page_cursor is not None:
                await _settle(pilot, 1)
        result["rows_loaded"] = screen.loaded_rows
        result["rows_held"] = table.row_count
        result["rss_mb"] = peak_rss_mb()
    store.close()
    return result


def main() -> int:
    url, namespace = sys.argv[1], sys.argv[2]
    print(json.dumps(asyncio.run(run(url, namespace))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
