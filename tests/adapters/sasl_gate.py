"""A plaintext proxy in front of the test broker that plays the broker's part of SASL.

The test broker cannot authenticate SASL clients. This gate answers SaslHandshake
(accepting the mechanisms it is given) and SaslAuthenticate (accepting any credentials,
recording the bytes the client sent) itself, and passes every other request to the broker
untouched. It proves what a client *sends*, never that a real broker would accept it.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

SASL_HANDSHAKE, SASL_AUTHENTICATE = 17, 36


class SaslGate:
    def __init__(
        self,
        listen_port: int,
        broker_port: int,
        mechanisms: tuple[str, ...] = ("OAUTHBEARER",),
        *,
        session_lifetime_ms: int = 0,
    ) -> None:
        self.listen_port = listen_port
        self.broker_port = broker_port
        self.mechanisms = mechanisms
        self.session_lifetime_ms = session_lifetime_ms
        self.auth_payloads: list[bytes] = []  # what each SaslAuthenticate carried
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> SaslGate:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.broker_port)
        lock = asyncio.Lock()  # one writer at a time towards the client
        self._spawn(self._requests(reader, writer, up_writer, lock))
        self._spawn(self._responses(up_reader, writer, lock))

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        broker: asyncio.StreamWriter,
        lock: asyncio.Lock,
    ) -> None:
        try:
            while True:
                size = struct.unpack(">i", await reader.readexactly(4))[0]
                body = await reader.readexactly(size)
                api_key, version, correlation = struct.unpack(">hhi", body[:8])
                if api_key == SASL_HANDSHAKE:
                    answer = struct.pack(">hi", 0, len(self.mechanisms))
                    for m in self.mechanisms:
                        answer += struct.pack(">h", len(m)) + m.encode()
                elif api_key == SASL_AUTHENTICATE:
                    client_id_len = struct.unpack(">h", body[8:10])[0]
                    at = 10 + max(client_id_len, 0)
                    n = struct.unpack(">i", body[at : at + 4])[0]
                    self.auth_payloads.append(body[at + 4 : at + 4 + n])
                    answer = struct.pack(">hhi", 0, -1, 0)  # no error, null message, no bytes
                    if version >= 1:
                        answer += struct.pack(">q", self.session_lifetime_ms)
                else:
                    broker.write(struct.pack(">i", size) + body)
                    await broker.drain()
                    continue
                frame = struct.pack(">i", correlation) + answer
                async with lock:
                    client.write(struct.pack(">i", len(frame)) + frame)
                    await client.drain()
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                broker.close()
                client.close()

    async def _responses(
        self, broker: asyncio.StreamReader, client: asyncio.StreamWriter, lock: asyncio.Lock
    ) -> None:
        try:
            while True:
                head = await broker.readexactly(4)
                body = await broker.readexactly(struct.unpack(">i", head)[0])
                async with lock:
                    client.write(head + body)
                    await client.drain()
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                client.close()
