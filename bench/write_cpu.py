"""CPU per reserve→terminate cycle, this checkout against another: a measure a
busy machine hardly moves (time waiting for a core is not CPU time).

``python -m bench.write_cpu --base DIR [--backends sqlite,postgres,redis]
[--rounds 5] [--cycles N]``

Each round runs, for each version (alternating which goes first), one
process that creates N tasks in a fresh namespace and cycles them
(``reserve_task`` then ``terminate``, the store's public methods), and
reports per cycle: the client's CPU (``time.process_time``) and the server's
(PostgreSQL: the CPU of the one backend that served the store's connection,
from ``/proc/<pid>/stat``; Redis: the CPU of a private ``redis-server`` this
command starts on a free port and stops, so nobody else's commands count;
SQLite has no server). It prints each run, then per backend the medians of
client + server µs per cycle and their ratio (base ÷ this: the share of the
old speed the new code keeps, as ``bench.write_cost`` prints). Needs the
servers on this machine (``/proc``). Namespaces ``bench_<run>_wcpu...``,
dropped after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _one(backend_name: str, url: str, cycles: int, server_pid: int) -> None:
    """In a child: one cycle run with whatever ``stores`` is on the path; prints JSON."""
    from bench.backends import Backend
    from bench.throughput import new_tasks, verify_all_terminated_once

    backend = Backend.make(backend_name, url or None)
    namespace = backend.namespace(f"wcpu{os.getpid()}")
    try:
        with backend.open(namespace) as store:
            for start in range(0, cycles, 10_000):
                store.create_tasks(new_tasks("cycles", min(10_000, cycles - start), start))
            if backend_name == "postgres":
                with store._pool.connection() as conn:  # the one connection a single thread uses
                    server_pid = conn.info.backend_pid
            reserve, terminate = store.reserve_task, store.terminate
            store.now_ms()
            server0 = _proc_cpu(server_pid) if server_pid else 0.0
            client0 = time.process_time()
            wall0 = time.perf_counter()
            done = 0
            while (task := reserve("cycles", "p")) is not None:
                terminate(task.task_id, "p")
                done += 1
            wall = time.perf_counter() - wall0
            client = time.process_time() - client0
            server = (_proc_cpu(server_pid) - server0) if server_pid else 0.0
            verify_all_terminated_once(store, "cycles", cycles, done)
    finally:
        backend.cleanup()
    print(json.dumps({"client_us": client / done * 1e6, "server_us": server / done * 1e6,
                      "wall_us": wall / done * 1e6}))


def _run(checkout: Path, backend: str, url: str, cycles: int, server_pid: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(
        [sys.executable, "-c", f"from bench.write_cpu import _one; _one({backend!r}, {url!r}, {cycles}, {server_pid})"],
        cwd=checkout, env=env, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.write_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="a checkout of the version to compare with")
    parser.add_argument("--backends", default="sqlite,postgres,redis")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cycles", default="sqlite=20000,postgres=5000,redis=20000")
    args = parser.parse_args(argv)
    base = args.base.resolve()
    if not (base / "bench" / "write_cpu.py").exists():  # the child imports it from the checkout it runs
        (base / "bench" / "write_cpu.py").write_text(Path(__file__).read_text())
    cycles = {k: int(v) for k, v in (item.split("=") for item in args.cycles.split(","))}
    summary = []
    for backend in args.backends.split(","):
        url, server_pid, redis_proc, redis_dir = "", 0, None, None
        if backend == "redis":
            redis_dir = tempfile.mkdtemp(prefix="sokka-wcpu-")
            port = _free_port()
            redis_proc = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", redis_dir],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url, server_pid = f"redis://127.0.0.1:{port}/0", redis_proc.pid
            time.sleep(0.5)
        try:
            totals: dict[str, list[float]] = {"this": [], "base": []}
            for rnd in range(args.rounds):
                order = [("this", HERE), ("base", base)]
                if rnd % 2:
                    order.reverse()
                load = Path("/proc/loadavg").read_text().split()[0]
                for side, checkout in order:
                    r = _run(checkout, backend, url, cycles[backend], server_pid)
                    totals[side].append(r["client_us"] + r["server_us"])
                    print(f"{backend} round {rnd + 1} {side}: client {r['client_us']:.1f} + server "
                          f"{r['server_us']:.1f} µs CPU per cycle (wall {r['wall_us']:.0f} µs; load {load})",
                          flush=True)
            this, theirs = statistics.median(totals["this"]), statistics.median(totals["base"])
            change = (this / theirs - 1) * 100
            summary.append(f"{backend}: this {this:.1f}, base {theirs:.1f} µs CPU per cycle (medians of "
                           f"{args.rounds}), kept {theirs / this:.3f} of the speed ({change:+.1f} %)")
        finally:
            if redis_proc is not None:
                redis_proc.terminate()
                redis_proc.wait(timeout=10)
                shutil.rmtree(redis_dir or "", ignore_errors=True)
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
