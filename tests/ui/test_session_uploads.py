"""Each session's uploads (playground.ui.session_uploads): a cap on their total, deleted when the session ends."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from playground.ui import session_uploads, sessions
from playground.ui.session_uploads import MB, Uploads
from tests.ui.conftest import FakeClock

# ---- the registry --------------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Gradio's upload folder, and a way to put a file there as its upload route does (``<hash>/<name>``)."""
    root = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(root))

    def upload(name: str, size: int) -> str:
        d = root / uuid.uuid4().hex
        d.mkdir(parents=True)
        (d / name).write_bytes(os.urandom(size))
        return str(d / name)

    return upload


def _blocks(kept=(), made=(), busy=()):
    """What the registry reads of Gradio's Blocks: components' kept and made files, the queue's events."""
    component = SimpleNamespace(keep_in_cache=set(kept), temp_files=set(made))
    events = {i: SimpleNamespace(session_hash=s) for i, s in enumerate(busy)}
    return SimpleNamespace(blocks={1: component}, _queue=SimpleNamespace(event_ids_to_events=events),
                           state_holder=SimpleNamespace(time_last_used={}))


def test_a_file_goes_with_the_last_session_that_holds_it(folder, keys):
    reg = Uploads(FakeClock())
    a, b = keys(2, page=True)
    only_a, shared = folder("a.png", 1000), folder("s.png", 1000)
    reg.uploaded([only_a, shared], _blocks())
    assert reg.claim(a, [only_a, shared]) is None and reg.claim(b, [shared]) is None
    assert reg.end(a) == 1
    assert not os.path.exists(only_a) and not os.path.exists(os.path.dirname(only_a))  # its folder too
    assert os.path.exists(shared)  # b still holds it
    assert reg.end(b) == 1 and not os.path.exists(shared)


