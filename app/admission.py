"""Bounded concurrency: at most `max_in_flight` requests inside the app at once.

A request that finds the server full waits for a place, first come first served, for at most
`queue_timeout` seconds, and is then answered `503 Service Unavailable` with `Retry-After`
(problem+json for the API, a page for the browser) instead of queueing for minutes: under a
crowd of readers the requests that get in are served in seconds, and the others learn at once
that they should come back.

Files that need neither a thread nor the database (`/static/...`, the API docs' assets,
`/robots.txt`, `/favicon.ico`) are never refused: they cannot add to the crowd.

The middleware sits inside the one that reads request bodies (app.main.ReadBody), so a slow
client holds no place while its body arrives, and inside the HTTP cache's, so a `304` to an
unchanged read costs no place either.
"""

import asyncio
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import Unavailable

FREE_PREFIXES = ("/static/", "/docs/assets/")
FREE_PATHS = frozenset({"/robots.txt", "/favicon.ico"})


@dataclass
class _Waiter:
    wake: asyncio.Future[None]
    admitted: bool = field(default=False)


class Admission:
    def __init__(self, app: ASGIApp, *, max_in_flight: int, queue_timeout: float, render: Any) -> None:
        self.app = app
        self.limit = max_in_flight
        self.queue_timeout = queue_timeout
        # (request, exception) -> response: the app's own error renderer.
        self.render = render
        self.in_flight = 0
        self._waiters: deque[_Waiter] = deque()
        # The count is shared by every event loop that serves this app (tests run several).
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._free(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if not await self._enter():
            exc = Unavailable(
                "The server is busy with other requests; nothing was done. Try again in a few seconds.",
                headers={"Retry-After": str(max(1, math.ceil(self.queue_timeout)))},
            )
            await self.render(Request(scope, receive), exc)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave()

    @staticmethod
    def _free(path: str) -> bool:
        return path in FREE_PATHS or path.startswith(FREE_PREFIXES)

    async def _enter(self) -> bool:
        with self._lock:
            if self.in_flight < self.limit and not self._waiters:
                self.in_flight += 1
                return True
            waiter = _Waiter(asyncio.get_running_loop().create_future())
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.wake), self.queue_timeout)
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            # The client went away while waiting: give back a place handed over meanwhile.
            if not self._give_up(waiter):
                self._leave()
            raise
        return not self._give_up(waiter)

    def _give_up(self, waiter: _Waiter) -> bool:
        """Leave the queue; False when a place was handed over already (it is then the waiter's)."""
        with self._lock:
            if waiter.admitted:
                return False
            self._waiters.remove(waiter)
            return True

    def _leave(self) -> None:
        with self._lock:
            if not self._waiters:
                self.in_flight -= 1
                return
            # The place passes straight to the first waiter (in_flight stays the same).
            waiter = self._waiters.popleft()
            waiter.admitted = True
        waiter.wake.get_loop().call_soon_threadsafe(_wake, waiter.wake)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
