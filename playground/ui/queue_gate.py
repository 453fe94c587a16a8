"""The door of Gradio's queue: who may wait in it, and for how many places.

Gradio's own queue has one bound for the whole app (``max_size``): when page-less API sessions fill it
with slow events (a few hundred DCGAN inversions), every page in the class is told "This application is
currently busy" on Play. So the app bounds Gradio's queue only at :data:`MAX_PLACES` (never reached
first), and this ASGI middleware admits each
``POST /gradio_api/queue/join`` (and ``POST /gradio_api/call/<name>``) by who sends it:

- **a page** (a session whose page announced itself, :func:`playground.ui.sessions.is_page_session`) holds at
  most :data:`PER_PAGE` places per event; all pages from one address hold at most :data:`PER_ADDRESS`;
- **page-less clients** (``gradio_client``, scripts, floods) hold at most :data:`API_PER_ADDRESS` places per
  event from one address, and at most :data:`API_PER_GROUP` together in one concurrency group and
  :data:`API_TOTAL` in the whole app: the places pages need are never theirs;
- and nobody makes the queue hold more than :data:`MAX_PLACES`.

Each event waits in its own concurrency group (heavy events have a ``concurrency_limit`` and an id of their
own), and Gradio takes work from every group, so a flood of inversions never delays Play or a DCGAN click.

A place is held from its join until the event's ``process_completed`` message passes through the session's
stream (``GET /gradio_api/queue/data``), until that stream ends (Gradio then drops the session's waiting
events), or for at most :data:`PLACE_SECONDS` when nobody listens. A refused join gets HTTP 429 and one
sentence, which the page shows as its error. The address is the peer's as uvicorn reports it (the same one
``gr.Request.client`` gives the handlers); behind a proxy, set ``FORWARDED_ALLOW_IPS`` so it is the visitor's.

The gate also remembers when each session's stream ended (:data:`LISTENERS`): a running handler that checks
:func:`client_left` between batches stops when nobody listens any more. Gradio stops a generator then, but has
no public way to tell a plain function, and ``gr.Request.session_hash`` is all a handler needs here (a
``/call/<name>`` event without a session of its own is its own session, named by its event id).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from playground.ui.sessions import is_page_session

PER_PAGE = 3  # places one page session may hold per event (a page rarely has more than one waiting)
PER_ADDRESS = 240  # places all the pages behind one address may hold (a class behind one NAT)
API_PER_ADDRESS = 4  # places the page-less sessions of one address may hold per event (as many as its 2-D runs)
API_PER_GROUP = 8  # places all page-less sessions may hold in one concurrency group
API_TOTAL = 16  # places all page-less sessions may hold in the app (Gradio runs at most 40 events at once)
MAX_PLACES = 1000  # places in the whole queue: what it may cost in memory
PLACE_SECONDS = 15 * 60  # a place nobody listens for is given back after this
MAX_JOIN_BYTES = 4 * 1024 * 1024  # a join's body names its inputs (files are uploaded apart)


class Listeners:
    """When each session's stream last ended (by session hash). Thread-safe; remembers the newest
    :data:`MAX_PLACES` x 10 sessions; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._ended: OrderedDict[str, float] = OrderedDict()
        self._calls: OrderedDict[str, str] = OrderedDict()  # a /call event's id -> the session it was given
        self._lock = threading.Lock()

    def ended(self, session: str) -> None:
        with self._lock:
            self._ended[session] = self.clock()
            self._ended.move_to_end(session)
            while len(self._ended) > 10 * MAX_PLACES:
                self._ended.popitem(last=False)

    def call_joined(self, event_id: str, session: str) -> None:
        with self._lock:
            self._calls[event_id] = session
            while len(self._calls) > 10 * MAX_PLACES:
                self._calls.popitem(last=False)

    def call_ended(self, event_id: str) -> None:
        with self._lock:
            session = self._calls.pop(event_id, None)
        if session is not None:
            self.ended(session)

    def left_since(self, session: str | None, since: float) -> bool:
        """True when ``session``'s stream ended at or after ``since`` (a ``clock()`` time)."""
        with self._lock:
            return session is not None and self._ended.get(session, -1.0) >= since


LISTENERS = Listeners()