def test_a_session_may_keep_a_bounded_total(folder, keys, monkeypatch):
    monkeypatch.setattr(session_uploads, "MAX_SESSION_BYTES", 3 * MB)
    reg = Uploads(FakeClock())
    a, b = keys(2)
    f1, f2, f3 = folder("1.png", 2 * MB), folder("2.png", 2 * MB), folder("3.png", MB // 2)
    reg.uploaded([f1, f2, f3])
    assert reg.claim(a, [f1]) is None
    why = reg.claim(a, [f1, f2])
    assert why == ("This would bring this session's uploads to 4.0 MB; one session may keep at most 3.0 MB on the "
                   "server. Reload the page to start again: what it uploaded is deleted then.")
    assert reg.held_bytes(a) == 2 * MB  # the refused file is not the session's
    assert reg.claim(a, [f1, f3]) is None and reg.claim(a, [f1]) is None  # under the cap; naming a file again is free
    assert reg.claim(b, [f2]) is None  # another session has a cap of its own


def test_the_sweep_ends_idle_sessions_but_not_busy_ones_or_pages_and_deletes_what_nobody_named(folder, keys):
    clock = FakeClock()
    reg = Uploads(clock)
    idle, busy = keys(2)
    (page,) = keys(1, page=True)
    files = {k: folder(f"{k}.png", 100) for k in (idle, busy, page)}
    orphan, fresh = folder("orphan.png", 100), folder("fresh.png", 100)
    reg.uploaded([*files.values(), orphan])
    for k, f in files.items():
        reg.claim(k, [f])
    clock.now += sessions.API_IDLE_S + 1
    assert reg.sweep(_blocks(busy=[busy])) == 1
    assert not os.path.exists(files[idle])
    assert all(os.path.exists(p) for p in (files[busy], files[page], orphan))
    clock.now += session_uploads.ORPHAN_S - sessions.API_IDLE_S
    reg.uploaded([fresh])  # uploaded just now, not yet named by an event
    reg.sweep(_blocks(busy=[busy]))
    assert not os.path.exists(orphan)  # nobody named it in time
    assert all(os.path.exists(p) for p in (files[busy], files[page], fresh))
    clock.now += sessions.IDLE_S + session_uploads.ORPHAN_S
    assert reg.sweep(_blocks()) == 2  # the busy one finished; the page was left unused past the idle time
    assert not any(os.path.exists(p) for p in (*files.values(), fresh))


def test_the_apps_own_files_are_never_deleted(folder, keys):
    (a,) = keys(1)
    example, output, upload = folder("example.png", 100), folder("image.webp", 100), folder("mine.png", 100)
    blocks = _blocks(kept=[example], made=[output])
    reg = Uploads(FakeClock())
    reg.uploaded([example, output, upload], blocks)  # the same bytes under the same name land on the app's path
    reg.claim(a, [example, output, upload])
    assert reg.end(a) == 1
    assert os.path.exists(example) and os.path.exists(output) and not os.path.exists(upload)
    # a file deleted here stays in Gradio's lists; uploaded again it is still an upload, not one of the app's
    Path(upload).parent.mkdir()
    Path(upload).write_bytes(b"again")
    reg.uploaded([upload], _blocks(made=[upload]))
    reg.claim(a, [upload])
    assert reg.end(a) == 1 and not os.path.exists(upload)


# ---- the real app over HTTP ----------------------------------------------------------------------------


def _upload(base: str, name: str, data: bytes) -> str:
    r = httpx.post(f"{base}/gradio_api/upload", files=[("files", (name, data, "application/octet-stream"))],
                   timeout=60)
    assert r.status_code == 200, r.text
    (path,) = r.json()
    return path


def _use(base: str, session: str | None, path: str) -> httpx.Response:
    """Name an uploaded file in an event of ``session`` (DCGAN's "your own generator": a quick refusal); the
    response keeps the event's stream as ``.events``."""
    body = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
    if session:
        body["session_hash"] = session
    r = httpx.post(f"{base}/gradio_api/call/dcgan_load_generator", json=body, timeout=60)
    if r.status_code == 200:
        r.events = httpx.get(f"{base}/gradio_api/call/dcgan_load_generator/{r.json()['event_id']}", timeout=60).text
    return r


def _wait_gone(path: str, seconds: float = 40) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not os.path.exists(path):
            return True
        time.sleep(0.25)
    return False


def test_the_real_app_deletes_a_sessions_uploads_when_it_ends_and_keeps_what_others_use(app_url, keys, monkeypatch):
    """A page-less session's files go when the sweeper forgets it, a page's when its heartbeat closes (the
    unload); a file both named stays until both ended; an example of the app's stays."""
    base = app_url.rstrip("/")
    api, page = f"api-{uuid.uuid4().hex[:8]}", keys(1, page=True)[0]
    token = uuid.uuid4().hex.encode()
    api_file = _upload(base, "api.pth", b"api " + token)
    page_file = _upload(base, "page.pth", b"page " + token)
    shared = _upload(base, "shared.pth", b"shared " + token)
    # an example picture of the app's, in the same folder as the uploads: a page names it as it names an upload
    blocks = session_uploads.UPLOADS._blocks
    example = next(p for b in blocks.blocks.values() for p in getattr(b, "keep_in_cache", ()) if os.path.isfile(p))
    for session, path in [(api, api_file), (api, shared), (api, example), (page, page_file), (page, shared)]:
        assert _use(base, session, path).status_code == 200
    held = [api_file, page_file, shared, example]
    assert all(os.path.isfile(p) for p in held)

    with httpx.stream("GET", f"{base}/gradio_api/heartbeat/{page}", timeout=30) as beat:  # the page is open
        lines = beat.iter_lines()  # kept: a generator dropped half-read closes the connection
        assert next(lines) == "data: ALIVE"
        monkeypatch.setattr(sessions, "API_IDLE_S", 1.0)  # the sweeper forgets page-less sessions after 1 s
        assert _wait_gone(api_file)
        again = _use(base, api, api_file).events  # named again: a sentence, without the server's folders
        assert "'api.pth' is no longer on the server" in again and os.path.dirname(api_file) not in again
        assert [os.path.isfile(p) for p in (page_file, shared, example)] == [True] * 3  # the page still uses these
        monkeypatch.setattr(sessions, "API_IDLE_S", 600.0)  # from here on only the unload can delete them
    assert _wait_gone(page_file, 30) and _wait_gone(shared, 1)  # the page closed: its unload
    assert os.path.isfile(example)


def test_the_real_app_refuses_an_event_that_takes_a_session_past_its_cap(app_url, monkeypatch):
    monkeypatch.setattr(session_uploads, "MAX_SESSION_BYTES", 3 * MB)
    base = app_url.rstrip("/")
    session = f"api-{uuid.uuid4().hex[:8]}"
    first = _upload(base, "one.pth", os.urandom(2 * MB))
    second = _upload(base, "two.pth", os.urandom(2 * MB))
    assert _use(base, session, first).status_code == 200
    r = _use(base, session, second)
    assert r.status_code == 413
    assert r.json()["detail"].startswith("This would bring this session's uploads to 4.0 MB; one session may keep "
                                         "at most 3.0 MB on the server.")
    own = _use(base, None, second)  # a call without a session is one of its own, named by its event (as Gradio does)
    assert own.status_code == 200 and session_uploads.UPLOADS.held_bytes(own.json()["event_id"]) == 2 * MB
    session_uploads.UPLOADS.end(session)
    assert not os.path.exists(first)
