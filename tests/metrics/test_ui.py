"""The Metrics tab end to end: gradio_client calls the compute endpoint; Chromium uploads two sets.

The app under test holds only the Metrics tab (launched here), so these tests do not depend on the
other tabs; ``tests/browser`` covers the whole page.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from tests.conftest import free_port, open_page


@pytest.fixture(scope="module")
def metrics_app_url(fid_network_file):
    import gradio as gr

    from playground.ui.app import launch_kwargs
    from playground.ui.metrics import layout

    with gr.Blocks(title="Metrics test") as demo:
        gr.Markdown("# GAN Playground (Metrics tab only)")  # the header open_page waits for
        with gr.Tabs():
            with gr.Tab(layout.TITLE):
                layout.build()
    demo.queue(max_size=16)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def independent_fid(fake_paths, real_paths) -> float:
    """FID the long way round: pytorch-fid's preprocessing (ToTensor, bilinear resize, 2x - 1) into the
    network, then |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), the last term from the eigenvalues of
    the small n x n matrix A S2 A^T / (n - 1) (S1 = A^T A / (n - 1), rows of A centred): rank n - 1."""
    import torch.nn.functional as F
    from PIL import Image

    from playground.metrics.inception import load_fid_network

    def feats(paths):
        x = torch.stack([torch.from_numpy(np.asarray(Image.open(p).convert("RGB")).transpose(2, 0, 1).copy())
                         for p in paths]).float() / 255
        with torch.inference_mode():
            return load_fid_network("cpu")(2 * F.interpolate(x, (299, 299), mode="bilinear") - 1).double().numpy()

    f, r = feats(fake_paths), feats(real_paths)
    s2 = np.cov(r, rowvar=False)
    a = f - f.mean(0)
    lam = np.linalg.eigvalsh(a @ s2 @ a.T / (len(f) - 1))
    diff = f.mean(0) - r.mean(0)
    return float(diff @ diff + np.trace(np.cov(f, rowvar=False)) + np.trace(s2) - 2 * np.sqrt(lam.clip(0)).sum())


def test_gradio_client_compute(metrics_app_url, tmp_path, make_images):
    from gradio_client import Client, handle_file

    gen = make_images(tmp_path / "g", 3, seed=11, size=(40, 40))
    real = make_images(tmp_path / "r", 3, seed=12, size=(40, 40), kind="smooth")
    client = Client(metrics_app_url, verbose=False)
    status, table, notes, *_ = client.predict(
        [handle_file(str(p)) for p in gen],
        [handle_file(str(p)) for p in real],
        "legacy_pytorch",
        ["fid", "kid"],
        api_name="/metrics_compute",
    )
    rows = {r[0]: r[1] for r in table["data"]}
    assert float(rows["FID (legacy_pytorch)"]) == pytest.approx(independent_fid(gen, real), abs=0.006)
    assert "±" in rows["KID"]
    assert rows["Images used"] == "3 generated / 3 real"
    assert rows["Convention"] == "legacy_pytorch"
    assert "Done" in status and "biased upwards" in notes
    # a bad request is a readable error, not a traceback
    with pytest.raises(Exception, match="Upload real images"):
        client.predict([handle_file(str(gen[0]))], [], "clean", ["fid"], api_name="/metrics_compute")


@pytest.mark.browser
def test_browser_upload_two_sets_and_read_the_table(
    browser, metrics_app_url, tmp_path, make_images, artifacts
):
    gen = make_images(tmp_path / "g", 4, seed=21, size=(48, 48))
    real = make_images(tmp_path / "r", 4, seed=22, size=(48, 48), kind="smooth")
    from playwright.sync_api import expect

    context, page, log = open_page(browser, metrics_app_url, viewport=(1400, 1000))
    try:
        page.locator("#metrics-fake-files input[type=file]").set_input_files([str(p) for p in gen])
        page.locator("#metrics-real-files input[type=file]").set_input_files([str(p) for p in real])
        for box in ("#metrics-fake-files", "#metrics-real-files"):  # both lists show their files
            page.locator(box).get_by_text("img_03").wait_for(timeout=30_000)
        page.get_by_role("button", name="Compute metrics").click()
        page.get_by_text("Done in").wait_for(timeout=240_000)
        table = page.locator("#metrics-results")
        expect(table).to_contain_text("4 generated / 4 real", timeout=10_000)
        text = table.inner_text()
        assert "FID (clean)" in text and "Precision (k=3)" in text and "KID" in text
        page.wait_for_timeout(1500)  # let the plots draw
        page.screenshot(path=str(artifacts / "metrics_tab.png"), full_page=True)
        errors = log.errors()
        assert not errors, errors
    finally:
        context.close()


def test_session_end_deletes_the_uploads_and_features(tmp_path):
    from playground.metrics.features import FeatureResult
    from playground.ui.metrics.handlers import _sessions
    from playground.ui.metrics.session import Session

    up = tmp_path / "gradio" / "abc123"
    up.mkdir(parents=True)
    f = up / "face.png"
    f.write_bytes(b"x")
    sess = _sessions.get_or_create("test-session", Session)
    sess.uploads.add(str(f))
    sess.cache.put("k", FeatureResult(None, None, [], [], "clean"))
    _sessions.free("test-session")  # what demo.unload does for a closed tab
    assert not f.exists() and not up.exists()
    assert sess.cache.get("k") is None and "test-session" not in _sessions


@pytest.mark.slow
def test_examples_show_fid_rising_with_degradation(metrics_app_url):
    from gradio_client import Client

    client = Client(metrics_app_url, verbose=False)
    fids = {}
    for kind in ("held_out", "blurred", "noisy"):
        status, table, *_ = client.predict("clean", ["fid", "kid"], api_name=f"/metrics_example_{kind}")
        fids[kind] = float({r[0]: r[1] for r in table["data"]}["FID (clean)"])
        assert "Example:" in status
    assert fids["held_out"] < fids["blurred"] < fids["noisy"]


def test_unsafe_zip_upload_is_a_readable_error(metrics_app_url, tmp_path, make_images):
    import zipfile

    from gradio_client import Client, handle_file

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.png", b"x")
    real = make_images(tmp_path / "r", 2, seed=1)
    client = Client(metrics_app_url, verbose=False)
    with pytest.raises(Exception, match="unsafe path"):
        client.predict(
            [handle_file(str(evil))],
            [handle_file(str(p)) for p in real],
            "clean",
            ["fid"],
            api_name="/metrics_compute",
        )


def test_is_histogram_and_table_from_a_report():
    import numpy as np

    from playground.metrics.compute import MetricsReport
    from playground.metrics.features import FeatureResult
    from playground.ui.metrics.results import is_figure, table

    logits = np.full((12, 1008), -5.0)
    logits[np.arange(12), [3] * 6 + [7] * 4 + [9] * 2] = 5.0
    fake = FeatureResult(np.zeros((12, 2048)), logits, [f"{i}.png" for i in range(12)], [], "clean")
    report = MetricsReport(
        mode="clean", values={"is_mean": 2.9, "is_std": 0.1, "n_fake": 12, "n_real": None}, fake=fake
    )
    fig = is_figure(report)
    assert list(fig.data[0].x) == ["3", "7", "9"] and list(fig.data[0].y) == [6, 4, 2]
    rows = {r[0]: r[1] for r in table(report)}
    assert rows["Inception Score (generated)"] == "2.900 ± 0.100"
    assert rows["Images used"] == "12 generated / real = statistics file"


def test_skipped_file_names_and_reasons_show_as_text_in_the_notes():
    """A visitor names the files: a tag, a backtick or Markdown in a name is shown as typed, not rendered."""
    from markdown_it import MarkdownIt

    from playground.metrics.compute import MetricsReport
    from playground.metrics.features import FeatureResult
    from playground.ui.metrics.results import notes, pca_figure

    names = ['up.zip/<a href="https://evil.example" style="position:fixed">Your session expired</a>.txt',
             "up.zip/a`b.txt", "up.zip/*x*.txt"]
    skipped = [(n, "not an image file type") for n in names] + [("up.zip/c.png", "entry '<i>' is damaged")]
    fake = FeatureResult(np.zeros((3, 2048)), None, ["<b>1.png", "2.png", "3.png"], skipped, "clean")
    report = MetricsReport(mode="clean", values={}, fake=fake, real=fake)
    out = MarkdownIt("commonmark", {"html": True}).render(notes(report))
    assert "<a" not in out and "<i>" not in out and "<em>" not in out
    assert ('<code>up.zip/&lt;a href=&quot;https://evil.example&quot; style=&quot;position:fixed&quot;&gt;'
            "Your session expired&lt;/a&gt;.txt</code>") in out
    assert "<code>up.zip/a`b.txt</code>" in out and "<code>up.zip/*x*.txt</code>" in out
    assert "entry '&lt;i&gt;' is damaged" in out.replace("&#x27;", "'")
    hover = pca_figure(report).data[0].text  # Plotly reads tags in hover text
    assert hover[0] == "&lt;b&gt;1.png"


def test_an_upload_shared_by_two_sessions_outlives_the_first_and_not_the_second(tmp_path):
    from playground.ui.metrics import session

    folder = tmp_path / "gradio" / "abc123"
    folder.mkdir(parents=True)
    shared, own = folder / "same.png", tmp_path / "own.png"
    shared.write_bytes(b"x")
    own.write_bytes(b"y")
    a, b = session.Session(), session.Session()
    a.claim([str(shared), str(own)])
    b.claim([str(shared)])
    a.forget()
    assert shared.exists() and not own.exists()  # b still uses the shared file
    b.forget()
    assert not shared.exists() and not folder.exists()
    assert str(shared) not in session._upload_owners


def test_same_images_under_other_names_in_both_sets(tmp_path, make_images, fid_net):
    """Used to crash with KeyError: 'good0.png': the content-keyed cache handed back the other set's names."""
    from playground.metrics.features import FeatureCache
    from playground.metrics.limits import WorkLimits
    from playground.ui.metrics.handlers import _run

    gen = make_images(tmp_path / "g", 4, seed=3, size=(32, 32))
    real = []
    for i, p in enumerate(gen):
        real.append(tmp_path / "r" / f"good{i}.png")
        real[-1].parent.mkdir(exist_ok=True)
        real[-1].write_bytes(p.read_bytes())
    out = _run(
        [str(p) for p in gen], [str(p) for p in real], "clean", ["fid", "pr"], FeatureCache(),
        lambda *a, **k: None, WorkLimits(),
    )
    assert "Done" in out["status"] and out["nn_image"] is not None and "Memorisation check" in out["nn_text"]
    pca, table = out["pca_plot"], out["table"]
    assert list(pca.data[0].text) == [f"good{i}.png" for i in range(4)]  # the real set's own names
    assert list(pca.data[1].text) == [f"img_{i:02d}.png" for i in range(4)]
    rows = {r[0]: r[1] for r in table}
    assert rows["FID (clean)"] == "0.00" and rows["Precision (k=3)"] == "1"


