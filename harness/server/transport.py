"""An in-process httpx transport over an ASGI app that streams response bodies (so endless SSE streams work)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

_Message = dict[str, Any]


class _StreamedBody(httpx.AsyncByteStream):
    """The response body, read chunk by chunk as the app sends it; closing it disconnects the app."""

    def __init__(
        self, chunks: asyncio.Queue[bytes | None], task: asyncio.Task[None], disconnect: asyncio.Event
    ) -> None:
        self._chunks = chunks
        self._task = task
        self._disconnect = disconnect

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._chunks.get()
            if chunk is None:
                return
            if chunk:
                yield chunk

    async def aclose(self) -> None:
        self._disconnect.set()
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Like `httpx.ASGITransport`, but the response is returned as soon as its headers are sent and the body streams.

    The app runs as a task on the caller's event loop; its lifespan is not run (the runtime needs none).
    """

    def __init__(self, app: Any, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        }
        start: asyncio.Future[_Message] = asyncio.get_running_loop().create_future()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        disconnect = asyncio.Event()
        body_sent = False

        async def receive() -> _Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: _Message) -> None:
            if message["type"] == "http.response.start":
                if not start.done():
                    start.set_result(message)
            elif message["type"] == "http.response.body":
                data = bytes(message.get("body", b""))
                if data:
                    chunks.put_nowait(data)
                if not message.get("more_body", False):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            except BaseException as exc:
                if not start.done():
                    start.set_exception(exc if isinstance(exc, Exception) else RuntimeError("app cancelled"))
                raise
            finally:
                chunks.put_nowait(None)

        task = asyncio.get_running_loop().create_task(run())
        try:
            message = await start
        except BaseException:
            task.cancel()
            raise
        headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        status = int(message["status"])
        if task.done() and not task.cancelled() and task.exception() is None:
            # The app sent its whole response before we looked (every answer but a stream): hand the body over
            # in one piece instead of through the chunk queue.
            whole = httpx.ByteStream(b"".join(iter(chunks.get_nowait, None)))
            return httpx.Response(status_code=status, headers=headers, stream=whole, request=request)
        return httpx.Response(
            status_code=status, headers=headers, stream=_StreamedBody(chunks, task, disconnect), request=request
        )
