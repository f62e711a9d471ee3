"""The demo traffic: seeding real stores, and a fleet of real processes (no mocks)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

import stores
from sokka_tui import demo
from stores import TASK_STATUSES, TaskStatus
from tests.servers import PG_URL, drop_namespace, new_namespace
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
NOW_MS = 1_764_400_000_000  # a fixed clock for the data, so two seeds compare equal


def every_task(store) -> list[stores.Task]:
    return list(stores.scroll(lambda cursor: store.list_tasks({}, cursor), {"limit": 500}))


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waiting for a reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:  # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def check_demo_shape(store, created: int) -> None:
    """What the console needs to show right after seeding."""
    stats = {s.topic: s for s in store.topics()}
    assert sorted(stats) == sorted(demo.DEMO_TOPICS)
    for topic, s in stats.items():
        missing = [str(status) for status in TASK_STATUSES if s.counts[status] == 0]
        assert not missing, f"{topic} has no {missing} tasks"
        assert s.oldest_starting_at is not None
    assert sum(s.expired_leases for s in stats.values()) >= 3

    tasks = every_task(store)
    assert len(tasks) == created
    assert 300 <= created <= 400

    now = store.now_ms()
    leased = list(stores.scroll(lambda cursor: store.list_leased_tasks(None, cursor)))
    stuck = [t for t in leased if t.status == TaskStatus.RUNNING and t.lease_expires_at <= now]
    assert len(stuck) == sum(s.expired_leases for s in stats.values())
    assert all(t.pid in demo.DEAD_WORKER_PIDS for t in stuck)
    assert any(t.status == TaskStatus.RUNNING and t.lease_expires_at > now for t in leased)
    assert any(t.status == TaskStatus.SNOOZED and t.lease_expires_at > now for t in leased)

    groups: dict[str, list[stores.Task]] = defaultdict(list)
    for task in tasks:
        groups[task.task_group_id].append(task)
    multi = [g for g in groups.values() if len(g) > 1]
    assert len(multi) >= 10
    assert all(len(g) <= 10 for g in multi)
    assert any(len({t.topic for t in g}) >= 3 for g in multi)
    assert {t.task_id for t in store.tasks(multi[0][0].task_group_id)} == {t.task_id for t in multi[0]}

    failed = [t for t in tasks if t.status == TaskStatus.FAILED]
    assert all(t.error for t in failed)
    assert any(t.error.startswith("Traceback (most recent call last):") and t.error.count("\n") >= 4
               for t in failed)
    assert any(t.timeout_ms for t in tasks) and any(t.timeout_ms is None for t in tasks)
    assert any(isinstance(t.data, dict) and any(isinstance(v, (dict, list)) for v in t.data.values())
               for t in tasks)
    assert any(t.record_ver > 3 for t in tasks)  # some leases were extended before the end

    # The handful of hostile strings are there, stored literally.
    text = "\n".join(f"{t.task_description}\n{t.data}\n{t.error}" for t in tasks)
    for needle in ("[bold red]", "[@click=app.quit]", "oops [/] x", "🎉", "\x1b["):
        assert needle in text
    assert any(len(str(t.data)) > 2000 for t in tasks)


def fingerprint(store) -> list[tuple]:
    return sorted(
        (t.task_id, t.task_group_id, t.task_description, t.topic, t.sub_topic, str(t.status), t.data,
         t.error, t.snooze_time, t.timeout_ms)
        for t in every_task(store)
    )


# -- seed ---------------------------------------------------------------------------


def test_seed_sqlite_every_status_in_every_topic_and_reproducible(tmp_path):
    first, second, other = (f"sqlite://{tmp_path}/{name}.db" for name in ("a", "b", "c"))
    started = time.perf_counter()
    created = demo.seed(first, now_ms=NOW_MS)
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"seeding took {elapsed:.2f} s"
    assert demo.seed(second, now_ms=NOW_MS) == created
    demo.seed(other, seed=8, now_ms=NOW_MS)
    with stores.open_store(first) as first_store, stores.open_store(second) as second_store, \
            stores.open_store(other) as other_store:
        check_demo_shape(first_store, created)
        assert fingerprint(second_store) == fingerprint(first_store)
        assert {t.task_id for t in every_task(other_store)}.isdisjoint(
            {t.task_id for t in every_task(first_store)})


def test_seed_ids_do_not_depend_on_the_clock(tmp_path):
    first, second = f"sqlite://{tmp_path}/a.db", f"sqlite://{tmp_path}/b.db"
    demo.seed(first)
    demo.seed(second, now_ms=NOW_MS)
    with stores.open_store(first) as first_store, stores.open_store(second) as second_store:
        # Dates in groups, descriptions and data follow the clock; the rest does not.
        assert [(r[0], r[3], r[4], r[5]) for r in fingerprint(first_store)] == \
            [(r[0], r[3], r[4], r[5]) for r in fingerprint(second_store)]


def test_seed_leases_follow_the_lease_time_and_the_namespace(tmp_path):
    url = f"sqlite://{tmp_path}/leases.db"
    started_ms = time.time_ns() // 1_000_000
    demo.seed(url, namespace="shop", lease_time_ms=600_000)
    with stores.open_store(url, namespace="shop") as store, \
            stores.open_store(url, namespace="elsewhere") as elsewhere:
        assert elsewhere.topics() == []
        now = store.now_ms()
        leased = list(stores.scroll(lambda cursor: store.list_leased_tasks(None, cursor)))
        running = [t for t in leased if t.status == TaskStatus.RUNNING]
        live = [t for t in running if t.lease_expires_at > now]
        stuck = [t for t in running if t.lease_expires_at <= now]
        # The seed's own lease, not the store's default (120 s), nor the stuck tasks' short one.
        assert live and all(t.lease_expires_at >= started_ms + 600_000 for t in live)
        assert stuck and all(t.pid in demo.DEAD_WORKER_PIDS for t in stuck)
        assert all(t.lease_expires_at - started_ms < 5_000 for t in stuck)


def test_seed_refuses_a_private_in_memory_store_and_a_store_with_tasks(tmp_path):
    for url in ("sqlite://:memory:", "SQLITE://:memory:?mode=x"):
        with pytest.raises(ValueError, match="sqlite://:memory:"):
            demo.seed(url)
    with pytest.raises(stores.InvalidArgument):
        demo.seed("sqlite:///tmp/x.db", namespace="no spaces")
    url = f"sqlite://{tmp_path}/twice.db"
    created = demo.seed(url)
    with pytest.raises(ValueError, match="empty store"):
        demo.seed(url)
    with stores.open_store(url) as store:
        assert len(every_task(store)) == created


@pytest.fixture
def pg_namespace():
    namespace = new_namespace()
    yield namespace
    drop_namespace("postgres", namespace)


@pytest.mark.postgres
def test_seed_postgres(pg_namespace):
    started = time.perf_counter()
    created = demo.seed(PG_URL, namespace=pg_namespace, now_ms=NOW_MS)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"seeding took {elapsed:.2f} s"
    with stores.open_store(PG_URL, namespace=pg_namespace) as store:
        check_demo_shape(store, created)


# -- the fleet ------------------------------------------------------------------------


def test_fleet_rejects_what_no_other_process_can_open():
    with pytest.raises(ValueError):
        demo.DemoFleet("sqlite://:memory:")
    with pytest.raises(stores.InvalidArgument):
        demo.DemoFleet("mysql://localhost/x")
    with pytest.raises(stores.InvalidArgument):
        demo.DemoFleet("sqlite:///tmp/x.db", namespace="no spaces")


def test_fleet_makes_traffic_and_stops_everything(tmp_path):
    url = f"sqlite://{tmp_path}/fleet.db"
    created = demo.seed(url)
    with stores.open_store(url) as store:
        before = {t.task_id: (t.status, t.record_ver) for t in every_task(store)}
        fleet = demo.DemoFleet(url, lease_time_ms=2_000, workers=2, work_s=(0.05, 0.3),
                               produce_every_s=(0.1, 0.3))
        started = time.perf_counter()
        fleet.start()
        try:
            assert time.perf_counter() - started < 1.5
            pids = fleet.pids
            assert len(pids) == 3  # two workers and the producer

            def moved() -> bool:
                now = {t.task_id: (t.status, t.record_ver) for t in every_task(store)}
                changed = [i for i, state in before.items() if now.get(i) != state]
                return len(now) > created and len(changed) >= 5

            assert wait_for(moved, timeout=10, interval=0.25)
            served = set(fleet.topics)
            assert "reports.nightly" not in served
            pids_seen = {t.pid for t in every_task(store) if t.pid}
            assert any(pid.startswith("demo-worker-") for pid in pids_seen)
        finally:
            stopping = time.perf_counter()
            fleet.stop(timeout=5)
            stop_took = time.perf_counter() - stopping
        assert stop_took < 5.5
        assert multiprocessing.active_children() == []
        assert wait_for(lambda: all(gone(pid) for pid in pids), timeout=2)
        assert fleet.pids == []
        # Nothing reserves a task of an unattended topic: its stuck leases stay stuck.
        stats = {s.topic: s for s in store.topics()}
        assert stats["reports.nightly"].expired_leases >= 3


def test_fleet_pauses_a_served_topic_now_and_then_and_it_ends(tmp_path):
    """The producer process pauses one served topic now and then (with a reason,
    recorded in the audit trail as sokka-demo) and the pause ends: by itself, or
    resumed early."""
    url = f"sqlite://{tmp_path}/pauses.db"
    demo.seed(url)
    with stores.open_store(url) as store:
        fleet = demo.DemoFleet(url, workers=1, work_s=(0.05, 0.1), produce_every_s=(0.2, 0.4),
                               pause_every_s=(0.3, 0.5), pause_for_s=(0.5, 0.8))
        with fleet:
            seen = wait_for(store.paused_topics, timeout=15, interval=0.05)
            assert seen and seen[0].topic in fleet.topics and seen[0].reason
            assert seen[0].until_ms is not None  # every demo pause has an end
            records = wait_for(
                lambda: [e for e in store.audit_log().data if e.action in ("pause", "resume")], timeout=10)
            assert records and all(e.tool == "sokka-demo" and e.task_id == "" for e in records)
            topic = seen[0].topic
            assert wait_for(lambda: topic not in {p.topic for p in store.paused_topics()}, timeout=10)


def test_fleet_replaces_a_worker_that_dies_holding_a_lease(tmp_path):
    url = f"sqlite://{tmp_path}/crash.db"
    demo.seed(url)
    with stores.open_store(url) as store:
        with demo.DemoFleet(url, workers=1, producer=False, crash_rate=1.0, work_s=(0.05, 0.1)) as fleet:
            first = fleet.pids
            assert wait_for(lambda: fleet.restarts >= 1 and fleet.pids and fleet.pids != first, timeout=8)
            assert all(gone(pid) for pid in first)
            # The dead worker's task is still running under its pid, until the lease ends.
            orphaned = [t for t in every_task(store)
                        if t.status == TaskStatus.RUNNING and t.pid and t.pid.endswith(f":{first[0]}")]
            assert orphaned
        assert multiprocessing.active_children() == []


def test_fleet_children_exit_when_their_parent_is_killed(tmp_path):
    url = f"sqlite://{tmp_path}/orphans.db"
    demo.seed(url)
    script = textwrap.dedent(f"""
        import time
        import stores
        from sokka_tui.demo import DemoFleet

        fleet = DemoFleet({url!r}, workers=2, work_s=(0.05, 0.2), produce_every_s=(0.1, 0.2)).start()
        store = stores.open_store({url!r})
        deadline = time.monotonic() + 15
        def busy():
            page = store.list_leased_tasks(None, {{"limit": 1000}})
            return any(t.pid and t.pid.startswith("demo-worker-") for t in page.data)
        while not busy() and time.monotonic() < deadline:
            time.sleep(0.05)
        print(*fleet.pids, flush=True)
        time.sleep(60)
    """)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        ready, _, _ = select.select([parent.stdout], [], [], 20)
        assert ready, "the parent never reported its fleet"
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 3
        assert not any(gone(pid) for pid in pids)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        # EOF comes once every process holding the pipes has gone (the children
        # dropped theirs when they silenced themselves).
        out, err = parent.communicate(timeout=10)
    assert wait_for(lambda: all(gone(pid) for pid in pids), timeout=5)
    assert (out, err) == (b"", b""), "a fleet process wrote to the terminal"


def test_demo_package_never_loads_textual():
    # Every module of the package, as a spawned fleet child would import them.
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import sokka_tui.demo
        names = [info.name for info in pkgutil.walk_packages(sokka_tui.demo.__path__, "sokka_tui.demo.")]
        for name in names:
            importlib.import_module(name)
        print(len(names), sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich")))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    count, loaded = result.stdout.strip().split(" ", 1)
    assert int(count) >= 10  # the walk found the package's modules
    assert loaded == "[]"


# -- the demo command, as a user runs it: in a terminal (a pty), stopped by a signal -------


class DemoInTerminal:
    """``sokka-tui demo ARGS`` on a pseudo-terminal (its controlling terminal, as
    in a real one), with ``$TMPDIR`` at ``tmp`` so its temporary directory can be
    watched; everything it writes to the terminal is kept in ``output``."""

    def __init__(self, tmp: Path, *args: str) -> None:
        import fcntl
        import pty
        import struct
        import termios
        import threading

        self.tmp = tmp
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))

        def own_terminal() -> None:  # in the child: a new session whose terminal is the pty
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = {**os.environ, "TMPDIR": str(tmp), "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sokka_tui", "demo", *args], cwd=ROOT, env=env,
            stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal, close_fds=True,
        )
        os.close(slave)
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other side is gone
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    @property
    def output(self) -> bytes:
        return b"".join(self._chunks)

    def demo_dirs(self) -> list[Path]:
        return sorted(self.tmp.glob("sokka-demo-*"))

    def fleet(self) -> list[int]:
        """The pids of the demo's worker and producer processes (its children but
        multiprocessing's resource tracker)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                title = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and b"resource_tracker" not in title:
                found.append(int(entry.name))
        return found

    def titles(self) -> list[str]:
        titles = []
        for pid in self.fleet():
            with contextlib.suppress(OSError):
                titles.append(Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").decode())
        return sorted(titles)

    def wait_until_running(self) -> list[int]:
        ready = wait_for(lambda: b"Topics" in self.output and len(self.fleet()) == 4, timeout=30, interval=0.1)
        assert ready, f"the demo did not start: {self.output[-2000:]!r}"
        return self.fleet()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)


