"""Per-browser-session state shared by every tab.

Gradio deep-copies ``gr.State`` values, which is wrong for models and optimisers. Instead each tab
keeps its heavy objects in a :class:`SessionStore` keyed by ``request.session_hash``. A store caps how
many sessions may hold an object at once (a Space serves a whole class), evicts sessions idle for
too long, and is emptied for a session when its browser tab closes (``demo.unload`` calls
:func:`free_session`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Generic, TypeVar

from playground.errors import SessionsFull

T = TypeVar("T")

_STORES: list["SessionStore"] = []
_STORES_LOCK = threading.Lock()


def session_key(request) -> str:
    """The key of the browser session behind a Gradio ``request`` ("local" outside Gradio)."""
    return getattr(request, "session_hash", None) or "local"


class SessionStore(Generic[T]):
    """Objects held per session, at most ``max_sessions`` at a time.

    ``on_free(obj)`` runs when an object leaves the store (closed tab, idle eviction, ``clear``),
    e.g. to stop a training thread.
    """

    def __init__(
        self,
        name: str,
        max_sessions: int = 24,
        idle_seconds: float = 30 * 60,
        on_free: Callable[[T], None] | None = None,
    ) -> None:
        self.name = name
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.on_free = on_free
        self._items: OrderedDict[str, tuple[T, float]] = OrderedDict()
        self._lock = threading.RLock()
        with _STORES_LOCK:
            _STORES.append(self)

    def get(self, key: str) -> T | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items[key] = (entry[0], time.monotonic())
            self._items.move_to_end(key)
            return entry[0]

    def get_or_create(self, key: str, factory: Callable[[], T]) -> T:
        """The session's object, made by ``factory`` on first use.

        Raises :class:`SessionsFull` with a readable message when the cap is reached after idle
        sessions have been evicted.
        """
        with self._lock:
            obj = self.get(key)
            if obj is not None:
                return obj
            self.evict_idle()
            if len(self._items) >= self.max_sessions:
                raise SessionsFull(
                    f"The {self.name} is busy: {self.max_sessions} sessions are using it. "
                    "Try again in a few minutes, or run the app on your own machine."
                )
            obj = factory()
            self._items[key] = (obj, time.monotonic())
            return obj

    def set(self, key: str, obj: T) -> None:
        with self._lock:
            old = self._items.get(key)
            self._items[key] = (obj, time.monotonic())
        if old is not None and old[0] is not obj and self.on_free:
            self.on_free(old[0])

    def free(self, key: str) -> None:
        with self._lock:
            entry = self._items.pop(key, None)
        if entry is not None and self.on_free:
            self.on_free(entry[0])

    def evict_idle(self) -> int:
        now = time.monotonic()
        with self._lock:
            stale = [k for k, (_, t) in self._items.items() if now - t > self.idle_seconds]
        for k in stale:
            self.free(k)
        return len(stale)

    def clear(self) -> None:
        for k in list(self._items):
            self.free(k)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items


def free_session(request) -> None:
    """Drop everything a closed browser session held, in every store (wired to ``demo.unload``)."""
    key = session_key(request)
    with _STORES_LOCK:
        stores = list(_STORES)
    for store in stores:
        store.free(key)
