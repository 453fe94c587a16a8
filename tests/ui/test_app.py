"""Smoke tests of the whole app: it builds, serves, answers gradio_client, and starts quickly."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_every_tab_module_builds():
    from playground.ui.app import available_tabs

    for tab in available_tabs():
        assert isinstance(tab.TITLE, str) and tab.TITLE
        assert callable(tab.build)


def test_client_sees_the_api(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert "named_endpoints" in api


def test_python_app_py_serves_within_10_seconds():
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.monotonic()
        while time.monotonic() - start < 10:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    body = r.read().decode()
                    assert "GAN Playground" in body
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("python app.py did not serve the page within 10 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
