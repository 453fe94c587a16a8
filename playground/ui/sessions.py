"""Per-browser-session state shared by every tab.

A ``gr.State`` is the wrong home for models and optimisers: its initial value is deep-copied for every
new session, and whatever a handler stores there is only as safe as the session's own life (nothing
caps how many there are or frees them early). Instead each tab keeps its heavy objects in a
:class:`SessionStore` keyed by ``request.session_hash``. A store caps how
many sessions may hold an object at once (a Space serves a whole class) and is emptied for a session
when its browser tab closes (``demo.unload`` calls :func:`free_session`).

Only a real page ever closes: ``demo.unload`` fires when a page's heartbeat connection drops, and API
calls (``gradio_client``, ``POST /gradio_api/call/...``) get a fresh session hash each that never
unloads. So pages announce themselves: ``demo.load`` calls :func:`mark_page_session`, and a full store
makes room by evicting, least recently used first, sessions that no page announced. A page session
is evicted only for another page and only after ``page_grace_seconds`` unused, so abandoned API
sessions can never lock a browser out and API calls can never push a student out.

Gradio keeps state of its own per session (``demo.state_holder``, made on a session's first call, API calls
included: ~45 KB, the copies of the components' configs made only when read, :mod:`playground.ui.gradio_state`;
~0.45 MB with Gradio's own), up to 10,000 sessions, and frees none of it for an
hour after a page closes and never for a page-less session. :func:`trim_gradio_sessions` bounds it the way the
stores are bounded: page-less sessions are forgotten after :data:`API_IDLE_S` unused, pages after
:data:`IDLE_S`, and past :data:`MAX_GRADIO_SESSIONS` the least recently used go, page-less ones first.
:func:`keep_memory_bounded` runs it (and frees the stores' idle objects) in the background while a demo runs.
"""

from __future__ import annotations

import ctypes
import datetime
import gc
import logging
import os
import threading
import time
from collections import OrderedDict
from typing import Callable, Generic, TypeVar

import gradio as gr  # for the gr.Request annotation Gradio reads to pass the request in

from playground.errors import SessionsFull

T = TypeVar("T")

log = logging.getLogger("playground.ui")

# How long a session may go unused before what it holds is freed (its models, runs and Gradio's state for it).
# PLAYGROUND_IDLE_S shortens it for benchmarks/memory.py; declared once here.
IDLE_S = float(os.environ.get("PLAYGROUND_IDLE_S") or 30 * 60)
API_IDLE_S = min(60.0, IDLE_S)  # Gradio's state of a session without a page (an API client calls again soon)
MAX_GRADIO_SESSIONS = 500  # sessions whose Gradio state is kept at most (~45 KB each, more as values change)
SWEEP_S = 1.0  # how often the background sweep looks (a look is a len(); a trim runs when one is due)

_STORES: list["SessionStore"] = []
_STORES_LOCK = threading.Lock()
# What else a tab keeps for sessions (e.g. the 2-D lab's ended runs): each is called with IDLE_S by sweep() and
# returns how many entries it forgot.
_SWEEPS: list[Callable[[float], int]] = []

# Sessions whose page fired ``demo.load`` and has not unloaded; bounded so forged marks cannot grow it.
MAX_PAGE_SESSIONS = 10_000
_PAGES: OrderedDict[str, None] = OrderedDict()
_PAGES_LOCK = threading.Lock()


def session_key(request) -> str:
    """The key of the browser session behind a Gradio ``request`` ("local" outside Gradio)."""
    return getattr(request, "session_hash", None) or "local"


def mark_page_session(request: gr.Request) -> None:
    """Record that ``request`` comes from a page in a browser (wired to ``demo.load``)."""
    key = session_key(request)
    with _PAGES_LOCK:
        _PAGES[key] = None
        _PAGES.move_to_end(key)
        while len(_PAGES) > MAX_PAGE_SESSIONS:
            _PAGES.popitem(last=False)


def is_page_session(key: str) -> bool:
    """Whether a page announced this session and has not closed yet."""
    with _PAGES_LOCK:
        return key in _PAGES


