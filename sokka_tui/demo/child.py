"""One fleet process, from the inside: what it is told, how it keeps quiet, and
how it notices that it should end.

The fleet starts these with the ``spawn`` method, so a child imports this
package afresh: nothing here may pull in Textual.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass

from sokka_tui.demo.pauses import start_pauser
from sokka_tui.demo.producer import start_producer
from sokka_tui.demo.workers import start_workers
from sokka_tui.proctitle import set_process_title
from stores.audit import Operator
from stores.errors import TaskStoreError
from stores.registry import open_store


@dataclass(frozen=True)
class ChildConfig:
    """What a fleet process needs; pickled to the spawned child."""

    role: str  # "worker" or "producer"
    index: int
    url: str
    namespace: str
    lease_time_ms: int
    topics: tuple[str, ...]
    parent_pid: int
    crash_rate: float
    work_s: tuple[float, float]
    every_s: tuple[float, float]
    #: The producer's pauses of a served topic (``demo/pauses.py``): how often,
    #: how long; ``None``: never.
    pause_every_s: tuple[float, float] | None = None
    pause_for_s: tuple[float, float] = (15.0, 30.0)
    #: The topics the workers serve (the ones the producer may pause).
    served: tuple[str, ...] = ()


def _silence() -> None:
    """The console owns the terminal: a child writes nothing to it, and ignores the
    terminal's Ctrl+C (the parent stops it; it stops by itself if the parent dies)."""
    logging.disable(logging.CRITICAL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_title(config: ChildConfig) -> str:
    """What ``ps`` shows for this process: ``sokka-demo worker 0``, ``sokka-demo producer``."""
    return f"sokka-demo {config.role} {config.index}" if config.role == "worker" else f"sokka-demo {config.role}"


def _open_store(config: ChildConfig, operator: Operator | None = None):
    # A store briefly busy (the children start together) gets a few quick tries
    # before the fleet's slower restart takes over.
    for attempt in range(5):
        try:
            return open_store(config.url, namespace=config.namespace, lease_time_ms=config.lease_time_ms,
                              operator=operator)
        except TaskStoreError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def child_main(config: ChildConfig) -> None:
    """A fleet process: runs until the parent stops it, or exits when the parent is gone."""
    set_process_title(process_title(config))
    _silence()
    try:
        store = _open_store(config)
    except Exception:  # nowhere to report it: the fleet restarts us later
        os._exit(3)
    if config.role == "worker":
        healthy = start_workers(
            store, index=config.index, topics=config.topics, crash_rate=config.crash_rate,
            work_s=config.work_s,
        )
    else:
        healthy = start_producer(store, every_s=config.every_s)
        if config.pause_every_s is not None and config.served:
            # Its own store, with an operator: the pauses are in the audit trail,
            # the producer's many creates are not.
            try:
                pausing = _open_store(config, Operator.current("sokka-demo"))
            except Exception:
                os._exit(3)
            producing = healthy
            pausing_alive = start_pauser(pausing, config.served, every_s=config.pause_every_s,
                                         for_s=config.pause_for_s)

            def healthy() -> bool:
                return producing() and pausing_alive()
    parent = multiprocessing.parent_process()
    while True:
        # The parent's sentinel becomes readable the moment it dies, even by SIGKILL;
        # getppid() is the fallback should the sentinel be missing.
        if parent is not None:
            parent.join(0.5)
            if not parent.is_alive():
                os._exit(0)
        else:
            time.sleep(0.5)
        if os.getppid() != config.parent_pid:
            os._exit(0)
        if not healthy():
            os._exit(1)  # a worker thread died: let the fleet start a fresh process
