"""Caps on what visitors may upload: per request, and per address per hour.

Gradio checks each uploaded file against ``max_file_size`` (200 MB here), but not the total of one request
(20 files of 50 MB were accepted in one ``POST /gradio_api/upload``), nor how much one visitor sends in a row.
This ASGI middleware refuses, with HTTP 413 and one sentence:

- a request whose body is larger than :data:`MAX_REQUEST_BYTES` (from its ``Content-Length`` before anything
  is read, or counted as it arrives when the length is not given);
- a request that would take one address past :data:`MAX_ADDRESS_BYTES` within :data:`WINDOW_S`.

Uploads are deleted when their session ends (``playground.ui.session_uploads``, which also caps one session's
total), and after an hour whatever happens (``delete_cache`` in ``ui/app.py``): so the disk holds at most about
``MAX_ADDRESS_BYTES`` per address. The address is the peer's as uvicorn reports it (see
``playground.ui.queue_gate``).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Callable

from playground.ui.queue_gate import answer, client_address

MB = 1024 * 1024
MAX_REQUEST_BYTES = 250 * MB  # one upload request (a metrics set of 1,000 pictures fits; 20 x 50 MB does not)
MAX_ADDRESS_BYTES = 2048 * MB  # one address within WINDOW_S (a class behind one address shares it)
WINDOW_S = 3600.0  # as long as uploads stay on disk (the cache cleanup's age)


class Ledger:
    """Bytes each address uploaded, by time; thread-safe, ``clock`` injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sent: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def used(self, address: str) -> int:
        with self._lock:
            return self._prune(address)

    def add(self, address: str, n: int) -> None:
        with self._lock:
            self._sent[address].append((self.clock(), n))

    def _prune(self, address: str) -> int:
        sent = self._sent.get(address)
        if not sent:
            self._sent.pop(address, None)
            return 0
        cut = self.clock() - WINDOW_S
        while sent and sent[0][0] < cut:
            sent.popleft()
        if not sent:
            del self._sent[address]
            return 0
        return sum(n for _, n in sent)


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB"


class UploadGate:
    """ASGI middleware over ``POST …/gradio_api/upload``: see the module docstring."""

    def __init__(self, app, ledger: Ledger | None = None) -> None:
        self.app = app
        self.ledger = ledger if ledger is not None else Ledger()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/gradio_api/upload"):
            return await self.app(scope, receive, send)
        address = client_address(scope)
        declared = _content_length(scope)
        used = self.ledger.used(address)
        if declared is not None and declared > MAX_REQUEST_BYTES:
            return await answer(send, 413, f"This upload is {_mb(declared)}; one upload may send at most "
                                           f"{_mb(MAX_REQUEST_BYTES)} in all. Send fewer or smaller files.", close=True)
        if used + (declared or 0) > MAX_ADDRESS_BYTES:
            return await answer(send, 413, f"Your address has uploaded {_mb(used)} in the last hour; this app takes "
                                           f"at most {_mb(MAX_ADDRESS_BYTES)} an hour from one address. Try again "
                                           "later.", close=True)
        counted, cut = 0, False

        async def counting():
            nonlocal counted, cut
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > MAX_REQUEST_BYTES or used + counted > MAX_ADDRESS_BYTES:
                    cut = True
                    return {"type": "http.disconnect"}  # stop reading: the upload fails, nothing more is kept
            return message

        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except Exception:
            if not cut:
                raise
        finally:
            self.ledger.add(address, counted)
        if cut and not started:  # stopped before Gradio answered
            await answer(send, 413, f"This upload went past {_mb(MAX_REQUEST_BYTES)} (one request) or the hour's "
                                    f"{_mb(MAX_ADDRESS_BYTES)} from your address, so it was stopped.", close=True)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
