"""Worker processes for the fault tests, and reading back what they recorded.

``python -m tests.faults.workers URL NAMESPACE TOPIC OUT_FILE STOP_FILE
LEASE_MS WORK_MS`` runs a ``stores.worker.Worker`` over ``TOPIC`` until
``STOP_FILE`` exists. Its handler appends one JSON line per task it runs to
``OUT_FILE``: ``{"event": "run", "task_id", "pid", "record_ver", "at"}``
(the version at reservation, the wall time), then works ``WORK_MS`` milliseconds. Every log
record of ``stores.worker`` is appended too, as ``{"event": "log", "level",
"msg", "args"}`` (``msg`` is the template, so tests can match it exactly).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class _Lines:
    """Appends JSON lines to a file, one write and flush each, from any thread."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
        self._lock = threading.Lock()

    def write(self, **record) -> None:
        with self._lock:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()


class _ToLines(logging.Handler):
    def __init__(self, lines: _Lines) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.write(event="log", level=record.levelname, msg=str(record.msg),
                         args=[str(a) for a in record.args or ()])


def main(argv: list[str]) -> None:
    url, namespace, topic, out_file, stop_file, lease_ms, work_ms = argv
    import stores
    from stores.worker import Worker

    lines = _Lines(out_file)
    logger = logging.getLogger("stores.worker")
    logger.setLevel(logging.INFO)
    logger.addHandler(_ToLines(lines))
    store = stores.open_store(url, namespace=namespace, timeout=1, lease_time_ms=int(lease_ms))

    def handler(task):
        lines.write(event="run", task_id=task.task_id, pid=task.pid, record_ver=task.record_ver, at=time.time())
        time.sleep(int(work_ms) / 1000)

    worker = Worker(store, topic, handler, pid=f"worker-{os.getpid()}", max_poll_interval_ms=100)
    worker.start()
    lines.write(event="started", pid=worker.pid)
    while not os.path.exists(stop_file):
        time.sleep(0.05)
    worker.stop(wait=True, timeout=30)
    store.close()
    lines.write(event="stopped", pid=worker.pid)


def spawn(url: str, namespace: str, topic: str, out_file: Path, stop_file: Path, *,
          lease_ms: int, work_ms: int) -> subprocess.Popen:
    """Start one worker process (see the module's docstring)."""
    with open(f"{out_file}.stderr", "w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.faults.workers", url, namespace, topic, str(out_file), str(stop_file),
             str(lease_ms), str(work_ms)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
        )


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    main(sys.argv[1:])
