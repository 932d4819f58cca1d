"""An HTTP-aware fault-injecting proxy: it parses each request and response (with h11) so it can
fault whole HTTP exchanges, which a byte-level proxy cannot do cleanly.

Per request, one of:

- ``drop``: reset the client's connection before forwarding (the server never sees it);
- ``delay``: forward after a pause;
- ``reset``: forward, read the whole answer, then reset the client (the server did the work,
  the client never heard);
- ``cut``: forward, then send the client only the first part of the answer and reset;
- ``duplicate``: also send the same request at the same moment on a second connection (a
  retrying load balancer), its answer discarded;
- ``replay``: send the same request again on a second connection after the answer (a stale
  retry arriving late), its answer discarded;
- ``pass``: forward untouched.

tests/server/faultproxy.py covers drop/delay/reset at the TCP level; this adds duplicates,
replays and answers cut mid-body.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

import h11

FAULTS = ("drop", "delay", "reset", "cut", "duplicate", "replay")


def _rst(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _read_message(sock: socket.socket, conn: h11.Connection) -> list | None:
    """Events of one whole message (head, body, end), or None if the peer went away."""
    events = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = sock.recv(65536)
            except OSError:
                return None
            conn.receive_data(data)
            continue
        if isinstance(event, h11.ConnectionClosed):
            return None
        if isinstance(event, h11.InformationalResponse):
            continue
        events.append(event)
        if isinstance(event, h11.EndOfMessage):
            return events


def _serialize(conn: h11.Connection, events: list) -> bytes:
    return b"".join(conn.send(e) or b"" for e in events)


@dataclass
class HttpFaultProxy:
    target: tuple[str, int]
    rates: dict[str, float] = field(default_factory=dict)
    max_delay: float = 0.2
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    port: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._rng_lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HttpFaultProxy:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _pick(self) -> str:
        with self._rng_lock:
            u = self._rng.random()
        for name in FAULTS:
            rate = self.rates.get(name, 0.0)
            if u < rate:
                return name
            u -= rate
        return "pass"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()

    def _exchange(self, request: list) -> bytes | None:
        """Send a request on a fresh upstream connection; the raw answer, or None."""
        try:
            with socket.create_connection(self.target, timeout=60) as up:
                conn = h11.Connection(h11.CLIENT)
                up.sendall(_serialize(conn, request))
                answer = _read_message(up, conn)
        except OSError:
            return None
        return None if answer is None else b"answered"

    def _serve(self, client: socket.socket) -> None:
        self.counts["connections"] += 1
        front = h11.Connection(h11.SERVER)
        try:
            up = socket.create_connection(self.target, timeout=60)
        except OSError:
            _rst(client)
            return
        back = h11.Connection(h11.CLIENT)
        try:
            while not self._stop.is_set():
                request = _read_message(client, front)
                if request is None:
                    return
                fault = self._pick()
                self.counts[fault] += 1
                if fault == "drop":
                    _rst(client)
                    return
                if fault == "delay":
                    with self._rng_lock:
                        pause = self._rng.uniform(0, self.max_delay)
                    self._stop.wait(pause)
                twin = None
                if fault == "duplicate":
                    twin = threading.Thread(target=self._exchange, args=(request,), daemon=True)
                    twin.start()
                up.sendall(_serialize(back, request))
                answer = _read_message(up, back)
                if answer is None:
                    _rst(client)
                    return
                if twin is not None:
                    twin.join(60)
                if fault == "replay":
                    self._exchange(request)
                if fault == "reset":
                    _rst(client)
                    return
                raw = _serialize(front, answer)
                if fault == "cut":
                    client.sendall(raw[: max(1, len(raw) * 2 // 3)])
                    _rst(client)
                    return
                client.sendall(raw)
                if front.our_state is h11.MUST_CLOSE or back.their_state is h11.MUST_CLOSE:
                    return
                front.start_next_cycle()
                back.start_next_cycle()
        except (OSError, h11.ProtocolError):
            _rst(client)
        finally:
            with contextlib.suppress(OSError):
                up.close()
            with contextlib.suppress(OSError):
                client.close()
