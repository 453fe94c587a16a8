"""The 2-D GAN lab tab through gradio_client and a real browser."""

import re
import time

import pytest

from playground.toy2d.config import ToyConfig
from playground.ui.toy2d_tab import CONFIG_FIELDS, _values_from_config
from tests.conftest import click_tab

TAB = "2-D GAN lab"


def _iteration(status: str) -> int:
    m = re.search(r"iteration ([\d,]+)", status)
    assert m, status
    return int(m.group(1).replace(",", ""))


def test_config_controls_round_trip():
    cfg = ToyConfig(loss="wgan_gp", pack=2, seed=7, dataset="grid25", n_modes=25, sigma=0.1)
    from playground.ui.toy2d_tab import _config_from_values

    assert _config_from_values(_values_from_config(cfg)).to_dict() == cfg.to_dict()
    assert len(CONFIG_FIELDS) == len(_values_from_config(cfg))


def test_step_and_reset_through_the_api(client):
    values = _values_from_config(ToyConfig(seed=3))
    args = [*values, [], ["manifold", "gradient arrows"]]
    d_img, s_img, status, *_ = client.predict(*args, api_name="/toy2d_step_it")
    assert _iteration(status) == 1
    _, _, status, *_ = client.predict(*args, api_name="/toy2d_step_it")
    assert _iteration(status) == 2  # the same session keeps its trainer
    _, _, status, *_ = client.predict(*args, api_name="/toy2d_reset")
    assert _iteration(status) == 0
    assert d_img and s_img


def test_bad_settings_give_a_clear_error(client):
    from gradio_client.exceptions import AppError

    values = _values_from_config(ToyConfig())
    values[CONFIG_FIELDS.index("lr_d")] = -1
    with pytest.raises(AppError, match="lr_d must be a number between"):
        client.predict(*values, [], [], api_name="/toy2d_step_it")


def _src(page, elem_id):
    return page.locator(f"#{elem_id} img").first.get_attribute("src")


@pytest.mark.browser
def test_play_animates_and_pause_stops(open_app_page, artifacts):
    page = open_app_page()
    click_tab(page, TAB)
    page.locator("#toy2d-play").click()
    page.locator("#toy2d-d img").first.wait_for(timeout=30_000)
    seen = set()
    for _ in range(60):
        seen.add(_src(page, "toy2d-d"))
        if len(seen) >= 4:
            break
        page.wait_for_timeout(250)
    assert len(seen) >= 4, "the discriminator heatmap did not update while playing"
    page.screenshot(path=str(artifacts / "toy2d-playing.png"), full_page=True)
    page.locator("#toy2d-pause").click()
    page.wait_for_timeout(1000)  # it must stop within a second
    frozen = _src(page, "toy2d-d")
    status = page.locator("#toy2d-status").inner_text()
    page.wait_for_timeout(1500)
    assert _src(page, "toy2d-d") == frozen, "the heatmap kept changing after Pause"
    assert page.locator("#toy2d-status").inner_text() == status

    # a second student: their own trainer, untouched by the first one's run
    other = open_app_page()
    click_tab(other, TAB)
    other.get_by_role("button", name="Step iteration").click()
    other.wait_for_function(
        "() => /iteration 1\\b/.test(document.querySelector('#toy2d-status').innerText)", timeout=30_000
    )
    assert _iteration(page.locator("#toy2d-status").inner_text()) > 1
    other.screenshot(path=str(artifacts / "toy2d-second-session.png"), full_page=True)


def test_export_then_load_a_run_and_custom_csv_data(tmp_path):
    """The tab's export/import handlers round-trip a run; a CSV becomes the custom data set."""
    import zipfile
    from types import SimpleNamespace

    from PIL import Image

    from playground.ui import toy2d_tab as T

    req = SimpleNamespace(session_hash="export-test")
    try:
        values = _values_from_config(ToyConfig(seed=5, g_width=16, d_width=16))
        show = ["manifold"]
        play = T.play.__wrapped__(req, *values, 20, [], show)
        for _ in range(3):
            next(play)
        T.pause(req)
        csv_path = T.export_csv(req)
        assert open(csv_path).readline().startswith("iteration,d_loss,g_loss")
        gif = Image.open(T.export_gif(req))
        assert gif.format == "GIF" and gif.n_frames >= 2
        saved = T.export_model(req)
        assert set(zipfile.ZipFile(saved).namelist()) == {"config.json", "model.safetensors"}
        trained = T.SESSIONS.get("export-test").trainer

        other = SimpleNamespace(session_hash="import-test")
        out = T.import_model(saved, show, other)
        loaded = T.SESSIONS.get("import-test").trainer
        assert loaded.cfg.to_dict() == trained.cfg.to_dict() and out[CONFIG_FIELDS.index("seed")] == 5
        for a, b in zip(trained.G.parameters(), loaded.G.parameters()):
            assert (a == b).all()
        bad = tmp_path / "bad.zip"
        with zipfile.ZipFile(bad, "w") as z:
            z.writestr("hello.txt", "not a run")
        with pytest.raises(Exception, match="not a saved 2-D run"):
            T.import_model(str(bad), show, other)

        csv = tmp_path / "pts.csv"
        csv.write_text("x,y\n" + "\n".join(f"{i % 7},{i % 3}" for i in range(50)))
        assert T.use_csv(str(csv), req) == "custom"
        cfg = ToyConfig(dataset="custom", seed=1)
        _, _, status, *_ = T._stepper("it").__wrapped__(req, *_values_from_config(cfg), [], show)
        assert _iteration(status) == 1
        assert T.SESSIONS.get("export-test").trainer.dataset.name == "custom"
    finally:
        T.SESSIONS.free("export-test")
        T.SESSIONS.free("import-test")


def test_diverging_training_stops_with_a_message():
    from types import SimpleNamespace

    from playground.errors import UserError
    from playground.ui import toy2d_tab as T

    req = SimpleNamespace(session_hash="nan-test")
    try:
        values = _values_from_config(ToyConfig(optimizer="sgd", lr_d=10.0, lr_g=10.0, loss="lsgan", seed=0))
        with pytest.raises(UserError, match="diverged.*learning rate"):
            play = T.play.__wrapped__(req, *values, 200, [], [])
            for _ in range(50):
                next(play)
    finally:
        T.SESSIONS.free("nan-test")


def test_slow_motion_play_advances_a_few_iterations_per_frame_and_pause_stops_it():
    from types import SimpleNamespace

    from playground.ui import toy2d_tab as T

    req = SimpleNamespace(session_hash="slow-motion")
    try:
        values = _values_from_config(ToyConfig(seed=0))
        play = T.play.__wrapped__(req, *values, 2, [], [])  # speed 2: two iterations per frame
        seen = [_iteration(next(play)[2]) for _ in range(8)]
        steps = [b - a for a, b in zip(seen, seen[1:])]
        assert seen[-1] > seen[0] and max(steps) <= 6, seen  # small steps, not chunks of 20
        T.pause(req)
        with pytest.raises(StopIteration):
            next(play)
        it = T.SESSIONS.get("slow-motion").trainer.iteration
        time.sleep(0.3)
        assert T.SESSIONS.get("slow-motion").trainer.iteration == it  # the training thread stopped
    finally:
        T.SESSIONS.free("slow-motion")
