"""A web request cannot make the app read a file it was not sent: raw handlers (preprocess=False) skip
Gradio's own upload check, so the app checks that every file lies in Gradio's upload folder."""

import os

import numpy as np
import pytest
from PIL import Image

from playground import safe_input
from playground.errors import UserError


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    """Gradio's upload folder, and a private picture outside it."""
    up = tmp_path / "gradio"
    up.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(up))
    monkeypatch.setenv("PLAYGROUND_UPLOAD_ROOTS", "")
    secret = tmp_path / "secret" / "face.png"
    secret.parent.mkdir()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(secret)
    mine = up / "abc" / "face.png"
    mine.parent.mkdir()
    Image.fromarray(np.full((8, 8, 3), 50, np.uint8)).save(mine)
    return up, secret, mine


def test_only_uploaded_files_are_read(uploads):
    up, secret, mine = uploads
    assert safe_input.web_file({"path": str(mine)}) == str(mine)
    assert safe_input.file_path({"path": str(mine)}) == str(mine)
    for sneaky in (str(secret), {"path": str(secret)}, {"path": str(up / ".." / "secret" / "face.png")}):
        with pytest.raises(UserError, match="not uploaded to this app"):
            safe_input.web_file(sneaky)
    with pytest.raises(UserError, match="not uploaded to this app"):
        safe_input.file_path({"path": str(secret)})  # a FileData dict only ever comes from the web
    link = up / "link.png"
    os.symlink(secret, link)
    with pytest.raises(UserError, match="not uploaded to this app"):
        safe_input.web_file({"path": str(link)})  # a symlink out of the folder is followed, then refused
    assert safe_input.file_path(str(secret)) == str(secret)  # a command line's own path is the user's own


def test_the_tabs_refuse_a_path_they_were_not_sent(uploads):
    from types import SimpleNamespace

    from playground.ui.translation import handlers as translation_handlers
    from playground.ui.toy2d import handlers as toy2d_handlers

    _, secret, _ = uploads
    req = SimpleNamespace(session_hash="paths")
    try:
        with pytest.raises(Exception, match="not uploaded to this app"):
            toy2d_handlers.use_drawing({"sketch": {"composite": {"path": str(secret)}}}, req)
        with pytest.raises(Exception, match="not uploaded to this app"):
            translation_handlers._pick_input("upload", None, {"path": str(secret)})
    finally:
        toy2d_handlers.SESSIONS.free("paths")
