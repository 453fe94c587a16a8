"""Connections that say nothing are closed: a deadline for each request's headers.

uvicorn (Gradio's web server) closes a kept-alive connection that stays silent after a response, but not one
that never finishes its first request's headers, nor one that starts the next request's headers and stalls:
20,000 such half-open connections reached the process's file limit and fresh requests failed for ~45 s. Here
each connection must complete a request's headers within :data:`HEADERS_S` of opening, and of its last
response; otherwise it is closed. A request whose headers arrived is never cut (an upload's body, the pages'
event streams and long-polls run as long as they need). :func:`install` also lifts the process's soft limit
on open files to its hard limit.

On a Hugging Face Space, visitors reach the app through the Space's proxy, which holds their connections and
opens its own to the app; this bounds what the app itself controls (a machine serving a class directly, or a
proxy that passes slow clients through).
"""

from __future__ import annotations

import asyncio

HEADERS_S = 10.0  # seconds a connection has to send a request's headers


class _HeadersDeadline:
    """Mixed into uvicorn's HTTP protocol classes (both keep the request in progress as ``self.cycle``)."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm()

    def _arm(self) -> None:
        self.loop.call_later(HEADERS_S, self._check, self.cycle)  # type: ignore[attr-defined]

    def _check(self, seen) -> None:
        transport = self.transport  # type: ignore[attr-defined]
        if transport is None or transport.is_closing():
            return
        if self.cycle is seen and (seen is None or seen.response_complete):  # type: ignore[attr-defined]
            transport.close()  # no new request's headers since the deadline was set


def protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's own choice (httptools when installed, else h11), with the headers' deadline."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base
    else:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    return type(f"Deadline{Base.__name__}", (_HeadersDeadline, Base), {})


TimedHTTPProtocol = protocol_class()


def install() -> None:
    """Make uvicorn's default protocol ("auto", the one Gradio's server asks for) :data:`TimedHTTPProtocol`, and
    let the process open as many files as its hard limit allows."""
    from uvicorn import config

    config.HTTP_PROTOCOLS["auto"] = f"{__name__}:TimedHTTPProtocol"
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: keep the limit
        pass
