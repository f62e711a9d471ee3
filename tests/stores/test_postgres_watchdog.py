"""The deadline of the hot statements' blocking libpq call
(``stores/postgres/watchdog.py``): a call that overruns has its socket shut
down under it, one that ends in time is left alone, and a forked child has a
watchdog of its own. The end-to-end case (a stopped server) is in
``tests/faults/test_paused.py``."""

from __future__ import annotations

import multiprocessing
import socket
import time

import pytest

from stores.postgres import watchdog


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_call_that_overruns_is_cut(pair):
    """An end already passed: within a tick or two the socket is shut down
    both ways (a read on it sees end of file, as libpq's would), the
    descriptor stays open, and ``disarm`` says the deadline fired."""
    ours, _theirs = pair
    dog = watchdog.Watchdog()
    dog.arm(ours.fileno(), time.monotonic() - 1)
    ours.settimeout(5)
    started = time.monotonic()
    assert ours.recv(1) == b""  # woken by the shutdown, not by the peer
    assert time.monotonic() - started < 1
    assert dog.disarm(ours.fileno()) is True
    assert ours.fileno() >= 0  # still libpq's to close
    with pytest.raises(OSError):
        ours.send(b"x")


def test_a_call_that_ends_in_time_is_left_alone(pair):
    ours, theirs = pair
    dog = watchdog.Watchdog()
    dog.arm(ours.fileno(), time.monotonic() + 60)
    time.sleep(3 * watchdog.TICK_S)
    assert dog.disarm(ours.fileno()) is False
    ours.sendall(b"ping")
    assert theirs.recv(4) == b"ping"
    # Disarmed: an end long passed no longer concerns this descriptor.
    time.sleep(3 * watchdog.TICK_S)
    theirs.sendall(b"pong")
    assert ours.recv(4) == b"pong"


def test_only_the_overrunning_call_is_cut(pair):
    ours, theirs = pair
    other, other_peer = socket.socketpair()
    try:
        dog = watchdog.Watchdog()
        dog.arm(ours.fileno(), time.monotonic() + 60)
        dog.arm(other.fileno(), time.monotonic())
        other.settimeout(5)
        assert other.recv(1) == b""
        assert dog.disarm(other.fileno()) is True
        assert dog.disarm(ours.fileno()) is False
        theirs.sendall(b"ok")
        assert ours.recv(2) == b"ok"
    finally:
        other.close()
        other_peer.close()


def test_the_thread_ends_when_idle_and_starts_again(pair, monkeypatch):
    monkeypatch.setattr(watchdog, "IDLE_S", 0.1)
    ours, _theirs = pair
    dog = watchdog.Watchdog()
    dog.arm(ours.fileno(), time.monotonic() + 60)
    assert dog.disarm(ours.fileno()) is False
    deadline = time.monotonic() + 5
    while dog._running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not dog._running
    dog.arm(ours.fileno(), time.monotonic() - 1)
    ours.settimeout(5)
    assert ours.recv(1) == b""
    assert dog.disarm(ours.fileno()) is True


def _child_cuts(parent_dog, results) -> None:
    ours, _theirs = socket.socketpair()
    dog = watchdog.WATCHDOG
    dog.arm(ours.fileno(), time.monotonic() - 1)
    ours.settimeout(5)
    results.put((dog is not parent_dog, ours.recv(1), dog.disarm(ours.fileno())))


def test_a_forked_child_has_a_watchdog_of_its_own():
    """The parent's thread does not exist in a forked child, and its lock may
    have been held at the fork: the child starts with a fresh watchdog that works."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    parent_dog = watchdog.WATCHDOG
    held, _peer = socket.socketpair()
    parent_dog.arm(held.fileno(), time.monotonic() + 60)  # the parent's thread is running
    try:
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        child = context.Process(target=_child_cuts, args=(parent_dog, results))
        child.start()
        fresh, read, fired = results.get(timeout=10)
        child.join(10)
        assert (fresh, read, fired) == (True, b"", True)
    finally:
        assert parent_dog.disarm(held.fileno()) is False
        held.close()
        _peer.close()


def test_a_patched_time_sleep_does_not_stop_it(pair, monkeypatch):
    """A program (or a test: tests/cli/test_watch.py) that patches ``time.sleep``
    to end its own loop must not end the watchdog's: it once died that way and,
    still marked running, never cut a call again in that process."""

    def interrupted(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupted)
    ours, _theirs = pair
    dog = watchdog.Watchdog()
    dog.arm(ours.fileno(), time.monotonic() - 1)
    ours.settimeout(5)
    assert ours.recv(1) == b""
    assert dog.disarm(ours.fileno()) is True


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the death, on purpose
def test_a_thread_that_died_is_started_again(pair, monkeypatch):
    ours, _theirs = pair
    dog = watchdog.Watchdog()
    calls = []

    def dies_once(seconds):
        calls.append(seconds)
        if len(calls) == 1:
            raise RuntimeError("the thread dies")
        real_sleep(seconds)

    real_sleep = watchdog._sleep
    monkeypatch.setattr(watchdog, "_sleep", dies_once)
    dog.arm(ours.fileno(), time.monotonic() + 60)
    deadline = time.monotonic() + 5
    while dog._running and time.monotonic() < deadline:
        real_sleep(0.01)
    assert not dog._running  # ended, and said so
    assert dog.disarm(ours.fileno()) is False
    dog.arm(ours.fileno(), time.monotonic() - 1)  # starts a new thread
    ours.settimeout(5)
    assert ours.recv(1) == b""
    assert dog.disarm(ours.fileno()) is True


def test_a_disarm_while_the_socket_is_being_shut_down_waits_for_it(pair, monkeypatch):
    """``disarm`` takes no lock, but when the thread is cutting a call it waits
    until the shutdown is done: the caller closes the connection only after
    ``disarm``, so the thread never shuts down a descriptor already reused."""
    import threading

    entered, release = threading.Event(), threading.Event()
    real_shut_down = watchdog._shut_down

    def slow_shut_down(fd):
        entered.set()
        release.wait(5)
        real_shut_down(fd)

    monkeypatch.setattr(watchdog, "_shut_down", slow_shut_down)
    ours, _theirs = pair
    dog = watchdog.Watchdog()
    dog.arm(ours.fileno(), time.monotonic() - 1)
    assert entered.wait(5)
    fired = []
    disarming = threading.Thread(target=lambda: fired.append(dog.disarm(ours.fileno())))
    disarming.start()
    disarming.join(0.3)
    assert disarming.is_alive() and fired == []  # waiting for the shutdown
    release.set()
    disarming.join(5)
    assert fired == [True]
    ours.settimeout(5)
    assert ours.recv(1) == b""


def test_a_call_disarmed_before_the_thread_fires_is_not_cut(pair, monkeypatch):
    """The thread looks again, once it is marked firing, at whether a call it
    found overdue is still armed: one disarmed (or armed again) in between is left alone."""
    ours, theirs = pair
    dog = watchdog.Watchdog()
    dog._due[ours.fileno()] = time.monotonic() - 1  # overdue when the thread lists the calls ...
    real_list = list

    def list_then_disarm(items):
        listed = real_list(items)
        dog._due[ours.fileno()] = time.monotonic() + 60  # ... armed again for a new call before it fires
        return listed

    monkeypatch.setattr(watchdog, "list", list_then_disarm, raising=False)
    dog._fire(time.monotonic())
    assert dog.disarm(ours.fileno()) is False
    ours.sendall(b"ok")
    assert theirs.recv(2) == b"ok"
