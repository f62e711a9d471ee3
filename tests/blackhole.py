"""A TCP proxy in front of a real server that can lose the answer to one request.

``Blackhole(upstream_port, trigger=b"EVALSHA")``: connections to ``.port`` are
passed through to ``127.0.0.1:upstream_port`` until ``arm()``; then the first
request containing ``trigger`` still reaches the server, which runs it, but
everything the server sends back on that connection is dropped: the client
sees a request that never answers, exactly as when a network link dies after
the request left. Other connections are untouched.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Blackhole:
    def __init__(self, upstream_port: int, trigger: bytes) -> None:
        self.upstream_port = upstream_port
        self.trigger = trigger
        self._armed = threading.Event()
        self.swallowed = threading.Event()  # set once a triggering request went through
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="blackhole-accept").start()

    def arm(self) -> None:
        self._armed.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            dropping = threading.Event()
            threading.Thread(target=self._pump, args=(client, upstream, dropping, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, dropping, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, dropping: threading.Event, requests: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if requests and self._armed.is_set() and self.trigger in chunk and not self.swallowed.is_set():
                    dropping.set()
                    self.swallowed.set()
                if not requests and dropping.is_set():
                    continue  # the answer is lost
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