@pytest.fixture
def short_tmp():
    """A temporary directory with a short path (pytest's are long), so the demo's
    store URL fits the header of a 160-column terminal."""
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="sd-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def demo_terminal(short_tmp):
    started: list[DemoInTerminal] = []

    def start(*args: str) -> DemoInTerminal:
        started.append(DemoInTerminal(short_tmp, *args))
        return started[-1]

    yield start
    for terminal in started:
        terminal.close()


RESTORE = {"leaves the alternate screen": b"\x1b[?1049l", "mouse reporting off": b"\x1b[?1000l",
           "any-event mouse off": b"\x1b[?1003l", "cursor shown": b"\x1b[?25h"}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_demo_as_q_does(demo_terminal, stop):
    terminal = demo_terminal()
    fleet = terminal.wait_until_running()
    assert len(terminal.demo_dirs()) == 1
    before = len(terminal.output)
    os.kill(terminal.process.pid, stop)
    assert terminal.process.wait(20) == 0
    after = terminal.output[before:]
    missing = [what for what, sequence in RESTORE.items() if sequence not in after]
    assert not missing, f"the terminal was not restored ({missing}): {after[-500:]!r}"
    assert b"Traceback" not in terminal.output
    assert terminal.demo_dirs() == [], "the demo's temporary directory (and its WAL) was left behind"
    assert wait_for(lambda: all(gone(pid) for pid in fleet), timeout=5), "a demo worker outlived the demo"


