"""The queue's door (playground.ui.queue_gate): page-less floods cannot lock a class out of the queue.

The report this answers: 300 page-less ``queue/join`` for a DCGAN inversion filled Gradio's single bound
(``max_size=64``), and a page opened meanwhile was told "This application is currently busy" on Play and on
DCGAN Compute. ``benchmarks/flood.py`` times the page during such a flood; these tests pin the mechanism.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid

import httpx

from playground.ui import queue_gate
from playground.ui.queue_gate import Place, Places
from tests.ui.conftest import FakeClock, run_async


def _place(places, session, address="10.0.0.1", event="7", group="invert", page=False):
    return Place(session, address, event, group, page, places.clock())


def _admit(places, session, **kw) -> str | None:
    ticket = f"join:{uuid.uuid4().hex}"
    why = places.admit(ticket, _place(places, session, **kw), "'dcgan_invert'")
    if why is None:
        places.rename(ticket, f"ev-{uuid.uuid4().hex}")
    return why


def test_a_burst_of_page_less_joins_from_one_address_gets_its_few_places_and_no_more():
    """300 joins at the same moment, each a fresh session (as the report's flood): the check and the taking
    of a place are one step, so exactly API_PER_ADDRESS pass, not every join that was checked before the
    first was counted."""
    places, answers, go = Places(), [], threading.Barrier(300)

    def join():
        go.wait()
        answers.append(_admit(places, secrets.token_hex(6)))

    threads = [threading.Thread(target=join) for _ in range(300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers.count(None) == queue_gate.API_PER_ADDRESS == 4
    refused = [a for a in answers if a is not None]
    assert len(refused) == 296 and all("from your address may have 4 requests waiting for 'dcgan_invert'" in a
                                       for a in refused)


def test_page_less_clients_share_a_few_places_and_pages_keep_theirs(keys):
    places = Places()
    # many addresses (a botnet, or forged ones): page-less places in one group stop at API_PER_GROUP
    took = [_admit(places, secrets.token_hex(6), address=f"10.0.1.{i}") for i in range(20)]
    assert took.count(None) == queue_gate.API_PER_GROUP == 8
    assert "kept for the class's pages" in took[-1]
    # and at API_TOTAL over every group
    took = [_admit(places, secrets.token_hex(6), address=f"10.0.2.{i}", group=f"g{i}", event=f"e{i}")
            for i in range(30)]
    assert took.count(None) == queue_gate.API_TOTAL - queue_gate.API_PER_GROUP
    # a page from a flooding address still joins, and each page holds PER_PAGE places per event
    (page,) = keys(1, page=True)
    assert [_admit(places, page, address="10.0.1.0", page=True) for _ in range(4)] == [None, None, None, (
        "This page already has 3 requests waiting for 'dcgan_invert'; wait for them to finish.")]
    assert _admit(places, page, address="10.0.1.0", page=True, event="8") is None  # another event: its own 3


def test_places_come_back_when_events_complete_when_streams_end_and_after_their_time(monkeypatch):
    monkeypatch.setattr(queue_gate, "API_PER_ADDRESS", 2)
    clock = FakeClock()
    places = Places(clock)
    a, b = "ticket-a", "ticket-b"
    assert places.admit(f"join:{a}", _place(places, "s1"), "x") is None
    places.rename(f"join:{a}", "ev1")
    assert places.admit(f"join:{b}", _place(places, "s2"), "x") is None
    assert _admit(places, "s3") is not None  # two held: the address's places are taken
    places.give_back("ev1")  # process_completed passed through s1's stream
    assert len(places) == 1 and _admit(places, "s3") is None
    places.give_back("ev-done-early")  # completed before its join's answer was read...
    places.admit("join:c", _place(places, "s4", address="10.9.9.9"), "x")
    places.rename("join:c", "ev-done-early")  # ...so its place is not held again
    assert all(p.session != "s4" for p in places._held.values())
    places.give_back_session("s3")  # s3's stream ended: Gradio dropped what it still had waiting
    assert len(places) == 1
    clock.now += queue_gate.PLACE_SECONDS + 1  # nobody listened for s2's event: its place times out
    assert len(places) == 0


def test_the_whole_queue_is_bounded(monkeypatch, keys):
    monkeypatch.setattr(queue_gate, "MAX_PLACES", 5)
    places = Places()
    sessions = keys(6, page=True)
    answers = [_admit(places, s, page=True, address=f"10.0.3.{i}") for i, s in enumerate(sessions)]
    assert answers[:5] == [None] * 5
    assert answers[5] == "The app is busy: 5 requests are waiting. Try again in a minute."


# ---- the real app ---------------------------------------------------------------------------------------


def _fns(http: httpx.Client) -> dict:
    config = http.get("config").json()
    return {d["api_name"]: (i, len(d["inputs"])) for i, d in enumerate(config["dependencies"]) if d.get("api_name")}


def _page_session(http: httpx.Client) -> str:
    """A session announced as a page's load announces it (the mark event has no inputs and no outputs)."""
    config = http.get("config").json()
    mark = next(i for i, d in enumerate(config["dependencies"])
                if any(t[1] == "load" for t in d.get("targets", [])) and d.get("backend_fn") and not d["outputs"])
    session = secrets.token_hex(6)
    http.post("gradio_api/run/predict", json={"data": [], "fn_index": mark, "session_hash": session,
                                              "event_data": None, "trigger_id": None}).raise_for_status()
    return session


def _join(http, fn, data, session):
    index, n = fn
    return http.post("gradio_api/queue/join", json={"data": list(data) + [None] * (n - len(data)), "fn_index": index,
                                                    "session_hash": session, "event_data": None, "trigger_id": None})


def _completed(http: httpx.Client, session: str, event_id: str) -> dict:
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed" and msg.get("event_id") == event_id:
                    return msg
    raise AssertionError("the stream ended before the event completed")


def test_a_page_less_flood_leaves_the_pages_their_play_and_their_dcgan_click(app_url, tmp_path):
    """The report's flood on the real app: 300 page-less inversion joins at once. Two are queued, the rest
    are told why in one sentence (HTTP 429). A page opened meanwhile presses Play and gets its run and a
    frame, and clicks DCGAN Compute and gets its faces (before: "This application is currently busy").
    Once the two inversions complete through their streams, their places are free for the next client."""
    import asyncio

    from PIL import Image

    from playground.toy2d.config import ToyConfig
    from playground.ui.toy2d.frame_route import FRAME_PATH
    from playground.ui.toy2d.handlers import control_values

    with httpx.Client(base_url=app_url, timeout=120) as http:
        fns = _fns(http)
        picture = tmp_path / "face.png"
        Image.new("RGB", (64, 64), (150, 110, 90)).save(picture)
        uploaded = http.post("gradio_api/upload", files=[("files", ("face.png", picture.read_bytes(), "image/png"))])
        path = uploaded.json()[0]
        invert = [{"path": path, "orig_name": "face.png", "meta": {"_type": "gradio.FileData"}}, 20, 0.0, []]

        async def flood():
            async with httpx.AsyncClient(base_url=app_url, timeout=120, limits=httpx.Limits(max_connections=300)) as c:
                index, n = fns["dcgan_invert"]

                async def one():
                    session = secrets.token_hex(6)
                    r = await c.post("gradio_api/queue/join", json={
                        "data": invert + [None] * (n - len(invert)), "fn_index": index, "session_hash": session,
                        "event_data": None, "trigger_id": None})
                    return session, r

                return await asyncio.gather(*[one() for _ in range(300)])

        answers = run_async(flood())
        accepted = [(s, r.json()["event_id"]) for s, r in answers if r.status_code == 200]
        refused = [r for _, r in answers if r.status_code != 200]
        assert len(accepted) == queue_gate.API_PER_ADDRESS
        assert {r.status_code for r in refused} == {429}
        assert "use the page" in refused[0].json()["detail"]

        page = _page_session(http)
        play = [*control_values(ToyConfig()).values(), 200, [], ["manifold"]]  # the controls as a fresh page has them
        started = _join(http, fns["toy2d_start"], play, page)
        assert started.status_code == 200, started.text
        done = _completed(http, page, started.json()["event_id"])
        assert done["success"], done
        token = json.loads(done["output"]["data"][0])["token"]
        frame = http.get(FRAME_PATH.lstrip("/"), params={"token": token, "after": 0, "rows": 0}).json()
        assert frame["state"] == "running" and frame["frame"]["it"] >= 0
        computed = _join(http, fns["dcgan_arithmetic"], ["3:1, 3:2", "3:3", "3:4", 0.25, 0], page)
        assert computed.status_code == 200, computed.text
        assert _completed(http, page, computed.json()["event_id"])["success"]

        for session, event_id in accepted:  # the flood's two inversions finish; their places come back
            assert _completed(http, session, event_id)["success"]
        again = _join(http, fns["dcgan_invert"], invert, secrets.token_hex(6))
        assert again.status_code == 200, again.text
        _completed(http, json.loads(again.request.content)["session_hash"], again.json()["event_id"])


def _asgi_gate(inner_seen: list):
    """A QueueGate in front of a stand-in Gradio app with one event (``metrics_compute``, fn 3): its joins answer
    an event id, its streams send one chunk and end. ``inner_seen`` gets each request as the app saw it."""
    from types import SimpleNamespace

    blocks = SimpleNamespace(fns={3: SimpleNamespace(api_name="metrics_compute", concurrency_id="metrics")})

    async def app(scope, receive, send):
        body = b""
        if scope["method"] == "POST":
            while True:
                m = await receive()
                body += m.get("body", b"")
                if not m.get("more_body"):
                    break
        inner_seen.append((scope["path"], dict(scope["headers"]), body))
        payload = json.dumps({"event_id": "ev-1"}).encode() if scope["method"] == "POST" else b"data: {}\n\n"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": payload})

    gate = queue_gate.QueueGate(app, Places(), queue_gate.Listeners())
    return gate, SimpleNamespace(get_blocks=lambda: blocks)


def _request(gate, fake_app, method, path, body=b"", query=b""):
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "app": fake_app,
             "headers": [(b"content-length", str(len(body)).encode())], "client": ("10.0.0.9", 5000)}
    run_async(gate(scope, receive, send))
    return sent


