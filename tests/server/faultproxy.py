"""A TCP proxy that drops, delays and resets connections, for testing retries end to end.

Decisions are made per chunk the client sends (in practice per HTTP request), so keep-alive
connections keep meeting faults. "reset" forwards the request and then resets the client's
connection instead of relaying the answer: the server did the work but the client never
heard, which is exactly the case idempotent resends must handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class FaultCounts:
    connections: int = 0
    passed: int = 0
    delayed: int = 0
    dropped: int = 0
    reset: int = 0


@dataclass
class FaultProxy:
    target_host: str
    target_port: int
    drop: float = 0.1
    reset: float = 0.1
    delay: float = 0.2
    max_delay: float = 0.3
    seed: int = 0
    counts: FaultCounts = field(default_factory=FaultCounts)
    port: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    @staticmethod
    def _rst(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            self._rst(writer)
            return
        kill_on_answer = asyncio.Event()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                u = self._rng.random()
                if u < self.drop:
                    self.counts.dropped += 1
                    self._rst(writer)
                    up_writer.transport.abort()
                    return
                if u < self.drop + self.reset:
                    self.counts.reset += 1
                    kill_on_answer.set()
                elif u < self.drop + self.reset + self.delay:
                    self.counts.delayed += 1
                    await asyncio.sleep(self._rng.uniform(0, self.max_delay))
                else:
                    self.counts.passed += 1
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                if kill_on_answer.is_set():
                    self._rst(writer)
                    up_writer.transport.abort()
                    return
                writer.write(data)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(client_to_server(), server_to_client())
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            writer.transport.abort()
            up_writer.transport.abort()
