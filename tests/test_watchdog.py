"""The client-side watchdog, against a real PostgreSQL that is made to ignore timeouts.

PGlite ignores `statement_timeout` and cancel requests. To have that behaviour on a real server,
the test puts a proxy of its own between the engine and PostgreSQL: it forwards the protocol
byte for byte, but turns the engine's `SET statement_timeout = N` into `= 0` (same length, so
the framing holds) and drops every cancel request unanswered.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import POSTGRES_URL, open_engine

from fuzzer.engines import connect
from fuzzer.engines.base import HANG

CANCEL_REQUEST = 80877102


class DeafProxy:
    """A TCP proxy in front of PostgreSQL that ignores statement timeouts and cancels."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.cancels_dropped = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

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
        server = socket.create_connection(self.upstream)
        self._sockets.append(server)
        server.sendall(first)
        threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()
        self._pump(client, server, True)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, rewrite: bool) -> None:
        try:
            while data := src.recv(65536):
                if rewrite:
                    data = re.sub(
                        rb"statement_timeout = (\d+)",
                        lambda m: b"statement_timeout = 0" + b" " * (len(m.group(1)) - 1),
                        data,
                    )
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            s.close()


@pytest.fixture
def deaf_postgres() -> Iterator[tuple[str, DeafProxy]]:
    open_engine("postgres").close()  # skips locally, fails in CI, when the server is down
    parts = urlsplit(POSTGRES_URL)
    proxy = DeafProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    user = f"{parts.username}@" if parts.username else ""
    yield f"postgresql://{user}127.0.0.1:{proxy.port}{parts.path}?sslmode=disable", proxy
    proxy.close()


def test_a_statement_that_ignores_timeout_and_cancel_is_a_hang_and_the_engine_reconnects(
    deaf_postgres: tuple[str, DeafProxy],
):
    url, proxy = deaf_postgres
    engine = connect(url, timeout=0.5, guard=False)
    try:
        assert engine.execute("SHOW statement_timeout").rows == [("0",)]  # the proxy's doing
        outcome = engine.execute("SELECT pg_sleep(30)")
        assert not outcome.ok and outcome.code == HANG, outcome
        assert proxy.cancels_dropped >= 1  # the watchdog cancelled first, in vain
        assert outcome.elapsed < 30  # it did not wait for the statement
        again = engine.execute("SELECT 41 + 1")
        assert again.ok and again.rows == [(42,)]  # a new connection
    finally:
        engine.close()
