"""Per-session stores: the cap, who is evicted to make room, and who is never refused."""

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from playground.errors import SessionsFull
from playground.ui.sessions import (
    SessionStore,
    free_session,
    is_page_session,
    session_key,
)
from tests.ui.conftest import FakeClock


def test_one_object_per_session_and_a_store_full_of_pages_refuses_api_sessions(keys):
    freed = []
    store = SessionStore("test lab", max_sessions=2, on_free=freed.append)
    a, b = keys(2, page=True)
    (api,) = keys(1)
    obj = store.get_or_create(a, lambda: ["A"])
    assert store.get_or_create(a, lambda: ["other"]) is obj
    store.get_or_create(b, lambda: ["B"])
    with pytest.raises(SessionsFull, match="test lab is busy: 2 sessions"):
        store.get_or_create(api, lambda: ["C"])
    assert freed == [] and len(store) == 2
    store.free(a)
    assert freed == [["A"]]
    assert store.get_or_create(api, lambda: ["C"]) == ["C"]
    store.clear()
    assert len(store) == 0 and freed == [["A"], ["B"], ["C"]]


def test_api_sessions_without_a_page_are_evicted_least_recently_used_first(keys):
    """The repro at small scale: 31 page-less calls filled 32 slots; now they just take turns."""
    freed = []
    store = SessionStore("2-D GAN lab", max_sessions=3, on_free=freed.append)
    (page,) = keys(1, page=True)
    store.get_or_create(page, lambda: "student")
    api = keys(10)
    for k in api:
        assert store.get_or_create(k, lambda k=k: k) == k  # never "busy"
    assert freed == api[:8]  # the oldest page-less sessions went first, on_free ran for each
    assert page in store and api[8] in store and api[9] in store and len(store) == 3
    # a new page takes an API slot, never the student's
    (page2,) = keys(1, page=True)
    store.get_or_create(page2, lambda: "second student")
    assert freed[-1] == api[8] and page in store and page2 in store
    store.clear()


def test_use_refreshes_recency(keys):
    store = SessionStore("lab", max_sessions=2)
    a, b, c = keys(3)
    store.get_or_create(a, lambda: 1)
    store.get_or_create(b, lambda: 2)
    assert store.get(a) == 1  # a is now the most recently used
    store.get_or_create(c, lambda: 3)
    assert a in store and b not in store and c in store
    store.clear()


def test_a_page_takes_the_slot_of_a_page_unused_past_the_grace_period(keys):
    clock = FakeClock()
    freed = []
    store = SessionStore("lab", max_sessions=2, page_grace_seconds=300, clock=clock, on_free=freed.append)
    old, recent, newcomer = keys(3, page=True)
    (api,) = keys(1)
    store.get_or_create(old, lambda: "old")
    clock.now += 200
    store.get_or_create(recent, lambda: "recent")
    clock.now += 99  # old unused for 299 s: still protected
    with pytest.raises(SessionsFull):
        store.get_or_create(newcomer, lambda: "new")
    clock.now += 1  # 300 s
    with pytest.raises(SessionsFull):  # an API session never pushes a page out
        store.get_or_create(api, lambda: "api")
    assert store.get_or_create(newcomer, lambda: "new") == "new"
    assert freed == ["old"] and recent in store
    store.clear()


def test_set_respects_the_cap_with_the_same_policy(keys):
    """The custom-generator store: set() used to ignore the cap, so every API session kept a model."""
    freed = []
    store = SessionStore("custom generator", max_sessions=2, on_free=freed.append)
    api = keys(5)
    for k in api:
        store.set(k, f"model-{k}")
    assert len(store) == 2 and freed == [f"model-{k}" for k in api[:3]]
    store.set(api[4], "replacement")  # replacing one's own object frees the old one, takes no new slot
    assert freed[-1] == f"model-{api[4]}" and len(store) == 2
    pages = keys(2, page=True)
    for k in pages:
        store.set(k, k)
    with pytest.raises(SessionsFull):
        store.set(api[0], "refused")
    with pytest.raises(SessionsFull):
        store.make_room(api[0])  # checkable before anything large is built
    assert api[0] not in store and sorted(store._items) == sorted(pages)
    store.clear()