def test_closing_the_terminal_stops_the_demo_and_removes_its_store(demo_terminal):
    terminal = demo_terminal()
    fleet = terminal.wait_until_running()
    os.close(terminal.master)  # the terminal window closes: the kernel sends SIGHUP
    assert terminal.process.wait(20) == 0
    assert terminal.demo_dirs() == []
    assert wait_for(lambda: all(gone(pid) for pid in fleet), timeout=5)


def test_demo_processes_carry_a_recognisable_title(demo_terminal):
    terminal = demo_terminal()
    terminal.wait_until_running()
    expected = ["sokka-demo producer", "sokka-demo worker 0", "sokka-demo worker 1", "sokka-demo worker 2"]
    # A spawned child is in the fleet before it has imported its way to setting
    # its title (seconds on a loaded 2-core machine): wait for the titles.
    wait_for(lambda: terminal.titles() == expected, timeout=30, interval=0.1)
    assert terminal.titles() == expected
    os.kill(terminal.process.pid, signal.SIGTERM)
    assert terminal.process.wait(20) == 0


# -- the demo's store, reachable from `sokka` ---------------------------------------------


def test_the_header_shows_the_demo_store_url(demo_terminal):
    terminal = demo_terminal()
    terminal.wait_until_running()
    (directory,) = terminal.demo_dirs()
    url = f"sqlite://{directory}/demo.db".encode()
    assert wait_for(lambda: url in terminal.output, timeout=10), "the header does not show the store's URL"
    os.kill(terminal.process.pid, signal.SIGTERM)
    assert terminal.process.wait(20) == 0


