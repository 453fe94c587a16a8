"""What the tests of the UI's sessions, queue and uploads share: a clock to move by hand, and session keys."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from playground.ui.sessions import free_session, mark_page_session


def run_async(coro):
    """Run ``coro`` on a loop of its own in a thread of its own: once a browser test has run, Playwright's sync
    API keeps an event loop running in the main thread, where ``asyncio.run`` then refuses."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class FakeClock:
    """A clock that moves only when a test says so (``clock.now += seconds``)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def keys():
    """Unique session keys (``keys(n, page=True)`` announces them as pages); forgotten afterwards."""
    made = []

    def make(n, page=False):
        out = [f"{'page' if page else 'api'}-{uuid.uuid4().hex[:8]}" for _ in range(n)]
        for k in out:
            if page:
                mark_page_session(SimpleNamespace(session_hash=k))
        made.extend(out)
        return out

    yield make
    for k in made:
        free_session(SimpleNamespace(session_hash=k))