def test_idle_sessions_are_evicted_to_make_room(keys):
    clock = FakeClock()
    store = SessionStore("idle lab", max_sessions=1, idle_seconds=60, clock=clock)
    old, new = keys(2, page=True)
    store.get_or_create(old, lambda: 1)
    clock.now += 61
    assert store.get_or_create(new, lambda: 2) == 2
    assert old not in store
    clock.now += 61
    assert store.evict_idle() == 1 and len(store) == 0


def test_free_session_empties_every_store_and_forgets_the_page(keys):
    s1, s2 = SessionStore("one"), SessionStore("two")
    (k,) = keys(1, page=True)
    req = SimpleNamespace(session_hash=k)
    s1.get_or_create(session_key(req), lambda: 1)
    s2.get_or_create(session_key(req), lambda: 2)
    s2.get_or_create("other", lambda: 3)
    assert is_page_session(k)
    free_session(req)
    assert k not in s1 and k not in s2 and "other" in s2 and not is_page_session(k)
    s2.clear()


def test_session_key_outside_gradio():
    assert session_key(None) == "local"


@pytest.mark.browser
def test_a_browser_is_never_refused_because_of_api_sessions(app_url, browser, monkeypatch, tmp_path):
    """The repro at small scale, on the whole app: page-less API calls fill the Metrics tab's store; a
    real page still gets in (and sees its place in the queue meanwhile), and later API calls cannot
    push it out."""
    import httpx
    from gradio_client import Client, handle_file
    from PIL import Image

    from playground.ui import sessions
    from playground.ui.metrics import handlers as metrics_handlers
    from tests.conftest import click_tab, open_page
    from tests.metrics.test_ui import BlockingCompute

    store = metrics_handlers._sessions
    monkeypatch.setattr(store, "max_sessions", 2)
    blocker = BlockingCompute()
    monkeypatch.setattr(metrics_handlers, "compute_metrics", blocker)
    base = app_url.rstrip("/")

    def api_call():  # a new session that never opens a page, as POST /gradio_api/call/... does
        with httpx.Client(timeout=30) as http:
            event = http.post(f"{base}/gradio_api/call/metrics_compute",
                              json={"data": [None, None, "clean", ["fid"]]}).json()["event_id"]
            http.get(f"{base}/gradio_api/call/metrics_compute/{event}").read()

    pages_before = set(sessions._PAGES)
    for _ in range(3):
        api_call()
    assert len(store) == 2 and set(sessions._PAGES) == pages_before  # full, and no API call is a "page"
    img = tmp_path / "x.png"
    Image.new("RGB", (8, 8)).save(img)
    held = Client(app_url, verbose=False).submit(
        [handle_file(str(img))], [handle_file(str(img))], "clean", ["fid"], api_name="/metrics_compute"
    )
    try:
        assert blocker.started.wait(30)  # the only metrics worker is busy
        context, page, _ = open_page(browser, app_url)
        try:
            click_tab(page, "Metrics")
            page.get_by_role("button", name="Compute metrics").click()
            page.get_by_text("queue: 1/1").first.wait_for(timeout=30_000)  # its place in the queue, shown
            new_pages = set(sessions._PAGES) - pages_before
            assert len(new_pages) == 1  # demo.load marked this page's session
            (key,) = new_pages
            blocker.release.set()
            with pytest.raises(Exception, match="released"):
                held.result(timeout=30)
            page.get_by_text("Upload the generated images first").first.wait_for(timeout=30_000)
            assert page.get_by_text("is busy").count() == 0
            assert key in store  # the page got a slot, taken from an API session
            for _ in range(3):
                api_call()
            assert key in store  # and API calls cannot push it out
        finally:
            context.close()
    finally:
        blocker.release.set()


# ---- Gradio's own per-session state --------------------------------------------------------------------


@pytest.fixture
def holder():
    """Gradio's real StateHolder over a small Blocks, as a launched app has it."""
    import gradio as gr
    from gradio.state_holder import StateHolder

    with gr.Blocks() as demo:
        gr.Textbox()
        gr.State([])
    h = StateHolder()
    h.set_blocks(demo)
    return h


