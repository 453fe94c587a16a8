"""Caps on uploads (playground.ui.upload_gate): one request, and one address per hour."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from playground.ui import upload_gate
from playground.ui.upload_gate import MB, Ledger, UploadGate
from tests.ui.conftest import FakeClock, run_async


async def _store(request: Request):
    """Stands in for Gradio's upload route: reads the whole body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
    return JSONResponse([f"/tmp/upload-{len(body)}"])


@pytest.fixture
def gated(monkeypatch):
    monkeypatch.setattr(upload_gate, "MAX_REQUEST_BYTES", 2 * MB)
    monkeypatch.setattr(upload_gate, "MAX_ADDRESS_BYTES", 5 * MB)
    clock = FakeClock()
    app = Starlette(routes=[Route("/gradio_api/upload", _store, methods=["POST"])],  # as the app adds it
                    middleware=[Middleware(UploadGate, ledger=Ledger(clock))])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 5000)),
                               base_url="http://app")
    return client, clock


def test_a_request_over_the_cap_is_refused_before_it_is_read(gated):
    client, _ = gated
    r = run_async(client.post("/gradio_api/upload", content=b"x" * (3 * MB)))
    assert r.status_code == 413
    assert r.json()["detail"] == ("This upload is 3 MB; one upload may send at most 2 MB in all. "
                                  "Send fewer or smaller files.")
    assert run_async(client.post("/gradio_api/upload", content=b"x" * MB)).json() == [f"/tmp/upload-{MB}"]


def test_a_request_without_a_length_is_counted_as_it_arrives_and_stopped_at_the_cap(gated):
    client, _ = gated

    async def chunks():  # chunked transfer: no Content-Length to judge by
        for _ in range(40):
            yield b"y" * (MB // 8)

    r = run_async(client.post("/gradio_api/upload", content=chunks()))
    assert r.status_code == 413 and "it was stopped" in r.json()["detail"]


def test_one_address_may_upload_a_bounded_amount_an_hour(gated):
    client, clock = gated
    for _ in range(3):
        assert run_async(client.post("/gradio_api/upload", content=b"z" * (3 * MB // 2))).status_code == 200
    r = run_async(client.post("/gradio_api/upload", content=b"z" * (3 * MB // 2)))  # 4.5 + 1.5 > 5 MB
    assert r.status_code == 413
    assert r.json()["detail"].startswith("Your address has uploaded 4 MB in the last hour; this app takes at most 5 MB")
    clock.now += upload_gate.WINDOW_S + 1  # an hour later the disk has been cleaned, and so has the ledger
    assert run_async(client.post("/gradio_api/upload", content=b"z" * (3 * MB // 2))).status_code == 200


def test_the_real_app_refuses_an_upload_request_over_the_cap(app_url, monkeypatch):
    """Through Gradio's own upload route (files of 50 MB are each under max_file_size)."""
    monkeypatch.setattr(upload_gate, "MAX_REQUEST_BYTES", 3 * MB)
    files = [("files", (f"f{i}.png", b"\x89PNG" + b"0" * MB, "image/png")) for i in range(4)]
    r = httpx.post(f"{app_url}gradio_api/upload", files=files, timeout=60)
    assert r.status_code == 413 and "one upload may send at most 3 MB" in r.json()["detail"]
    ok = httpx.post(f"{app_url}gradio_api/upload", files=files[:2], timeout=60)
    assert ok.status_code == 200 and len(ok.json()) == 2
