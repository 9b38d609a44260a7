"""A TCP proxy of the tests' own in front of PostgreSQL, to play a server that misbehaves.

PGlite ignores `statement_timeout` and cancel requests. To have that behaviour on a real server,
the proxy forwards the protocol byte for byte, but turns the client's `SET statement_timeout = N`
into `= 0` (same length, so the framing holds) and drops every cancel request unanswered. Frozen,
it stops answering altogether, as a hung server does.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import POSTGRES_URL, open_engine

CANCEL_REQUEST = 80877102


class DeafProxy:
    """Ignores statement timeouts and cancels; `freeze()` makes it ignore everything."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.cancels_dropped = 0
        self.frozen = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.frozen.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        first = client.recv(8, socket.MSG_WAITALL)
        if len(first) == 8 and struct.unpack("!ii", first)[1] == CANCEL_REQUEST:
            self.cancels_dropped += 1
            return  # never answered, never forwarded: the statement goes on
        while self.frozen.is_set():
            time.sleep(0.1)  # a hung server accepts, and never answers
        server = socket.create_connection(self.upstream)
        self._sockets.append(server)
        server.sendall(first)
        threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()
        self._pump(client, server, True)

    def _pump(self, src: socket.socket, dst: socket.socket, rewrite: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.1)
                if rewrite:
                    data = re.sub(
                        rb"statement_timeout = (\d+)",
                        lambda m: b"statement_timeout = 0" + b" " * (len(m.group(1)) - 1),
                        data,
                    )
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.frozen.clear()
        self._listener.close()
        for s in self._sockets:
            s.close()


@pytest.fixture
def deaf_postgres() -> Iterator[tuple[str, DeafProxy]]:
    """The URL of the test server behind a `DeafProxy`, and the proxy."""
    open_engine("postgres").close()  # skips locally, fails in CI, when the server is down
    parts = urlsplit(POSTGRES_URL)
    proxy = DeafProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    user = f"{parts.username}@" if parts.username else ""
    yield f"postgresql://{user}127.0.0.1:{proxy.port}{parts.path}?sslmode=disable", proxy
    proxy.close()
