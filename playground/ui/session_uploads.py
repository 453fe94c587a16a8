"""Each session's uploads: a cap on their total, and deletion when the session ends.

Gradio's upload route (``POST /gradio_api/upload``) does not say who uploads: the page and ``gradio_client`` send
the files first and name them later, by their path in Gradio's upload folder, in the event that uses them, and
that event carries the session. So this ASGI middleware

- records every file the upload route answers with (nobody's yet);
- gives a file to a session when an event of that session names it (``queue/join``, ``call/<name>``,
  ``run/<name>``). A page names its uploads at once: :func:`wire_claims` gives every upload component of the
  page an ``upload`` event of its own that does nothing else;
- refuses such an event (HTTP 413 and one sentence, which the page shows) when it would take its session's
  files past :data:`MAX_SESSION_BYTES`;
- deletes a session's files when it ends: a page when it unloads (:meth:`Uploads.end`, from ``demo.unload``),
  a session without a page once it has been idle for ``sessions.API_IDLE_S`` with nothing queued or running,
  a page idle for ``sessions.IDLE_S`` (:meth:`Uploads.sweep`, from the session sweeper); a file another session
  still holds stays, and so does one the app itself had (an example, a default, an output) before anyone
  uploaded the same bytes under the same name (Gradio keeps both at one path);
- deletes an upload that no event named within :data:`ORPHAN_S`.

Gradio's own ``delete_cache`` (``ui/app.py``) stays the backstop: nothing uploaded outlives its hour.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from playground.ui import sessions
from playground.ui.queue_gate import MAX_JOIN_BYTES, answer, replay

log = logging.getLogger("playground.ui")

MB = 1024 * 1024
# What one session may keep uploaded: four metrics sets at the request cap (upload_gate.MAX_REQUEST_BYTES,
# 250 MB), two full metrics runs; a class's real sets (hundreds of pictures, tens of MB) stay far below it.
MAX_SESSION_BYTES = 1024 * MB
# An upload that no event names within this is deleted. A page names its own within a second, but gradio_client
# sends a call's files one request each before the call: 1,000 pictures over a slow link take minutes.
ORPHAN_S = 15 * 60.0
MAX_GONE = 10_000  # deleted paths remembered (module docstring: an upload of them again is not the app's)

_EVENT_PATH = re.compile(r"/gradio_api/(queue/join|call/|run/|api/)")


@dataclass
class _File:
    path: str  # as Gradio wrote it
    since: float  # when it was last uploaded
    app_file: bool  # the app had this path before it was uploaded: never deleted here
    size: int = 0
    holders: set[str] = field(default_factory=set)


@dataclass
class _Session:
    files: set[str] = field(default_factory=set)
    seen: float = 0.0


class Uploads:
    """Which session holds which uploaded file; thread-safe, ``clock`` injectable for tests. Nothing outside
    Gradio's upload folder is ever deleted."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._files: dict[str, _File] = {}  # by real path
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._blocks = None  # Gradio's Blocks: what its components keep and made
        # Paths deleted here: Gradio's components still list them (an event that named a file added it to its
        # component's files, and Gradio's lists are left alone: its hourly cleanup walks them from a thread), so
        # the same bytes uploaded again under the same name are an upload, not a file of the app's.
        self._gone: OrderedDict[str, None] = OrderedDict()

    def uploaded(self, paths: list[str], blocks=None) -> None:
        """The upload route wrote ``paths``."""
        if blocks is not None:
            self._blocks = blocks
        now = self.clock()
        with self._lock:
            app: set[str] | None = None
            for path in paths:
                key = os.path.realpath(path)
                f = self._files.get(key)
                if f is None:
                    again = key in self._gone  # deleted here before: an upload, whatever Gradio lists
                    self._gone.pop(key, None)
                    if app is None and not again:
                        app = _app_files(self._blocks, made=True)
                    self._files[key] = _File(path, now, not again and path in app)
                else:
                    f.since = now

    def claim(self, session: str, paths: list[str]) -> str | None:
        """``session`` uses ``paths`` (only the recorded uploads among them count): None, or why it may not."""
        now = self.clock()
        with self._lock:
            held = self._sessions.get(session)
            mine = set(held.files) if held else set()
            new = {os.path.realpath(p) for p in paths} & self._files.keys()
            for key in new - mine:
                try:
                    self._files[key].size = os.stat(key).st_size
                except OSError:  # gone already (deleted, or Gradio still moving it): counts as nothing
                    pass
            total = sum(self._files[k].size for k in (mine | new) if k in self._files)
            if total > MAX_SESSION_BYTES and new - mine:
                return (f"This would bring this session's uploads to {_mb(total)}; one session may keep at most "
                        f"{_mb(MAX_SESSION_BYTES)} on the server. Reload the page to start again: what it "
                        "uploaded is deleted then.")
            if new or held:
                held = self._sessions.setdefault(session, _Session())
                held.seen = now
                held.files |= new
                for key in new:
                    self._files[key].holders.add(session)
        return None

    def rename(self, old: str, new: str) -> None:
        """The files ``old`` (a request's own key) holds belong to session ``new`` from now on."""
        with self._lock:
            held = self._sessions.pop(old, None)
            if held is None:
                return
            for key in held.files:
                f = self._files.get(key)
                if f is not None:
                    f.holders.discard(old)
                    f.holders.add(new)
            into = self._sessions.setdefault(new, _Session())
            into.files |= held.files
            into.seen = max(into.seen, held.seen)

    def end(self, session: str, delete: bool = True) -> int:
        """``session`` ended: delete the files nobody else holds (or, ``delete=False``, only let them go);
        returns how many were deleted."""
        with self._lock:
            return self._end(session, delete)

    def held_bytes(self, session: str) -> int:
        with self._lock:
            held = self._sessions.get(session)
            return sum(self._files[k].size for k in (held.files if held else ()) if k in self._files)

    def sweep(self, blocks) -> int:
        """End the sessions that are over (module docstring) and delete the uploads nobody named in time;
        returns how many sessions ended."""
        now, wall = self.clock(), datetime.datetime.now()
        busy = _busy_sessions(blocks)
        holder = getattr(blocks, "state_holder", None)
        used = dict(getattr(holder, "time_last_used", {}) or {})
        ended = 0
        with self._lock:
            kept = _app_files(self._blocks, made=False)
            for session, held in list(self._sessions.items()):
                idle = now - held.seen
                if session in used:
                    idle = min(idle, (wall - used[session]).total_seconds())
                limit = sessions.IDLE_S if sessions.is_page_session(session) else sessions.API_IDLE_S
                if session not in busy and idle > limit:
                    self._end(session, delete=True, kept=kept)
                    ended += 1
            for key, f in list(self._files.items()):
                if not f.holders and now - f.since > ORPHAN_S:
                    self._delete(key, kept)
        return ended

    def __contains__(self, path: str) -> bool:
        with self._lock:
            return os.path.realpath(path) in self._files

    # ---- internals (the lock held) -------------------------------------------------------------------

    def _end(self, session: str, delete: bool, kept: set[str] | None = None) -> int:
        held = self._sessions.pop(session, None)
        deleted = 0
        if held and delete and kept is None:
            kept = _app_files(self._blocks, made=False)
        for key in held.files if held else ():
            f = self._files.get(key)
            if f is None:
                continue
            f.holders.discard(session)
            if not f.holders:
                if delete:
                    deleted += self._delete(key, kept)
                else:
                    f.since = self.clock()  # an orphan now: deleted if nobody names it soon
        return deleted

    def _delete(self, key: str, kept: set[str]) -> int:
        f = self._files.pop(key)
        if f.app_file or f.path in kept or not _inside(key, _upload_root()):
            return 0
        try:
            os.remove(key)
        except OSError:
            return 0
        self._gone[key] = None
        while len(self._gone) > MAX_GONE:
            self._gone.popitem(last=False)
        try:
            os.rmdir(os.path.dirname(key))  # Gradio's folder for these bytes, when nothing else is in it
        except OSError:
            pass
        return 1


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= 10 * MB else f"{n / MB:.1f} MB"