class SessionStore(Generic[T]):
    """Objects held per session, at most ``max_sessions`` at a time.

    ``on_free(obj)`` runs when an object leaves the store (closed tab, eviction, ``clear``), e.g. to
    stop a training thread. When the store is full, a new session takes the slot of (in order): a
    session idle for ``idle_seconds``; the least recently used session without a page; for a page
    only, the least recently used page session unused for ``page_grace_seconds``. Otherwise
    :class:`SessionsFull`. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        name: str,
        max_sessions: int = 24,
        idle_seconds: float = IDLE_S,
        on_free: Callable[[T], None] | None = None,
        page_grace_seconds: float = 5 * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.page_grace_seconds = page_grace_seconds
        self.on_free = on_free
        self.clock = clock
        self._items: OrderedDict[str, tuple[T, float]] = OrderedDict()  # least recently used first
        self._lock = threading.RLock()
        with _STORES_LOCK:
            _STORES.append(self)

    def get(self, key: str) -> T | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items[key] = (entry[0], self.clock())
            self._items.move_to_end(key)
            return entry[0]

    def get_or_create(self, key: str, factory: Callable[[], T]) -> T:
        """The session's object, made by ``factory`` on first use (evicting as the class says).

        Raises :class:`SessionsFull` with a readable message when no slot can be freed.
        """
        evicted: list[T] = []
        try:
            with self._lock:
                obj = self.get(key)
                if obj is not None:
                    return obj
                self._make_room(key, evicted)
                obj = factory()
                self._items[key] = (obj, self.clock())
                return obj
        finally:
            self._release(evicted)

    def set(self, key: str, obj: T) -> None:
        """Store ``obj`` for ``key`` under the same cap and eviction order as :meth:`get_or_create`."""
        evicted: list[T] = []
        try:
            with self._lock:
                old = self._items.get(key)
                if old is None:
                    self._make_room(key, evicted)
                elif old[0] is not obj:
                    evicted.append(old[0])
                self._items[key] = (obj, self.clock())
                self._items.move_to_end(key)
        finally:
            self._release(evicted)

    def make_room(self, key: str) -> None:
        """Ensure ``key`` has or can get a slot, evicting now; call before building something large."""
        evicted: list[T] = []
        try:
            with self._lock:
                if key not in self._items:
                    self._make_room(key, evicted)
        finally:
            self._release(evicted)

    def free(self, key: str) -> None:
        with self._lock:
            entry = self._items.pop(key, None)
        if entry is not None:
            self._release([entry[0]])

    def evict_idle(self) -> int:
        evicted: list[T] = []
        with self._lock:
            self._pop_idle(evicted)
        self._release(evicted)
        return len(evicted)

    def clear(self) -> None:
        with self._lock:
            objs = [obj for obj, _ in self._items.values()]
            self._items.clear()
        self._release(objs)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    # -------------------------------------------------------------------------------- internals

    def _pop_idle(self, evicted: list[T]) -> None:
        now = self.clock()
        for k in [k for k, (_, t) in self._items.items() if now - t > self.idle_seconds]:
            evicted.append(self._items.pop(k)[0])

    def _make_room(self, key: str, evicted: list[T]) -> None:
        """Pop entries (into ``evicted``) until ``key`` fits; raise SessionsFull when none may go."""
        self._pop_idle(evicted)
        for_page = is_page_session(key)
        while len(self._items) >= self.max_sessions:
            victim = next((k for k in self._items if not is_page_session(k)), None)
            if victim is None and for_page:
                now = self.clock()
                victim = next(
                    (k for k, (_, t) in self._items.items() if now - t >= self.page_grace_seconds), None
                )
            if victim is None:
                raise SessionsFull(
                    f"The {self.name} is busy: {self.max_sessions} sessions are using it. "
                    "Try again in a few minutes, or run the app on your own machine."
                )
            evicted.append(self._items.pop(victim)[0])

    def _release(self, objs: list[T]) -> None:
        """Run ``on_free`` outside the lock (it may stop a thread and wait for it)."""
        if self.on_free:
            for obj in objs:
                self.on_free(obj)


def free_session(request) -> None:
    """Drop everything a closed browser session held, in every store (wired to ``demo.unload``)."""
    key = session_key(request)
    with _PAGES_LOCK:
        _PAGES.pop(key, None)
    with _STORES_LOCK:
        stores = list(_STORES)
    for store in stores:
        store.free(key)


def on_sweep(forget: Callable[[float], int]) -> None:
    """Have :func:`sweep` call ``forget(IDLE_S)``: for what a tab keeps per session outside a store."""
    _SWEEPS.append(forget)


def trim_gradio_sessions(holder, now: datetime.datetime | None = None) -> int:
    """Forget Gradio's state (``holder``: ``demo.state_holder``) for sessions idle too long (see the module's
    docstring), then, past :data:`MAX_GRADIO_SESSIONS`, for the least recently used, page-less ones first.
    Returns how many were forgotten. A forgotten page that calls again starts from its components' defaults."""
    now = now or datetime.datetime.now()
    with holder.lock:
        last = dict(holder.time_last_used)
        order = list(holder.session_data)  # least recently used first
    pages = {k for k in order if is_page_session(k)}

    def idle(k: str) -> float:
        return (now - last[k]).total_seconds() if k in last else float("inf")

    gone = [k for k in order if idle(k) > (IDLE_S if k in pages else API_IDLE_S)]
    dropped = set(gone)
    left = [k for k in order if k not in dropped]
    extra = len(left) - MAX_GRADIO_SESSIONS
    if extra > 0:
        gone += ([k for k in left if k not in pages] + [k for k in left if k in pages])[:extra]
    for k in gone:
        holder.delete_state(k)  # runs gr.State's delete callbacks
        with holder.lock:
            holder.session_data.pop(k, None)
            holder.time_last_used.pop(k, None)
    return len(gone)