def test_examples_write_no_files(tmp_path, monkeypatch):
    """gp-metrics-examples-* folders outlived a killed server; the examples now live in memory."""
    import tempfile

    from playground.metrics.examples import N_EXAMPLE, example_sets, source_images
    from playground.metrics.io import decode_rgb

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gen, real, text = example_sets("blurred")
    assert list(tmp_path.iterdir()) == []
    assert len(gen.images) == len(real.images) == N_EXAMPLE and f"{N_EXAMPLE} images each" in text
    held, _ = source_images(seed=2)
    assert all(np.array_equal(decode_rgb(r.read_bytes()), im) for r, im in zip(real.images, held))


def test_the_examples_say_when_they_fall_back_to_procedural_pictures(monkeypatch, caplog):
    """Any failure of the face DCGAN used to be swallowed and called "not installed"; now the caption says it is a
    fallback and why, and a real failure is logged."""
    from playground.dcgan import pretrained
    from playground.metrics.examples import source_images

    assert source_images(seed=2, n=2)[1] == "bundled face DCGAN"

    def unreadable(device):
        raise FileNotFoundError("weights")

    monkeypatch.setattr(pretrained, "load_bundled_generator", unreadable)
    pictures, source = source_images(seed=2, n=2)
    assert pictures.shape == (2, 64, 64, 3)
    assert source == "fallback procedural pictures, because the face DCGAN weights cannot be read"

    def broken(device):
        raise RuntimeError("size mismatch")

    monkeypatch.setattr(pretrained, "load_bundled_generator", broken)
    assert source_images(seed=2, n=2)[1] == "fallback procedural pictures, because the face DCGAN failed (RuntimeError)"
    assert "failed to make the metrics example's pictures" in caplog.text