def _upload_root() -> str:
    from gradio.utils import get_upload_folder

    return os.path.realpath(get_upload_folder())


def _inside(path: str, root: str) -> bool:
    return path.startswith(root + os.sep)


def _app_files(blocks, made: bool) -> set[str]:
    """The files the app's components keep as examples and defaults (``keep_in_cache``), and with ``made`` those
    they made or served (``temp_files``)."""
    out: set[str] = set()
    for block in list(blocks.blocks.values()) if blocks is not None else ():
        out.update(getattr(block, "keep_in_cache", ()))
        if made:
            out.update(getattr(block, "temp_files", ()))
    return out


def _busy_sessions(blocks) -> set[str]:
    """The sessions with an event queued or running."""
    queue = getattr(blocks, "_queue", None)
    events = list(getattr(queue, "event_ids_to_events", {}).values())
    return {e.session_hash for e in events}


def _paths(data) -> list[str]:
    """The ``path`` of every file payload (``{"path": ...}``) inside an event's data."""
    out, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("path"), str):
                out.append(item["path"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


UPLOADS = Uploads()  # the app's one registry (the middleware's, the unload's and the sweeper's)


class SessionUploads:
    """ASGI middleware: records the upload route's files and gives them to the sessions whose events name
    them (module docstring)."""

    def __init__(self, app, uploads: Uploads | None = None) -> None:
        self.app = app
        self.uploads = uploads if uploads is not None else UPLOADS

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope.get("method") != "POST" or "/gradio_api/" not in path:
            return await self.app(scope, receive, send)
        if path.endswith("/gradio_api/upload"):
            return await self._upload(scope, receive, send)
        if _EVENT_PATH.search(path):
            return await self._event(scope, receive, send, call="/gradio_api/call/" in path)
        return await self.app(scope, receive, send)

    async def _upload(self, scope, receive, send) -> None:
        seen = _Seen(send)
        await self.app(scope, receive, seen)
        paths = seen.json()
        if seen.status == 200 and isinstance(paths, list):
            blocks = scope["app"].get_blocks() if hasattr(scope.get("app"), "get_blocks") else None
            self.uploads.uploaded([p for p in paths if isinstance(p, str)], blocks)

    async def _event(self, scope, receive, send, call: bool) -> None:
        body, whole = await _read(receive, MAX_JOIN_BYTES)
        again = replay(body, receive, more=not whole)
        # a body that names no file passes; so does a larger one, unread: what it names stays nobody's (deleted as such)
        if not whole or b'"path"' not in body:
            return await self.app(scope, again, send)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return await self.app(scope, again, send)
        session = doc.get("session_hash")
        own = not (isinstance(session, str) and session)  # no session named: the request is one of its own
        key = f"request:{uuid.uuid4().hex}" if own else session
        why = self.uploads.claim(key, _paths(doc.get("data")))
        if why is not None:
            return await answer(send, 413, why)
        seen = _Seen(send)
        try:
            await self.app(scope, again, seen)
        finally:
            if own:
                event = seen.json() if call and seen.status == 200 else None
                if isinstance(event, dict) and event.get("event_id"):
                    self.uploads.rename(key, str(event["event_id"]))  # Gradio names such a session by its event
                else:
                    self.uploads.end(key, delete=seen.status == 200)  # answered: that request was the session


class _Seen:
    """Passes a response through, keeping its status and (small) body."""

    def __init__(self, send) -> None:
        self.send, self.status, self.body = send, 0, b""

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and len(self.body) < MAX_JOIN_BYTES:
            self.body += message.get("body", b"")
        await self.send(message)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def _read(receive, limit: int) -> tuple[bytes, bool]:
    """A request's body up to ``limit`` bytes, and whether that was all of it."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), True
        if size > limit:
            return b"".join(chunks), False


# ---- the page's side -----------------------------------------------------------------------------------


def claim_uploads(_files) -> None:
    """Does nothing: the request that runs it names the page's new upload (see :class:`SessionUploads`)."""


def wire_claims(demo) -> int:
    """Give each upload component that some event reads an ``upload`` event naming its files at once (unless one
    it has does already); returns how many were wired. Call inside ``with demo:``."""
    ids = {id(block): key for key, block in demo.blocks.items()}  # demo.blocks is keyed by the components' ids
    read = {ids.get(id(block)) for fn in demo.fns.values() for block in fn.inputs}
    claimed = {ids.get(id(block)) for fn in demo.fns.values() for block in fn.inputs
               if (ids.get(id(block)), "upload") in {tuple(t) for t in fn.targets}}
    n = 0
    for key, block in list(demo.blocks.items()):
        events = {getattr(e, "event_name", e) for e in getattr(block, "EVENTS", [])}
        if ("upload" in events and key in read and key not in claimed
                and getattr(block, "interactive", None) is not False):
            # queued: the page shows a refused join's sentence (an unqueued event's refusal it does not show);
            # always_last: an upload that arrives while the last one is being named is named after it
            block.upload(claim_uploads, block, None, preprocess=False, api_visibility="private",
                         show_progress="hidden", concurrency_limit=None, concurrency_id="claim_uploads",
                         trigger_mode="always_last")
            n += 1
    return n


def sweeper(demo) -> Callable[[float], int]:
    """The hook for ``sessions.on_sweep``: :meth:`Uploads.sweep` on ``demo`` while it runs."""
    ref = weakref.ref(demo)

    def forget(_idle: float) -> int:
        d = ref()
        if d is None or not getattr(d, "is_running", False):
            return 0
        return UPLOADS.sweep(d)

    return forget