def test_a_handler_learns_that_its_client_stopped_listening_from_the_gate():
    """Gradio drops a session's events when their stream ends, but tells a running plain function nothing
    (only generators are stopped); the metrics computation asks ``client_left`` between batches. The end of a
    /call client's own stream (GET /call/<name>/<event id>) names its session: the event id when it named none
    (as Gradio names it), else the one it named; a page's stream (GET /queue/data?session_hash=S) names S. Only
    an end after the handler started counts."""
    import time

    seen = []
    gate, fake_app = _asgi_gate(seen)
    t0 = time.monotonic()
    sent = json.dumps({"data": [1, 2]}).encode()
    _request(gate, fake_app, "POST", "/gradio_api/call/metrics_compute", sent)
    assert seen[-1][2] == sent  # passed on as it came
    assert not gate.listeners.left_since("ev-1", t0)
    _request(gate, fake_app, "GET", "/gradio_api/call/metrics_compute/ev-1")  # the client read its stream, left
    assert gate.listeners.left_since("ev-1", t0)
    assert not gate.listeners.left_since("ev-1", time.monotonic() + 1)  # a handler started later: still there
    _request(gate, fake_app, "POST", "/gradio_api/call/metrics_compute",
             json.dumps({"data": [], "session_hash": "named"}).encode())
    _request(gate, fake_app, "GET", "/gradio_api/call/metrics_compute/ev-1")
    assert gate.listeners.left_since("named", t0)

    assert not gate.listeners.left_since("page-s", t0)
    _request(gate, fake_app, "GET", "/gradio_api/queue/data", query=b"session_hash=page-s")
    assert gate.listeners.left_since("page-s", t0) and not gate.listeners.left_since(None, t0)


def test_a_call_join_naming_a_page_session_stays_page_less(monkeypatch):
    """A /call join that names a page's session in its body is still a page-less client's (as before it could
    name one): it cannot take the places kept for pages."""
    seen = []
    gate, fake_app = _asgi_gate(seen)
    monkeypatch.setattr(queue_gate, "is_page_session", lambda s: True)
    _request(gate, fake_app, "POST", "/gradio_api/call/metrics_compute",
             json.dumps({"data": [], "session_hash": "a-page"}).encode())
    [place] = gate.places._held.values()
    assert place.page is False
