"""Silent and half-open connections are closed (playground.ui.connections), requests in progress are not."""

from __future__ import annotations

import socket
import time

from playground.ui import connections


def _open(app_url: str) -> socket.socket:
    host, port = app_url.split("//")[1].rstrip("/").split(":")
    return socket.create_connection((host, int(port)), timeout=connections.HEADERS_S + 10)


def _closed_after(sock: socket.socket) -> float:
    """Seconds until the server closes ``sock`` (reading what it sends meanwhile)."""
    t = time.monotonic()
    while sock.recv(65536):
        pass
    return time.monotonic() - t


def test_a_connection_that_never_finishes_its_headers_is_closed(app_url):
    """Half-open: the report held 20,000 of these until the process ran out of files."""
    silent, stalled = _open(app_url), _open(app_url)
    stalled.sendall(b"GET /gradio_api/info HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    for sock in (silent, stalled):
        waited = _closed_after(sock)
        assert waited <= connections.HEADERS_S + 3
        sock.close()


def test_a_kept_alive_connection_that_stalls_in_its_next_request_is_closed(app_url):
    sock = _open(app_url)
    sock.sendall(b"GET /gradio_api/info HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET /gradio_api/info HTTP/1.1\r\n")  # a slow client keeps it open byte by byte...
    t = time.monotonic()
    while time.monotonic() - t < 3:
        sock.sendall(b"X-Slow: 1\r\n")
        time.sleep(1)
    assert _closed_after(sock) <= connections.HEADERS_S  # ...but not past the deadline
    sock.close()


def test_a_request_whose_headers_arrived_runs_past_the_deadline(app_url):
    """An event stream (the page's heartbeat) stays open as long as the page does."""
    sock = _open(app_url)
    sock.sendall(b"GET /gradio_api/heartbeat/abcdef123456 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    sock.settimeout(1.0)
    t, got = time.monotonic(), b""
    while time.monotonic() - t < connections.HEADERS_S + 3:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        assert chunk, "the server closed a stream whose request had arrived"
        got += chunk
    assert got.startswith(b"HTTP/1.1 200")
    sock.close()