class BlockingCompute:
    """Stands in for compute_metrics: holds the metrics worker until released or stopped."""

    def __init__(self):
        self.started, self.release, self.stopped = threading.Event(), threading.Event(), threading.Event()

    def __call__(self, fake, real, *, limits, progress, **kwargs):
        from playground.errors import RequestCancelled, UserError

        self.started.set()
        i = 0
        while not self.release.wait(0.05):
            i += 1
            progress("generated", i % 100, 100, 1.0)  # keeps messages flowing, as the real one does
            if limits.should_stop():
                self.stopped.set()
                raise RequestCancelled("stopped")
        raise UserError("released")


@pytest.fixture
def blocking_compute(monkeypatch):
    from playground.ui.metrics import handlers

    fake = BlockingCompute()
    monkeypatch.setattr(handlers, "compute_metrics", fake)
    yield fake
    fake.release.set()


def test_computation_stops_when_the_client_goes_away(metrics_app_url, blocking_compute, tmp_path, make_images):
    """Used to run on for minutes after the client was killed, holding the only metrics worker. The computation
    learns it from the queue gate, which saw the client's stream end (``queue_gate.client_left``)."""
    import httpx

    paths = make_images(tmp_path / "x", 2, seed=1, size=(8, 8))
    base = metrics_app_url.rstrip("/")
    with httpx.Client(timeout=30) as http:
        with open(paths[0], "rb") as f0, open(paths[1], "rb") as f1:
            up = http.post(f"{base}/gradio_api/upload", files=[("files", f0), ("files", f1)]).json()
        fd = [{"path": p, "meta": {"_type": "gradio.FileData"}} for p in up]
        event = http.post(
            f"{base}/gradio_api/call/metrics_compute", json={"data": [[fd[0]], [fd[1]], "clean", ["fid"]]}
        ).json()["event_id"]
        with http.stream("GET", f"{base}/gradio_api/call/metrics_compute/{event}") as stream:
            assert blocking_compute.started.wait(30)
        # the stream is closed unread: the client is gone
    assert blocking_compute.stopped.wait(30)


