"""A TCP relay in front of the emulator whose connections can be cut at once.

Stopping Azurite with SIGTERM lets it finish the requests of connections it already has
(HTTP keep-alive), so an upload that is under way can still complete; SIGKILL would make
it forget what it had not saved. A test that needs the network to go away mid-transfer
talks to the emulator through this relay and calls ``cut()``: every open connection is
reset and new ones are refused, as when a storage account becomes unreachable.
"""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import suppress


class Cutter:
    """Relays 127.0.0.1:``port`` to 127.0.0.1:``target`` until ``cut()``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        #: bytes relayed towards the emulator so far
        self.sent = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
            for a, b, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, up), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, up: bool) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
                if up:
                    self.sent += len(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Refuse new connections and reset every open one (RST, not a clean close)."""
        with self._lock:
            self._cut = True
            self._listener.close()
            for sock in self._open:
                with suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
            self._open.clear()