def test_demo_store_keeps_the_demo_in_a_file_sokka_can_read(demo_terminal, short_tmp, capsys):
    from sokka_tui.ops.main import main as sokka

    path = short_tmp / "kept" / "demo.db"
    path.parent.mkdir()
    terminal = demo_terminal("--store", str(path))
    terminal.wait_until_running()
    url = f"sqlite://{path}"
    assert wait_for(lambda: url.encode() in terminal.output, timeout=10)
    os.kill(terminal.process.pid, signal.SIGTERM)
    assert terminal.process.wait(20) == 0
    assert f"sokka --url {url} topics".encode() in terminal.output
    assert path.exists() and terminal.demo_dirs() == []
    with stores.open_store(url) as store:
        kept = {t.task_id for t in every_task(store)}
    assert len(kept) >= 300
    capsys.readouterr()
    assert sokka(["--url", url, "topics"]) == 0
    listed = capsys.readouterr().out
    assert all(topic in listed for topic in demo.DEMO_TOPICS)

    # Run again: the same store goes on (not seeded twice, nothing lost).
    again = demo_terminal("--store", str(path))
    again.wait_until_running()
    os.kill(again.process.pid, signal.SIGTERM)
    assert again.process.wait(20) == 0
    with stores.open_store(url) as store:
        assert kept <= {t.task_id for t in every_task(store)}


