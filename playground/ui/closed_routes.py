"""Routes Gradio serves that this app does not use, closed because a visitor could turn them against it.

- ``GET /gradio_api/deep_link?session_hash=...`` (Gradio's own deep links, for ``gr.DeepLinkButton``) writes
  the session's every component config, ~0.45 MB, to a new folder of the server's disk, named by its
  content, and nothing ever deletes it: a visitor who changes one value between calls (a share link's
  query does) fills the disk 0.45 MB a call. This app's links are its own (each tab's "Copy link",
  :mod:`playground.share`), made without writing anything.

The middleware answers these with HTTP 404 and a sentence saying what to use instead.
"""

from __future__ import annotations

from playground.ui.queue_gate import answer

CLOSED = {
    "/gradio_api/deep_link": (
        "Gradio's deep links are not used by this app: to share a view, use its tab's 'Copy link' "
        "(under 'Share this view / presenter view')."
    ),
}


class ClosedRoutes:
    """ASGI middleware: :data:`CLOSED` paths (under any root path, with or without a final /) get a 404."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "").rstrip("/")
            for closed, why in CLOSED.items():
                if path.endswith(closed):
                    return await answer(send, 404, why)
        return await self.app(scope, receive, send)