def _used(holder, key, minutes_ago, now):
    import datetime

    holder[key]  # noqa: B018 - what a call does: makes the session's state, marks it used
    holder.time_last_used[key] = now - datetime.timedelta(minutes=minutes_ago)


def test_gradio_state_of_page_less_sessions_goes_after_a_minute_and_of_pages_after_the_idle_time(holder, keys):
    import datetime

    from playground.ui import sessions

    now = datetime.datetime(2026, 12, 5, 12, 0)
    api_old, api_new = keys(2)
    page_old, page_new = keys(2, page=True)
    _used(holder, api_old, 2, now)  # a page-less call 2 minutes ago: its state goes
    _used(holder, api_new, 0.5, now)  # 30 s ago: kept (an API client calls again soon)
    _used(holder, page_old, sessions.IDLE_S / 60 + 1, now)  # a page unused past the idle time: goes
    _used(holder, page_new, 10, now)  # a page reading for 10 minutes: kept
    assert sessions.trim_gradio_sessions(holder, now) == 2
    assert set(holder.session_data) == {api_new, page_new} == set(holder.time_last_used)


def test_past_the_ceiling_the_least_recently_used_page_less_sessions_go_first(holder, keys, monkeypatch):
    import datetime

    from playground.ui import sessions

    monkeypatch.setattr(sessions, "MAX_GRADIO_SESSIONS", 3)
    now = datetime.datetime(2026, 12, 5, 12, 0)
    pages = keys(2, page=True)
    apis = keys(3)
    for i, k in enumerate([pages[0], apis[0], apis[1], pages[1], apis[2]]):  # least recently used first
        _used(holder, k, 0.5 - i * 0.01, now)
    assert sessions.trim_gradio_sessions(holder, now) == 2
    assert list(holder.session_data) == [pages[0], pages[1], apis[2]]  # the oldest page stays; two API ones went
    monkeypatch.setattr(sessions, "MAX_GRADIO_SESSIONS", 1)
    assert sessions.trim_gradio_sessions(holder, now) == 2
    assert list(holder.session_data) == [pages[1]]  # then the least recently used page


def test_a_sweep_frees_idle_objects_in_every_store_without_waiting_for_a_newcomer(holder, keys):
    from playground.ui import sessions

    clock, freed = FakeClock(), []
    store = SessionStore("test lab", max_sessions=8, idle_seconds=60, on_free=freed.append, clock=clock)
    a, b = keys(2, page=True)
    store.get_or_create(a, lambda: "A")
    clock.now += 50
    store.get_or_create(b, lambda: "B")
    clock.now += 20  # a idle 70 s, b 20 s
    sessions.sweep(holder)
    assert freed == ["A"] and b in store and a not in store
    store.clear()


# ---- memory handed back after a sweep ------------------------------------------------------------------

GIVE_BACK = """
from playground.ui.sessions import _give_memory_back

def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

junk = [bytes(200) for _ in range(1_000_000)]  # ~250 MB of small objects, as a flood of sessions leaves
full = rss_mb()
del junk
freed = rss_mb()
_give_memory_back()
print(full, freed, rss_mb())
"""


@pytest.mark.parametrize("allocator", ["glibc", "jemalloc"])
def test_a_sweep_hands_freed_memory_back_to_the_system(allocator):
    """The sweep's last step returns freed heap pages now, under either allocator app.py can run on (each told
    here never to return them on its own): ~250 MB of small objects freed leaves RSS as high until it runs, and
    within 60 MB of where it was before they were made once it has run."""
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    env.pop("LD_PRELOAD", None)
    if allocator == "jemalloc":
        jemalloc = ctypes.util.find_library("jemalloc")
        if not jemalloc:
            pytest.skip("libjemalloc2 is not installed (scripts/install-test-deps.sh installs it)")
        env.update(LD_PRELOAD=jemalloc, MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1")
    else:
        env.update(MALLOC_TRIM_THRESHOLD_=str(1 << 40))  # glibc: no trimming when memory is freed
    out = subprocess.run([sys.executable, "-c", GIVE_BACK], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    full, freed, after = map(float, out.stdout.split())
    assert freed > full - 30, (full, freed, after)  # freed but still held by the allocator
    assert after < full - 190, (full, freed, after)  # handed back by the sweep