def test_demo_store_refuses_what_is_not_a_demo_store(tmp_path):
    import sqlite3

    fresh, seeded = tmp_path / "new.db", tmp_path / "seeded.db"
    assert demo.demo_store(str(fresh), "sokka") == (f"sqlite://{fresh}", True)
    (tmp_path / "empty.db").touch()
    assert demo.demo_store(str(tmp_path / "empty.db"), "sokka")[1] is True
    demo.seed(f"sqlite://{seeded}")
    assert demo.demo_store(str(seeded), "sokka") == (f"sqlite://{seeded}", False)

    someones = tmp_path / "app.db"
    with sqlite3.connect(someones) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    db.close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    foreign = tmp_path / "work.db"
    with stores.open_store(f"sqlite://{foreign}") as store:
        store.create_task({"topic": "payroll", "data": {}})
    refused = {
        str(tmp_path): "is a directory",
        str(tmp_path / "no" / "such" / "dir.db"): "there is no directory",
        str(someones): "is not a demo store",
        str(text): "is not a demo store",
        str(foreign): "topics the demo does not make: 'payroll'",
    }
    for path, reason in refused.items():
        with pytest.raises(demo.NotADemoStore, match=reason):
            demo.demo_store(path, "sokka")
    with sqlite3.connect(someones) as db:  # refused, and left untouched
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_master")] == ["customers"]
    db.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--store", "x.db"], "--store is for 'sokka-tui demo' only"),
    (["demo", "--store", "/no/such/dir/demo.db"], "there is no directory /no/such/dir"),
])
def test_demo_store_usage_errors_are_one_line(args, message, capsys):
    from sokka_tui.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_killing_the_tmux_session_stops_the_demo(short_tmp):
    """tmux closing the window: a hangup (SIGHUP, then SIGCONT, on which Textual
    would resume into the dead terminal and hang on its exit); twice, as it was a race."""
    for attempt in range(2):
        session = f"sokka-demo-test-{os.getpid()}-{attempt}"
        command = f"cd {ROOT} && TMPDIR={short_tmp} exec {sys.executable} -m sokka_tui demo"
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command], check=True)
        try:
            pane_pid = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
                                          capture_output=True, text=True, check=True).stdout.split()[0])

            def children(pane_pid: int = pane_pid) -> list[int]:
                return [int(p) for p in Path(f"/proc/{pane_pid}/task/{pane_pid}/children").read_text().split()]

            assert wait_for(lambda: len(list(short_tmp.glob("sokka-demo-*"))) == 1 and len(children()) >= 4,
                            timeout=30, interval=0.2), "the demo did not start in tmux"
            fleet = children()

            def shown(session: str = session) -> bool:
                screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True)
                return "Starting" in screen.stdout  # the topics table's first heading (in sight at any width)

            assert wait_for(shown, timeout=30, interval=0.2), "the console did not show the topics"
            time.sleep(2 + 1.5 * attempt)  # a few refreshes; the hangup lands at another moment of their cycle
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        assert wait_for(lambda pid=pane_pid: gone(pid), timeout=20), "the demo hung after its terminal closed"
        assert list(short_tmp.glob("sokka-demo-*")) == []
        assert wait_for(lambda pids=fleet: all(gone(pid) for pid in pids), timeout=5)
