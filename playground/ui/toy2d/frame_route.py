"""How a playing page gets its frames: it pulls them, one at a time, as JSON the training worker made once.

Two doors to the same answer: :func:`frame_route`, a plain route of the web server (``GET FRAME_PATH``, which
``playground/ui/app.py`` mounts), and :func:`toy2d_frame`, the lab component's server function, which the
page falls back to where the route is missing. Neither is a Gradio event: no handler runs while a run plays.
"""

from __future__ import annotations

from starlette.responses import Response

from playground.toy2d.scheduler import get_scheduler

FRAME_PATH = "/toy2d/frame"  # the plain route the page pulls frames from (frame_route)


def _frame_response(text: str) -> Response:
    return Response(content=text, media_type="application/json", headers={"Cache-Control": "no-store"})


def _seq(value) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _rows(value) -> int | None:
    """The number of chart rows the page has (None: it wants none, e.g. an API client)."""
    return None if value is None or value == "" else _seq(value)


async def toy2d_frame(data) -> Response:
    """The page's pull as a server function of the lab component: ``[token, seq, rows]`` → the next frame,
    as the JSON text the training worker made once (no re-encoding per pull), with the chart rows from the
    page's ``rows`` on. The page uses :func:`frame_route` (the same answer for a fifth of the server's CPU)
    and falls back to this."""
    token, seq, rows = (list(data) + [None] * 3)[:3] if isinstance(data, (list, tuple)) else (data, 0, None)
    return _frame_response(await get_scheduler().next_frame_json(token, _seq(seq), rows=_rows(rows)))


async def frame_route(request) -> Response:
    """``GET FRAME_PATH?token=…&after=N``: the page's pull, on a plain route of the web server.

    A class pulls ~250 frames a second; through Gradio's component-server endpoint each costs ~0.9 ms of the
    server's CPU (session lookup, argument handling), here ~0.19 ms (measured on a quiet 2-core machine). The run's token is the key (a
    random secret handed to the session that started it), as for the server function."""
    q = request.query_params
    return _frame_response(await get_scheduler().next_frame_json(q.get("token"), _seq(q.get("after")),
                                                                 rows=_rows(q.get("rows"))))
