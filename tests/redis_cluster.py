"""A private Redis Cluster for the conformance suite: three masters, no replicas.

Each pytest process (each xdist worker) starts at most one, the first time a
test asks for the ``redis_cluster`` fixture, on free loopback ports in a
directory of its own; the session's end stops it and deletes the directory.
Nothing is kept on disk (``--save ""``, ``--appendonly no``). The servers are
started with a parent-death signal, so even a worker that is killed outright
leaves no redis-server behind.

When redis-server or redis-cli is missing, the tests that need the cluster are
skipped, saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.private_servers import _wait_for_port, free_port

__all__ = ["PrivateRedisCluster", "redis_cluster", "running_cluster_url"]

MASTERS = 3
START_TIMEOUT_S = 30
#: The URL of this process's running cluster, for ``tests.servers.drop_namespace``.
_running: PrivateRedisCluster | None = None


def running_cluster_url() -> str:
    """The ``redis+cluster://`` URL of the cluster this process started."""
    if _running is None:
        raise RuntimeError("no private Redis Cluster runs in this process")
    return _running.url


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the server gets SIGTERM when the process that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_cluster_port() -> int:
    """A free loopback port whose cluster bus port (port + 10000) is free too."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _wait_for_ping(port: int, process: subprocess.Popen) -> None:
    """Wait until the server answers PING: it listens on its port a moment before
    it binds the bus port, and exits if that fails."""
    import redis

    deadline = time.monotonic() + START_TIMEOUT_S
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"cluster redis-server on port {port} exited with status {process.returncode}")
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.02)
    finally:
        client.close()
    raise RuntimeError(f"cluster redis-server on port {port} did not answer within {START_TIMEOUT_S} s")


class PrivateRedisCluster:
    """``MASTERS`` redis-servers with ``--cluster-enabled yes``, joined by
    ``redis-cli --cluster create``; ``.url`` names the first as the seed."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def _start_node(self) -> None:
        for attempt in range(5):
            port = _free_cluster_port()
            node_dir = self.base / str(port)
            node_dir.mkdir()
            process = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-config-file", str(node_dir / "nodes.conf"),
                 "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no",
                 "--dir", str(node_dir), "--logfile", str(node_dir / "server.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
            )
            self.processes.append(process)
            try:
                _wait_for_port(port, process, "cluster redis-server")
                _wait_for_ping(port, process)
            except RuntimeError:
                process.kill()
                if attempt == 4:
                    raise
                continue  # someone took the port or its bus port meanwhile: try another
            self.ports.append(port)
            return

    def start(self) -> PrivateRedisCluster:
        """Start the nodes, create the cluster, wait until every node says ``ok``."""
        for _ in range(MASTERS):
            self._start_node()
        created = subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=START_TIMEOUT_S,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{created.stdout[-3000:]}")
        self._wait_until_ok()
        return self

    def _wait_until_ok(self) -> None:
        import redis

        deadline = time.monotonic() + START_TIMEOUT_S
        clients = [redis.Redis(host="127.0.0.1", port=p, socket_timeout=5, decode_responses=True) for p in self.ports]
        try:
            while True:
                infos = [client.cluster("info") for client in clients]
                if all(
                    info.get("cluster_state") == "ok"
                    and int(info.get("cluster_known_nodes", 0)) == MASTERS
                    and int(info.get("cluster_slots_ok", 0)) == 16384
                    for info in infos
                ):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the private Redis Cluster is not ok after {START_TIMEOUT_S} s: {infos}")
                time.sleep(0.05)
        finally:
            for client in clients:
                client.close()

    def remove(self) -> None:
        """Kill every node and delete the directory."""
        for process in self.processes:
            with contextlib.suppress(OSError):
                process.kill()
        for process in self.processes:
            with contextlib.suppress(Exception):
                process.wait(timeout=10)
        self.processes = []
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_cluster():
    """This process's started ``PrivateRedisCluster``; removed when the session ends."""
    global _running
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found: the Redis Cluster tests need it")
    cluster = PrivateRedisCluster(Path(tempfile.mkdtemp(prefix="sokka-redis-cluster-")))
    try:
        _running = cluster.start()
        yield cluster
    finally:
        _running = None
        cluster.remove()