def client_left(session: str | None, since: float) -> bool:
    """True once the client of ``session`` stopped listening after ``since`` (``time.monotonic()`` when the handler
    started): its page closed or its API client disconnected, so Gradio drops what it waits for. Always False
    in an app launched without the gate (``ui/app.launch_kwargs`` installs it)."""
    return LISTENERS.left_since(session, since)


@dataclass
class Place:
    session: str
    address: str
    event: str  # the event's name (its fn index)
    group: str  # its concurrency group
    page: bool
    since: float


class Places:
    """The places held in the queue, by event id. Thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._held: dict[str, Place] = {}
        self._done: OrderedDict[str, None] = OrderedDict()  # events that completed before their join returned
        self._lock = threading.Lock()

    def admit(self, ticket: str, place: Place, label: str) -> str | None:
        """Hold a place under ``ticket`` (atomically, so that a burst of joins cannot all pass one check), or
        say in one sentence for the page why the join must wait."""
        with self._lock:
            self._expire()
            why = self._refusal(place, label)
            if why is None:
                self._held[ticket] = place
            return why

    def _refusal(self, new: Place, label: str) -> str | None:
        held = list(self._held.values())
        if len(held) >= MAX_PLACES:
            return f"The app is busy: {len(held)} requests are waiting. Try again in a minute."
        if new.page:
            if sum(p.session == new.session and p.event == new.event for p in held) >= PER_PAGE:
                return f"This page already has {PER_PAGE} requests waiting for {label}; wait for them to finish."
            if sum(p.page and p.address == new.address for p in held) >= PER_ADDRESS:
                return (f"{PER_ADDRESS} requests from your address are waiting already; "
                        "try again when they finish.")
            return None
        api = [p for p in held if not p.page]
        if sum(p.address == new.address and p.event == new.event for p in api) >= API_PER_ADDRESS:
            return (f"Page-less clients from your address may have {API_PER_ADDRESS} requests waiting for {label}, "
                    "and they have; wait for one to finish, or use the page.")
        if sum(p.group == new.group for p in api) >= API_PER_GROUP or len(api) >= API_TOTAL:
            return (f"Page-less clients share a few places in the queue for {label}, and all are taken "
                    "(the rest are kept for the class's pages). Try again in a minute, or use the page.")
        return None

    def rename(self, ticket: str, event_id: str) -> None:
        """The join was queued as ``event_id``: its place is known by that name from now on."""
        with self._lock:
            place = self._held.pop(ticket, None)
            if place is not None and event_id not in self._done:
                self._held[event_id] = place
            self._done.pop(event_id, None)

    def give_back(self, event_id: str) -> None:
        with self._lock:
            if self._held.pop(event_id, None) is None and not event_id.startswith("join:"):
                self._done[event_id] = None  # its join may not have returned yet
                while len(self._done) > 4 * MAX_PLACES:
                    self._done.popitem(last=False)

    def give_back_session(self, session: str) -> None:
        with self._lock:
            for event_id in [e for e, p in self._held.items() if p.session == session]:
                del self._held[event_id]

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._held)

    def _expire(self) -> None:
        cut = self.clock() - PLACE_SECONDS
        for event_id in [e for e, p in self._held.items() if p.since < cut]:
            del self._held[event_id]


class QueueGate:
    """ASGI middleware: admits queue joins by :class:`Places` and gives places back as events complete.

    ``scope["app"]`` is Gradio's FastAPI app; its ``get_blocks()`` names each event's group and label."""

    def __init__(self, app, places: Places | None = None, listeners: Listeners | None = None) -> None:
        self.app = app
        self.places = places if places is not None else Places()
        self.listeners = listeners if listeners is not None else LISTENERS

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if "/gradio_api/" not in path:
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method == "POST" and path.endswith("/gradio_api/queue/join"):
            return await self._join(scope, receive, send, api_name=None)
        if method == "POST" and "/gradio_api/call/" in path:
            return await self._join(scope, receive, send, api_name=path.rsplit("/", 1)[-1])
        if method == "GET" and path.endswith("/gradio_api/queue/data"):
            session = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash", [""])[0]
            return await self._watch(scope, receive, send, session=session, event_id=None)
        if method == "GET" and "/gradio_api/call/" in path:
            return await self._watch(scope, receive, send, session=None, event_id=path.rsplit("/", 1)[-1])
        return await self.app(scope, receive, send)

    # ---- joins ------------------------------------------------------------------------------------------

    async def _join(self, scope, receive, send, api_name: str | None) -> None:
        body = await _read_body(receive, MAX_JOIN_BYTES)
        if body is None:
            return await answer(send, 413, "This request is too large for the queue.")
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = None
        event = _event(scope, doc, api_name)
        if event is None:  # not ours to judge: Gradio answers malformed joins itself
            return await self.app(scope, replay(body, receive), send)
        fn_key, group, label = event
        session = str(doc.get("session_hash") or "")
        address = client_address(scope)
        ticket = f"join:{uuid.uuid4().hex}"
        page = api_name is None and is_page_session(session)  # a /call join is page-less, whatever it names
        place = Place(session or ticket, address, fn_key, group, page, self.places.clock())
        why = self.places.admit(ticket, place, label)
        if why is not None:
            return await answer(send, 429, why)
        seen = _Answer(send)
        try:
            await self.app(scope, replay(body, receive), seen)
        finally:
            event_id = seen.event_id()
            if event_id:
                self.places.rename(ticket, event_id)
                if api_name is not None:  # a /call event's session is its event id, unless it named one
                    self.listeners.call_joined(event_id, session or event_id)
            else:  # refused by Gradio (bad input) or failed: no place is held
                self.places.give_back(ticket)

    # ---- streams ----------------------------------------------------------------------------------------

    async def _watch(self, scope, receive, send, session: str | None, event_id: str | None) -> None:
        """Pass a session's (or one call's) stream through, giving places back as their events complete."""
        places = self.places

        async def watching(message) -> None:
            if message["type"] == "http.response.body" and b"process_completed" in message.get("body", b""):
                for done in _completed(message["body"]):
                    places.give_back(done)
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:  # the stream ended: its events completed, or Gradio dropped the ones still waiting
            if event_id:
                places.give_back(event_id)
                self.listeners.call_ended(event_id)
            elif session:
                places.give_back_session(session)
                self.listeners.ended(session)


def _event(scope, doc, api_name: str | None) -> tuple[str, str, str] | None:
    """(event key, concurrency group, label) of the event a join names, or None."""
    app = scope.get("app")
    if not isinstance(doc, dict) or app is None or not hasattr(app, "get_blocks"):
        return None
    fns = app.get_blocks().fns
    if api_name is None:
        key = doc.get("fn_index")
    else:
        key = next((k for k, f in fns.items() if f.api_name == api_name), None)
    fn = fns.get(key) if isinstance(key, int) else None
    if fn is None:
        return None
    label = f"'{fn.api_name}'" if isinstance(fn.api_name, str) and fn.api_name else "this action"
    return str(key), str(fn.concurrency_id), label


def _completed(body: bytes) -> list[str]:
    """The event ids that a chunk of a server-sent-event stream reports complete."""
    done = []
    for line in body.split(b"\n"):
        if line.startswith(b"data:") and b"process_completed" in line:
            try:
                msg = json.loads(line[5:])
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("msg") == "process_completed" and msg.get("event_id"):
                done.append(str(msg["event_id"]))
    return done


async def _read_body(receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive, more: bool = False):
    """``receive`` with the already read ``body`` given first (and the rest, when ``more`` is coming, read on as it
    arrives): a middleware that read a request's body hands the app a request that still has it."""
    sent = False

    async def again():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return again


def client_address(scope) -> str:
    """The peer's address as uvicorn reports it (what ``gr.Request.client`` gives the handlers)."""
    return (scope.get("client") or ("unknown", 0))[0]


async def answer(send, status: int, detail: str, close: bool = False) -> None:
    """A refusal: HTTP ``status`` with the sentence Gradio's page shows as the error (``detail`` for queued events
    and API clients, ``error`` for the page's unqueued ones); ``close`` when the request's body was not read."""
    payload = json.dumps({"detail": detail, "error": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"connection", b"close")] if close else [])})
    await send({"type": "http.response.body", "body": payload})


class _Answer:
    """Passes a response through, keeping its status and (small) body to read the event id from."""

    def __init__(self, send) -> None:
        self.send, self.status, self.body = send, 0, b""

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and len(self.body) < 65536:
            self.body += message.get("body", b"")
        await self.send(message)

    def event_id(self) -> str | None:
        if self.status != 200:
            return None
        try:
            doc = json.loads(self.body)
        except ValueError:
            return None
        return str(doc["event_id"]) if isinstance(doc, dict) and doc.get("event_id") else None
