"""Routes Gradio serves that the app closes (playground.ui.closed_routes)."""

from pathlib import Path

import httpx
import pytest

from playground.ui.closed_routes import CLOSED


@pytest.mark.parametrize("suffix, session, lr_d", [("", "visitor-1", "0.0031"), ("/", "visitor-2", "0.0023")])
def test_gradios_deep_link_writes_nothing_and_says_what_to_use(app_url, suffix, session, lr_d):
    """The repro: a session's state written to a new folder of the server's disk at each call (0.45 MB, never
    deleted). A session that exists (a page-less call made it) gets a 404 and the sentence, and no folder."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / "deep_links"
    before = sorted(folder.glob("*")) if folder.exists() else []
    with httpx.Client(base_url=app_url, timeout=30) as c:
        deps = c.get("config").json()["dependencies"]
        loads = [(i, d) for i, d in enumerate(deps) if any(t[1] == "load" for t in d.get("targets", []))]
        opener = max(loads, key=lambda x: len(x[1]["outputs"]))[0]  # the share-link opener: sets the controls
        made = c.post(f"gradio_api/run/predict?tab=toy2d&seed=7&lr_d={lr_d}",
                      json={"data": [], "fn_index": opener, "session_hash": session})
        assert made.status_code == 200  # the session exists, its controls changed by the link
        r = c.get(f"gradio_api/deep_link{suffix}", params={"session_hash": session})
    assert r.status_code == 404
    assert r.json()["detail"] == CLOSED["/gradio_api/deep_link"] and "Copy link" in r.json()["detail"]
    assert (sorted(folder.glob("*")) if folder.exists() else []) == before


def test_other_routes_pass_through(app_url):
    with httpx.Client(base_url=app_url, timeout=30) as c:
        assert c.get("gradio_api/info").status_code == 200
        assert c.get("config").status_code == 200