def test_a_waiting_request_is_told_its_place_in_the_queue(metrics_app_url, blocking_compute, tmp_path, make_images):
    from gradio_client import Client, handle_file
    from gradio_client.utils import Status

    paths = [handle_file(str(p)) for p in make_images(tmp_path / "x", 2, seed=1, size=(8, 8))]
    first = Client(metrics_app_url, verbose=False).submit(
        [paths[0]], [paths[1]], "clean", ["fid"], api_name="/metrics_compute"
    )
    assert blocking_compute.started.wait(30)
    second = Client(metrics_app_url, verbose=False).submit(
        [paths[0]], [paths[1]], "clean", ["fid"], api_name="/metrics_compute"
    )
    deadline = time.monotonic() + 30
    while (st := second.status()).code != Status.IN_QUEUE or st.rank is None:
        assert time.monotonic() < deadline, st
        time.sleep(0.05)
    assert st.rank == 0 and st.queue_size == 1  # shown in the page as "queue: 1/1"
    blocking_compute.release.set()
    for job in (first, second):
        with pytest.raises(Exception, match="released"):
            job.result(timeout=30)


def test_the_compute_event_shows_progress_and_queue_position(metrics_app_url):
    import httpx

    config = httpx.get(metrics_app_url.rstrip("/") + "/config", timeout=10).json()
    deps = {d.get("api_name"): d for d in config["dependencies"]}
    for name in ("metrics_compute", "metrics_example_held_out"):
        assert deps[name]["show_progress"] == "full" and deps[name]["queue"] is not False


