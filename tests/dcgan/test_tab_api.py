"""The tab's endpoints through gradio_client, against the running app."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from playground.dcgan.lab import PRESETS, Renderer, arithmetic_update, parse_refs
from playground.dcgan.pretrained import load_bundled_generator

PRESET = next(iter(PRESETS.values()))


def _img(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_arithmetic_endpoint_returns_the_figure(client):
    out = client.predict(PRESET["A"], PRESET["B"], PRESET["C"], 0.25, 0, api_name="/dcgan_arithmetic")
    strip_a, strip_b, strip_c, equation, grid, msg = out
    assert _img(strip_a).shape == (136, 560, 3)  # 3 exemplars + their mean, 2x
    assert _img(strip_c).shape == (136, 2 * (68 + 12 + 68), 3)  # 1 exemplar + its mean
    assert _img(grid).shape == (400, 400, 3)  # 3x3 of 64px tiles with 2px gaps, 2x
    assert _img(equation).shape == (160, 680, 3)
    assert "Group sizes 3, 3, 1" in msg
    # The same numbers as the library computes directly.
    ref = arithmetic_update(Renderer(load_bundled_generator("cpu")), parse_refs(PRESET["A"]),
                            parse_refs(PRESET["B"]), parse_refs(PRESET["C"]), noise_scale=0.25, noise_seed=0)
    # The tab sends JPEG: compare with the library's picture through Gradio's own JPEG encoder.
    from io import BytesIO

    from gradio.processing_utils import encode_pil_to_bytes

    sent = np.asarray(Image.open(BytesIO(encode_pil_to_bytes(Image.fromarray(ref.neighbourhood), "jpeg"))))
    assert np.abs(_img(grid).astype(int) - sent.astype(int)).max() <= 2
    assert f"{float(ref.z.norm()):.1f}" in msg


def test_arithmetic_endpoint_partial_groups_and_errors(client):
    strip_a, strip_b, strip_c, equation, grid, msg = client.predict(
        "2:17, 2:22", "", "", 0.25, 0, api_name="/dcgan_arithmetic"
    )
    assert strip_a is not None and strip_b is None and equation is None and grid is None
    assert "B and C" in msg
    with pytest.raises(AppError, match="seed:index"):
        client.predict("2:17, glasses", "2:1", "2:2", 0.25, 0, api_name="/dcgan_arithmetic")
    with pytest.raises(AppError, match="no inverted face inv1"):
        client.predict("inv1", "2:1", "2:2", 0.25, 0, api_name="/dcgan_arithmetic")


def test_interpolation_endpoint_reports_norms(client):
    lerp, slerp, text = client.predict("2:17", "0:0", 8, api_name="/dcgan_interpolate")
    assert _img(lerp).shape == _img(slerp).shape == (136, 1060, 3)  # 8 tiles of 64px + 2px gaps, 2x
    lerp_norms = [float(v) for v in text.split("\n")[0].split(":")[1].replace("  ", "").split(",")]
    slerp_norms = [float(v) for v in text.split("\n")[1].split(":")[1].split(",")]
    assert min(lerp_norms) < min(slerp_norms) - 1.5  # the straight line dips towards the origin


def test_walk_endpoint_returns_an_animated_gif(client):
    path = client.predict("0:0", "mean(A) − mean(B)", PRESET["A"], PRESET["B"], 0, 2.0,
                          api_name="/dcgan_walk")
    im = Image.open(path)
    assert im.format == "GIF" and getattr(im, "n_frames", 1) == 30  # 16 frames there, 14 back


def test_inversion_endpoint_then_use_in_arithmetic(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from playground.dcgan.latent import sample_z
    from playground.dcgan.pretrained import generate

    face = tmp_path / "face.png"
    Image.fromarray(generate(sample_z(2, 22)[None])[0]).resize((128, 128)).save(face)
    own = Client(app_url, verbose=False)  # a fresh session: its inverted list starts empty
    preview, msg = own.predict(handle_file(str(face)), 20, 0.001, api_name="/dcgan_invert")
    assert _img(preview).shape == (192, 192, 3)
    assert "Saved as **inv1**" in msg
    out = own.predict("inv1", "2:14", "2:6", 0.25, 0, api_name="/dcgan_arithmetic")
    assert "Group sizes 1, 1, 1" in out[-1]


def test_own_generator_per_session(app_url, tmp_path):
    import torch
    from gradio_client import Client, handle_file

    from playground.dcgan.checkpoints import save_generator
    from playground.dcgan.models import Generator, weights_init

    torch.manual_seed(0)
    g = Generator(ngf=8)
    g.apply(weights_init)
    path = tmp_path / "netG.safetensors"
    save_generator(g, path)
    bad = tmp_path / "netD.pth"
    torch.save({"main.0.weight": torch.zeros(8, 3, 4, 4)}, bad)

    own = Client(app_url, verbose=False)
    msg = own.predict(handle_file(str(path)), api_name="/dcgan_load_generator")
    assert "your generator" in msg and "ngf = 8" in msg
    gallery, line = own.predict(0, api_name="/dcgan_samples")  # (the gr.State output is not sent)
    assert len(gallery) == 36 and "your generator" in line
    with pytest.raises(AppError, match="not a pytorch-examples DCGAN generator"):
        own.predict(handle_file(str(bad)), api_name="/dcgan_load_generator")
    assert "bundled" in own.predict(api_name="/dcgan_reset_generator")


# ---------------------------------------------------------------- careless and hostile input through the API

def test_a_long_group_is_refused_at_once(client):
    # The repro ("1 " * 300000 froze every session for 57 s): now refused before parsing.
    with pytest.raises(AppError, match="Group A is 600,000 characters long; at most 1,000"):
        client.predict("1 " * 300_000, "2:3", "2:4", 0.25, 0, api_name="/dcgan_arithmetic")


def test_numbers_and_sliders_get_sentences_not_error_badges(client):
    with pytest.raises(AppError, match="The grid seed must be a whole number between 0 and 4,294,967,295"):
        client.predict(2**63, api_name="/dcgan_samples")
    with pytest.raises(AppError, match="Steps must be a whole number between 3 and 12"):
        client.predict("2:17", "0:0", "abc", api_name="/dcgan_interpolate")
    with pytest.raises(AppError, match=r"Neighbourhood noise \(±\) must be a number between 0 and 1"):
        client.predict("2:1", "2:2", "2:3", 5, 0, api_name="/dcgan_arithmetic")
    with pytest.raises(AppError, match="The noise seed must be a whole number"):
        client.predict("2:1", "2:2", "2:3", 0.25, "x", api_name="/dcgan_arithmetic")


def test_bad_face_uploads_get_sentences(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from tests.bad_files import bad_uploads

    own = Client(app_url, verbose=False)
    expected = {"empty": "is empty", "text": "not a picture I can read", "truncated": "damaged or truncated",
                "huge": "20,000×20,000 pixels|declares too many pixels"}
    for kind, path in bad_uploads(tmp_path).items():
        with pytest.raises(AppError, match=expected[kind]):
            own.predict(handle_file(str(path)), 20, 0.001, api_name="/dcgan_invert")


def test_generator_with_two_channels_is_explained(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from playground.dcgan.checkpoints import save_generator
    from playground.dcgan.models import Generator

    path = tmp_path / "nc2.safetensors"
    save_generator(Generator(nz=10, ngf=4, nc=2), path)
    own = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="2 channels"):
        own.predict(handle_file(str(path)), api_name="/dcgan_load_generator")


def test_walk_gifs_do_not_pile_up_on_disk():
    from playground.ui.dcgan import handlers as dcgan_handlers

    paths = [dcgan_handlers.save_walk(bytes([i]) * 10) for i in range(dcgan_handlers.WALKS_KEPT + 5)]
    folder = {Path(p).parent for p in paths}
    assert len(folder) == 1  # one folder per process, not one per walk
    left = sorted(Path(paths[0]).parent.glob("walk-*.gif"))
    assert len(left) == dcgan_handlers.WALKS_KEPT and Path(paths[-1]) in left and not Path(paths[0]).exists()


# ---------------------------------------------------------------- one shared model per process

class _Request:
    """The part of gr.Request the tab reads."""

    def __init__(self, session_hash: str):
        self.session_hash = session_hash


def test_sessions_share_one_bundled_generator_loaded_once(monkeypatch):
    import threading

    from playground.dcgan import pretrained
    from playground.ui.dcgan import handlers as dcgan_handlers

    monkeypatch.setattr(dcgan_handlers, "_bundled", None)  # as in a fresh process
    monkeypatch.setattr(pretrained, "_cache", {})
    reads = []
    real_read = pretrained.read_state_dict
    monkeypatch.setattr(pretrained, "read_state_dict", lambda path: reads.append(path) or real_read(path))
    barrier, got = threading.Barrier(8), []

    def first_use(i):
        barrier.wait()  # eight sessions ask at the same moment
        got.append(dcgan_handlers._renderer(_Request(f"student-{i}")))

    threads = [threading.Thread(target=first_use, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reads) == 1  # the weights file was read once
    assert len(got) == 8 and all(r is got[0] for r in got)  # the very same object for every session
    assert got[0].g is pretrained.load_bundled_generator("cpu")  # and the generator every other user gets
    assert not any(p.requires_grad for p in got[0].g.parameters())  # read-only: inversion only moves z


def test_an_own_generator_is_per_session_and_a_full_store_refuses_before_reading(monkeypatch, tmp_path):
    from playground.dcgan import checkpoints
    from playground.dcgan.models import Generator
    from playground.errors import SessionsFull
    from playground.ui.sessions import SessionStore, free_session, mark_page_session
    from playground.ui.dcgan import handlers as dcgan_handlers

    store = SessionStore("custom DCGAN generator", max_sessions=1)
    monkeypatch.setattr(dcgan_handlers, "_custom", store)
    monkeypatch.setattr(dcgan_handlers, "_bundled", None)
    alice, bob = _Request("page-alice"), _Request("page-bob")
    for r in (alice, bob):
        mark_page_session(r)  # two open pages: neither may push the other out
    loads = []
    monkeypatch.setattr(checkpoints, "load_generator",
                        lambda path: loads.append(path) or Generator(nz=100, ngf=4).eval())
    for name in ("alice.pt", "bob.pt"):  # the uploads exist (what is in them is the patched loader's business)
        (tmp_path / name).write_bytes(b"weights")
    try:
        dcgan_handlers.load_own_generator({"own_file": str(tmp_path / "alice.pt")}, alice)
        own = dcgan_handlers._renderer(alice)
        assert own is not dcgan_handlers._renderer(bob) and own.g.ngf == 4 and dcgan_handlers._renderer(bob).g.ngf == 64
        with pytest.raises(SessionsFull, match="1 sessions are using it"):
            dcgan_handlers.load_own_generator({"own_file": str(tmp_path / "bob.pt")}, bob)
        assert loads == [str(tmp_path / "alice.pt")]  # Bob's file was never read
    finally:
        for r in (alice, bob):
            free_session(r)


def test_the_same_request_from_many_sessions_is_computed_once_and_sent_as_one_file(client, app_url):
    from gradio_client import Client

    from playground.ui.dcgan import handlers as dcgan_handlers

    args = ("3:1, 3:2", "3:4", "3:9", 0.5, 7)  # inputs no other test uses
    before = dcgan_handlers._results.misses
    first = client.predict(*args, api_name="/dcgan_arithmetic")
    second = Client(app_url, verbose=False).predict(*args, api_name="/dcgan_arithmetic")  # another session
    assert dcgan_handlers._results.misses == before + 1
    assert first[-1] == second[-1]
    for a, b in zip(first[:5], second[:5]):  # the same bytes (the client names its downloads itself)
        assert Path(a).read_bytes() == Path(b).read_bytes()