MALLCTL_ARENAS_ALL = 4096  # jemalloc's name for every arena in an "arena.<i>.purge" call


def _give_memory_back() -> None:
    """Collect, and hand freed heap pages back to the system now: jemalloc's (app.py preloads it where it is
    installed) purge of every arena, else glibc's ``malloc_trim`` (glibc keeps them otherwise)."""
    gc.collect()
    process = ctypes.CDLL(None)
    if hasattr(process, "mallctl"):
        process.mallctl(f"arena.{MALLCTL_ARENAS_ALL}.purge".encode(), None, None, None, 0)
    elif hasattr(process, "malloc_trim"):
        process.malloc_trim(0)


def sweep(holder) -> int:
    """One pass: the stores' idle objects and Gradio's idle or surplus sessions; memory handed back after."""
    with _STORES_LOCK:
        stores = list(_STORES)
    freed = sum(store.evict_idle() for store in stores) + trim_gradio_sessions(holder)
    freed += sum(forget(IDLE_S) for forget in list(_SWEEPS))
    if freed or _swept_before[0]:  # and once more after: what the freed objects held may be let go later
        _give_memory_back()
    _swept_before[0] = freed > 0
    return freed


_swept_before = [False]  # whether the last sweep freed anything


def keep_memory_bounded(demo, every: float = SWEEP_S) -> None:
    """While ``demo`` runs: a trim as soon as Gradio holds more than :data:`MAX_GRADIO_SESSIONS` sessions, and
    a full :func:`sweep` every ``min(API_IDLE_S, 10)`` seconds. Call from a background thread."""
    due, was_running = time.monotonic(), False
    while True:
        time.sleep(every)
        running = bool(getattr(demo, "is_running", False))
        if was_running and not running:  # demo.close()
            return
        was_running |= running
        holder = getattr(demo, "state_holder", None)
        if holder is None:
            continue
        if len(holder.session_data) > MAX_GRADIO_SESSIONS or time.monotonic() >= due:
            try:
                sweep(holder)
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.exception("session sweep failed")
            due = time.monotonic() + min(API_IDLE_S, 10.0)