def test_a_session_dropped_while_computing_is_cleaned_up_when_the_computation_ends(tmp_path):
    from playground.errors import RequestCancelled
    from playground.ui.metrics.handlers import _limits
    from playground.ui.metrics.session import Session

    upload = tmp_path / "up.png"
    upload.write_bytes(b"x")
    sess = Session()
    sess.claim([str(upload)])
    with sess.computing():
        sess.forget()  # evicted or tab closed mid-computation
        assert upload.exists() and _limits(None, sess.closed).should_stop()  # still read; told to stop
    assert not upload.exists()
    with pytest.raises(RequestCancelled):
        with sess.computing():
            pass


def test_the_fid_network_is_loaded_once_per_process_and_shared(monkeypatch, tmp_path, fid_net):
    import threading
    import warnings

    import torch

    from playground.metrics import inception

    assert inception.load_fid_network("cpu") is fid_net  # every session's request gets this very object
    tiny = tmp_path / "tiny.pt"  # a small TorchScript in the real network's place: first use, 8 threads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch >= 2.14 calls TorchScript deprecated; it still works
        torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), str(tiny))
    loads = []
    real_load = torch.jit.load
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k))
    barrier, got = threading.Barrier(8), []

    def first_use():
        barrier.wait()
        got.append(inception.load_fid_network("cpu", path=tiny))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert loads == [str(tiny)] and len(got) == 8 and all(n is got[0] for n in got)


def test_a_class_clicking_the_same_example_shares_one_computation(monkeypatch):
    """The second click of an example with the same settings reuses the first one's results (and says so);
    other settings compute again."""
    from playground.ui.metrics import handlers as mh

    calls = []

    def fake_run(gen, real, mode, metrics, cache, progress, limits, label=""):
        calls.append((mode, tuple(metrics)))
        return {"status": f"**Done in 1.0 s.** {label}", "table": [["FID (clean)", str(len(calls))]], "notes": "",
                "pca_plot": None, "fidn_plot": None, "nn_image": None, "nn_text": "", "is_plot": None}

    monkeypatch.setattr(mh, "_run", fake_run)
    monkeypatch.setattr(mh, "_example_results", mh.ResultCache())
    run = mh.example_handler("blurred")
    first = run({"mode": "clean", "metrics": ["fid", "kid"]}, None, progress=lambda *a, **k: None)
    second = run({"mode": "clean", "metrics": ["fid", "kid"]}, None, progress=lambda *a, **k: None)
    assert calls == [("clean", ("fid", "kid"))]
    assert set(first) == set(second) == set(mh.OUTPUTS)  # every output, by name
    assert second["table"] == first["table"] == [["FID (clean)", "1"]]
    assert "Done in" in first["status"] and "computed on this server before" in second["status"]
    third = run({"mode": "legacy_pytorch", "metrics": ["fid", "kid"]}, None, progress=lambda *a, **k: None)
    assert len(calls) == 2 and third["table"] == [["FID (clean)", "2"]]
