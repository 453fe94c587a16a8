"""The 2-D GAN lab tab through gradio_client and a real browser."""

import json
import re
import time

import pytest

from playground.toy2d.config import ToyConfig
from playground.toy2d.lab import GIF_EVERY
from playground.ui.toy2d.handlers import CONFIG_FIELDS, control_values
from tests.conftest import click_tab

TAB = "2-D GAN lab"


def _iteration(status: str) -> int:
    m = re.search(r"iteration ([\d,]+)", status)
    assert m, status
    return int(m.group(1).replace(",", ""))


def _values(cfg: ToyConfig) -> list:
    """The settings' controls' values as an API client sends them (positional, in the settings' order)."""
    return list(control_values(cfg).values())


def _named(cfg: ToyConfig, **extra) -> dict:
    """A handler's inputs: the settings of ``cfg`` by name, and ``extra``."""
    return {**control_values(cfg), **extra}


def test_config_controls_round_trip():
    from playground.ui.toy2d.handlers import _config

    cfg = ToyConfig(loss="wgan_gp", pack=2, seed=7, dataset="grid25", n_modes=25, sigma=0.1)
    assert _config(_named(cfg)).to_dict() == cfg.to_dict()
    assert list(control_values(cfg)) == CONFIG_FIELDS


def test_api_parameters_carry_the_settings_names(client):
    """gradio_client users see real names (from the settings' declarations), not param_0 ... param_25."""
    params = [p["parameter_name"] for p in client.view_api(print_info=False, return_format="dict")
              ["named_endpoints"]["/toy2d_start"]["parameters"]]
    assert params == [*CONFIG_FIELDS, "speed", "freeze", "show"]


def _frame(value: str) -> dict:
    return json.loads(value)["frame"]


def test_step_and_reset_through_the_api(client):
    values = _values(ToyConfig(seed=3))
    args = [*values, [], ["manifold", "gradient arrows"]]
    lab = client.predict(*args, api_name="/toy2d_step_it")
    assert _frame(lab)["it"] == 1 and _iteration(_frame(lab)["status"]) == 1
    assert [c["title"] for c in json.loads(lab)["spec"]][0] == "Losses"  # the charts come with the picture
    lab = client.predict(*args, api_name="/toy2d_step_it")
    assert _frame(lab)["it"] == 2  # the same session keeps its trainer
    lab = client.predict(*args, api_name="/toy2d_reset")
    assert _frame(lab)["it"] == 0
    assert "New run" in _frame(lab)["status"]


def test_bad_settings_give_a_clear_error(client):
    from gradio_client.exceptions import AppError

    values = _values(ToyConfig())
    values[CONFIG_FIELDS.index("lr_d")] = -1
    with pytest.raises(AppError, match="lr_d must be a number between"):
        client.predict(*values, [], [], api_name="/toy2d_step_it")


def test_three_api_sessions_playing_at_once_all_receive_frames(app_url):
    """Three students press Play at the same moment: none waits in a queue, each gets its own frames."""
    from gradio_client import Client

    values = _values(ToyConfig(seed=0, g_width=16, d_width=16))
    clients = [Client(app_url, verbose=False) for _ in range(3)]
    jobs = [c.submit(*values, 200, [], ["manifold"], api_name="/toy2d_play") for c in clients]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and min(len(j.outputs()) for j in jobs) < 5:
        time.sleep(0.05)
    try:
        for job in jobs:
            packets = [json.loads(o) for o in job.outputs()]
            assert len(packets) >= 5, "a session received fewer than 5 frames in a minute"
            its = [p["frame"]["it"] for p in packets]
            assert its == sorted(its) and its[-1] > its[0]
            assert len({p["token"] for p in packets}) == 1
        assert len({json.loads(j.outputs()[0])["token"] for j in jobs}) == 3  # three separate runs
    finally:
        for c in clients:
            c.predict(api_name="/toy2d_pause")
    for job in jobs:  # Pause ends each stream with its last frame
        assert json.loads(job.result(timeout=30))["state"] == "stopped"


def test_the_frame_route_serves_a_run_frame_by_frame(client, app_url):
    """The page's pull (``GET /toy2d/frame?token=…&after=N``): each answer is a newer frame of that run, the
    frame decodes, and an unknown token or a junk ``after`` gets an answer, never a server error."""
    import httpx

    from playground.toy2d.frames import snapshot_from_frame

    values = _values(ToyConfig(seed=0, g_width=16, d_width=16))
    token = json.loads(client.predict(*values, 200, [], ["manifold"], api_name="/toy2d_start"))["token"]
    try:
        with httpx.Client(base_url=app_url, timeout=30) as http:
            seqs, its, seq = [], [], 0
            for _ in range(4):
                r = http.get("toy2d/frame", params={"token": token, "after": seq})
                assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
                p = r.json()
                assert p["token"] == token and p["state"] == "running" and p["seq"] > seq
                seq = p["seq"]
                seqs.append(seq)
                its.append(p["frame"]["it"])
                assert snapshot_from_frame(p["frame"])["fake"].shape[1] == 2
            assert seqs == sorted(set(seqs)) and its == sorted(its) and its[-1] > its[0]
            gone = http.get("toy2d/frame", params={"token": "no-such-run", "after": "x"}).json()
            assert gone["state"] == "gone" and gone["frame"] is None
            assert http.get("toy2d/frame").json()["state"] == "gone"
    finally:
        client.predict(api_name="/toy2d_pause")


def _lab(page):
    return page.locator("#toy2d-lab [data-frames]")


# the D canvas's pixels: how many are the boundary's near-black, and a digest to see it change
CANVAS_PROBE = """() => {
  const c = document.querySelector('#toy2d-lab canvas.lab2d-d');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let dark = 0, sum = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 45 && d[i + 1] < 45 && d[i + 2] < 45) dark++;
    sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007;
  }
  return [dark, sum];
}"""


@pytest.mark.browser
def test_play_animates_the_canvas_and_pause_stops(open_app_page, artifacts):
    page = open_app_page()
    click_tab(page, TAB)
    _lab(page).wait_for(state="attached", timeout=30_000)
    assert _lab(page).get_attribute("data-iteration") == "0"  # alive on arrival: iteration 0 is drawn
    dark0, _ = page.evaluate(CANVAS_PROBE)
    pulls = []
    page.on("request", lambda r: pulls.append(r.url) if "/toy2d/frame?" in r.url else None)
    page.locator("#toy2d-play").click()
    page.wait_for_function("() => document.querySelector('#toy2d-lab [data-state]').dataset.state === 'running'",
                           timeout=30_000)
    seen = set()
    for _ in range(80):
        seen.add(page.evaluate(CANVAS_PROBE)[1])
        if len(seen) >= 5:
            break
        page.wait_for_timeout(100)
    assert len(seen) >= 5, "the discriminator canvas did not change while playing"
    assert len(pulls) >= 5, "the page did not pull its frames from the plain frame route"
    # the charts are drawn in the page and keep up with the picture: their newest point (a row is logged every
    # 100 iterations) is never more than 2 s of training behind the iteration shown
    events = []
    page.on("request", lambda r: events.append(r.url) if "/queue/join" in r.url else None)
    lags = []
    for _ in range(10):
        page.wait_for_timeout(300)
        shown, last, rate = page.evaluate(r"""() => {
          const it = Number(document.querySelector('#toy2d-lab [data-iteration]').dataset.iteration);
          const m = /([\d,]+) it\/s/.exec(document.querySelector('#toy2d-status').innerText);
          return [it, Number(document.querySelector('.lab2d-charts').dataset.lastIteration),
                  m ? Number(m[1].replace(/,/g, '')) : 0]; }""")
        lags.append((shown, last, rate))
        if rate:  # 2 s of training at the rate the status line shows, plus the 100 iterations between two rows
            assert shown - last <= 2 * rate + 100, lags
    assert lags[-1][1] >= 500, f"the charts did not grow while playing: {lags}"
    assert page.locator(".lab2d-chart svg path").count() >= 5  # the curves, as SVG paths
    assert events == [], f"the page sent Gradio events while playing: {events}"
    dark, _ = page.evaluate(CANVAS_PROBE)
    assert dark > 100 and dark0 > 100, "no decision boundary (D = ½ contour) drawn"
    page.screenshot(path=str(artifacts / "toy2d-playing.png"), full_page=True)
    page.locator("#toy2d-pause").click()
    page.wait_for_function("() => document.querySelector('#toy2d-lab [data-state]').dataset.state === 'stopped'",
                           timeout=1_000)  # it must stop within a second
    frozen, it = page.evaluate(CANVAS_PROBE)[1], _lab(page).get_attribute("data-iteration")
    page.wait_for_timeout(1000)
    assert page.evaluate(CANVAS_PROBE)[1] == frozen, "the canvas kept changing after Pause"
    assert _lab(page).get_attribute("data-iteration") == it and int(it) > 0
    assert "Paused" in page.locator("#toy2d-status").inner_text()

    # a second student: their own trainer, untouched by the first one's run
    other = open_app_page()
    click_tab(other, TAB)
    other.get_by_role("button", name="Step iteration").click()
    other.wait_for_function("() => document.querySelector('#toy2d-lab [data-iteration]').dataset.iteration === '1'",
                            timeout=30_000)
    assert _lab(page).get_attribute("data-iteration") == it
    other.screenshot(path=str(artifacts / "toy2d-second-session.png"), full_page=True)


def _play(T, req, cfg, speed=200, show=("manifold",), frames=8):
    """Start Play of ``cfg`` through the tab's handler and follow its frames as the page would; the packets."""
    from playground.toy2d.scheduler import get_scheduler

    value = T.start(_named(cfg, speed=speed, freeze=[], show=list(show)), req)["lab"]
    token = json.loads(value)["token"]
    run = get_scheduler().get(token)
    packets, seq = [], 0
    deadline = time.monotonic() + 60
    while len(packets) < frames and time.monotonic() < deadline:
        p = get_scheduler().wait_frame(run, seq, timeout=5)
        if p["seq"] > seq:
            seq = p["seq"]
            packets.append(p)
        if p["state"] != "running":
            packets.append(p)
            break
    return run, packets


def test_export_then_load_a_run_and_custom_csv_data(tmp_path):
    """The tab's export/import handlers round-trip a run; a CSV becomes the custom data set."""
    import zipfile
    from types import SimpleNamespace

    from PIL import Image

    from playground.ui.toy2d import handlers as T

    req = SimpleNamespace(session_hash="export-test")
    try:
        show = ["manifold"]
        _play(T, req, ToyConfig(seed=5, g_width=16, d_width=16), frames=3 * GIF_EVERY + 1)
        assert T.pause({}, req) == {}
        csv_path = T.export_csv({}, req)["export_file"]
        assert open(csv_path).readline().startswith("iteration,d_loss,g_loss")
        gif = Image.open(T.export_gif({}, req)["export_file"])
        assert gif.format == "GIF" and gif.n_frames >= 2
        saved = T.export_model({}, req)["export_file"]
        assert set(zipfile.ZipFile(saved).namelist()) == {"config.json", "model.safetensors"}
        trained = T.SESSIONS.get("export-test").trainer

        other = SimpleNamespace(session_hash="import-test")
        out = T.import_model({"load_file": saved, "show": show}, other)
        loaded = T.SESSIONS.get("import-test").trainer
        assert loaded.cfg.to_dict() == trained.cfg.to_dict() and out["seed"] == 5
        assert set(out) == {*CONFIG_FIELDS, "lab"}
        assert json.loads(out["lab"])["frame"]["it"] == trained.iteration
        for a, b in zip(trained.G.parameters(), loaded.G.parameters()):
            assert (a == b).all()
        bad = tmp_path / "bad.zip"
        with zipfile.ZipFile(bad, "w") as z:
            z.writestr("hello.txt", "not a run")
        with pytest.raises(Exception, match="not a saved 2-D run"):
            T.import_model({"load_file": str(bad), "show": show}, other)

        csv = tmp_path / "pts.csv"
        csv.write_text("x,y\n" + "\n".join(f"{i % 7},{i % 3}" for i in range(50)))
        assert T.use_csv({"csv_file": str(csv)}, req) == {"dataset": "custom"}
        cfg = ToyConfig(dataset="custom", seed=1)
        lab = T.step_it(_named(cfg, freeze=[], show=show), req)["lab"]
        assert _frame(lab)["it"] == 1
        assert T.SESSIONS.get("export-test").trainer.dataset.name == "custom"
    finally:
        T.SESSIONS.free("export-test")
        T.SESSIONS.free("import-test")


def test_diverging_training_stops_with_a_message():
    from types import SimpleNamespace

    from playground.ui.toy2d import handlers as T

    req = SimpleNamespace(session_hash="nan-test")
    try:
        cfg = ToyConfig(optimizer="sgd", lr_d=10.0, lr_g=10.0, loss="lsgan", seed=0)
        run, packets = _play(T, req, cfg, frames=10_000)
        assert packets[-1]["state"] == "error"
        assert re.search("diverged.*learning rate", packets[-1]["error"])
    finally:
        T.SESSIONS.free("nan-test")


def test_slow_motion_play_advances_a_few_iterations_per_frame_and_pause_stops_it():
    from types import SimpleNamespace

    from playground.ui.toy2d import handlers as T

    req = SimpleNamespace(session_hash="slow-motion")
    try:
        run, packets = _play(T, req, ToyConfig(seed=0), speed=2, frames=6)  # speed 2: at most two iterations per frame
        its = [p["frame"]["it"] for p in packets]
        steps = [b - a for a, b in zip(its, its[1:])]
        assert its[-1] > its[0] and max(steps) <= 2, its
        T.pause({}, req)
        _, end = _follow_to_end(run)
        assert end["state"] == "stopped" and end["reason"] == "paused"
        assert T.SESSIONS.get("slow-motion").trainer.iteration == end["frame"]["it"]  # training stopped there
    finally:
        T.SESSIONS.free("slow-motion")


def _follow_to_end(run):
    from playground.toy2d.scheduler import get_scheduler

    p = run.packet()
    deadline = time.monotonic() + 10
    while p["state"] == "running" and time.monotonic() < deadline:
        p = get_scheduler().wait_frame(run, p["seq"], timeout=1)
    return run, p


def test_careless_or_hostile_values_get_sentences(client):
    """Strings, NaN and huge numbers sent to the 2-D lab's controls through the API: a sentence naming the
    setting, never "Something went wrong"."""
    from gradio_client.exceptions import AppError

    from types import SimpleNamespace

    from playground.errors import UserError
    from playground.ui.toy2d import handlers as T

    base = _values(ToyConfig())
    # NaN cannot travel through gradio_client's JSON; a raw request can: the handler itself must cope
    req = SimpleNamespace(session_hash="nan-values")
    with pytest.raises(UserError, match="n_modes must be a whole number"):
        T.step_it(_named(ToyConfig(), n_modes=float("nan"), freeze=[], show=[]), req)
    with pytest.raises(UserError, match="The speed must be a whole number"):
        T.start(_named(ToyConfig(), speed=float("nan"), freeze=[], show=[]), req)
    T.SESSIONS.free("nan-values")
    cases = {
        "n_modes": ("many", "n_modes must be a whole number"),
        "seed": (2**63, "seed must be a whole number between 0 and"),
        "lr_g": ("x" * 10_000, "lr_g must be a number"),
        "dataset": ("../../etc/passwd", "dataset must be one of"),
    }
    for name, (bad, message) in cases.items():
        values = list(base)
        values[CONFIG_FIELDS.index(name)] = bad
        with pytest.raises(AppError, match=message) as err:
            client.predict(*values, [], [], api_name="/toy2d_step_it")
        assert len(str(err.value)) < 400  # the offending value is quoted short
    with pytest.raises(AppError, match="The speed must be a whole number"):
        client.predict(*base, "fast", [], [], api_name="/toy2d_start")


def test_a_drawing_bomb_and_a_zip_bomb_are_refused_before_decoding(tmp_path):
    import zipfile
    from types import SimpleNamespace

    from playground.ui.toy2d import handlers as T
    from tests.bad_files import png_header_only

    req = SimpleNamespace(session_hash="bombs")
    try:
        big = png_header_only(tmp_path / "huge.png", 20000, 20000)  # 400 megapixels declared, a few bytes sent
        with pytest.raises(Exception, match="(?i)pixels|too large"):
            T.use_drawing({"sketch": {"composite": str(big), "layers": [], "background": None}}, req)
        bomb = tmp_path / "bomb.zip"
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("config.json", "{" + " " * (20 * 2**20) + "}")  # 20 MB of spaces, ~20 KB compressed
            z.writestr("model.safetensors", b"\0" * 16)
        with pytest.raises(Exception, match="bomb.zip: entry 'config.json' is compressed .* zip bomb"):
            T.import_model({"load_file": str(bomb), "show": []}, req)
    finally:
        T.SESSIONS.free("bombs")


LINK = "?tab=toy2d&preset=Cure%3A%20PacGAN&seed=3&hide=networks,optimisation,compare&lock=1&autoplay=1&steps=300"


@pytest.mark.browser
def test_a_share_link_opens_the_exact_run_twice_with_groups_hidden(browser, app_url, artifacts):
    """A teacher's link: the preset and seed restored, named groups hidden, settings locked, training starts
    by itself and stops at 300 iterations; two students opening it see the same run to the last digit."""
    from tests.conftest import open_page

    finals = []
    for k in range(2):
        context, page, log = open_page(browser, app_url + LINK)
        try:
            page.wait_for_function(
                "() => document.querySelector('#toy2d-lab [data-state]')?.dataset.state === 'stopped' && "
                "document.querySelector('#toy2d-lab [data-iteration]').dataset.iteration === '300'", timeout=60_000)
            assert "link asked for" in page.locator("#toy2d-status").inner_text()
            assert page.locator("#toy2d-pack input[type=number]").is_disabled()  # locked to the preset
            assert not page.get_by_text("Networks", exact=True).is_visible()  # hidden groups
            assert not page.get_by_text("Optimisation", exact=True).is_visible()
            assert page.get_by_text("Objective", exact=True).is_visible()
            finals.append(page.locator("#toy2d-status").inner_text().split("·", 1)[1])  # after "iteration 300"
            if k == 0:
                page.screenshot(path=str(artifacts / "toy2d-student-link.png"), full_page=True)
        finally:
            errors = log.errors()
            context.close()
        assert not errors, errors
    assert finals[0] == finals[1], finals  # same link, same run: losses and mode metrics identical


def test_copy_link_round_trips_the_controls():
    from types import SimpleNamespace

    from playground import share
    from playground.ui.toy2d import handlers as T

    cfg = ToyConfig(dataset="grid25", n_modes=16, loss="hinge", g_width=48, lr_d=3e-4, seed=42)
    v = _named(cfg, preset_name=None, link_hide=["export"], link_lock=False, link_big=True,
               link_autoplay=True, link_steps=1000)
    query = T.make_link(v, SimpleNamespace(session_hash="link"))
    tab, state, options, notes = share.parse_query(query)
    assert tab == "toy2d" and not notes
    assert share.toy2d_config(state).to_dict() == cfg.to_dict()
    assert options["hide"] == ("export",) and options["big"] and options["autoplay"] and options["steps"] == 1000


@pytest.mark.parametrize("dataset, modes", [("ring8", 8), ("grid25", 25), ("three_blobs", 3), ("line", 8)])
def test_picking_a_data_set_shows_the_modes_it_is_built_with(dataset, modes):
    """The mode count the control shows is the one the data set is built with when the count is left empty (a
    curve has no count: the slider keeps its own default)."""
    from playground.toy2d.data import make_dataset
    from playground.ui.toy2d import handlers as T

    assert T.default_modes({"dataset": dataset}) == {"n_modes": modes}
    built = make_dataset(ToyConfig(dataset=dataset))
    if built.centers is not None:
        assert len(built.centers) == modes


def test_a_compare_presets_link_chooses_that_comparison():
    """A teacher's link to a comparison opens the page with that comparison chosen and its story shown (it used to
    leave the first comparison chosen, so *Train A and B* trained another pair than the note named)."""
    from playground import share
    from playground.toy2d.presets import COMPARE_PRESETS
    from playground.ui.toy2d import handlers as T

    name = "Compare: plain vs conditional G (labels)"
    tab, state, options, notes = share.parse_query(share.build_link("", "toy2d", {"preset": name}, {}))
    assert (tab, notes) == ("toy2d", [])
    out = T.link_values(state, options)
    assert out["choice"] == name and out["cmp_note"] == COMPARE_PRESETS[name]["description"]
    assert out["custom_b"]["visible"] is False and name in out["preset_note"]
    assert "choice" not in T.link_values(share.parse_query("?tab=toy2d&preset=Mode%20collapse")[1], options)


def test_choosing_a_preset_shows_its_run_at_iteration_0_and_pauses_the_old_one():
    """The old run must not stay on screen under the new preset's story (issue #19): the pictures become the
    preset's run at iteration 0 (the same points as a fresh trainer of its settings) and the old run pauses."""
    from types import SimpleNamespace

    from playground.toy2d.lab import still_frame
    from playground.toy2d.presets import PRESETS
    from playground.toy2d.trainer import Trainer
    from playground.ui.toy2d import handlers as T

    req = SimpleNamespace(session_hash="preset-test")
    try:
        _play(T, req, ToyConfig(seed=5, g_width=16, d_width=16), frames=3)
        assert T.SESSIONS.get("preset-test").run.running
        out = T.load_preset({"preset": "Mode collapse"}, req)
        value = json.loads(out["lab"])
        assert value["frame"]["it"] == 0 and value["state"] == "stopped" and value["rows"] == []
        assert "Mode collapse" in value["frame"]["status"]
        cfg = PRESETS["Mode collapse"]["config"]
        assert out["lr_d"] == cfg.lr_d and out["d_steps"] == cfg.d_steps
        assert out["preset_name"] == "Mode collapse" and out["preset_note"].startswith("**Mode collapse.**")
        assert value["frame"]["fake"] == still_frame(Trainer(cfg))["fake"]
        deadline = time.monotonic() + 5
        while T.SESSIONS.get("preset-test").run.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not T.SESSIONS.get("preset-test").run.running
        optimal_d = T.load_preset({"preset": "Optimal D"}, req)
        assert "frozen: G" in json.loads(optimal_d["lab"])["frame"]["status"] and optimal_d["freeze"] == ["freeze G"]
        assert T.load_preset({"preset": None}, req) == {}  # no preset picked: nothing changes
    finally:
        T.SESSIONS.free("preset-test")


@pytest.mark.browser
def test_a_bad_link_shows_a_note_naming_each_replaced_value(browser, app_url, artifacts):
    """A mistyped link must not show a class a different run without a word (issue #19): a note under the
    header lists each value replaced by its default. The visitor's text in it stays text."""
    from tests.conftest import open_page

    bad = "?tab=toy2d&lr_d=abc&dataset=nope&seed=-5&loss=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    context, page, log = open_page(browser, app_url + bad)
    try:
        note = page.locator("#link-notes .link-notes")
        note.wait_for(timeout=15_000)
        text = note.inner_text()
        for value in ("lr_d = 'abc'", "dataset = 'nope'", "seed = '-5'", "loss = '<img src=x onerror=alert(1)>'"):
            assert value in text, text
        assert "4 value(s)" in text
        assert page.locator("#link-notes img").count() == 0  # shown as text, never as markup
        page.screenshot(path=str(artifacts / "toy2d-bad-link-note.png"))
        good_context, good, _ = open_page(browser, app_url + "?tab=toy2d&seed=3")
        try:
            good.wait_for_timeout(3000)
            assert not good.locator("#link-notes .link-notes").is_visible()  # a good link: no note
        finally:
            good_context.close()
    finally:
        context.close()


PROJECTOR_PARTS = ("canvas.lab2d-d", "canvas.lab2d-ds", "#toy2d-status", "#toy2d-play", "#toy2d-pause",
                   "#toy2d-buttons button:nth-child(5)", ".lab2d-row .lab2d-chart:nth-child(3) svg")


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_the_projector_view_fits_the_story_on_one_screen(browser, app_url, artifacts, size):
    """``big=1`` (and the Present button's link): D and D* side by side, the status line, Play/Pause/Step and one
    chart, every one fully inside the viewport without scrolling, in large type (issue #19)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        page.goto(app_url + "?tab=toy2d&preset=Mode%20collapse&big=1")  # the header is hidden in this view
        page.wait_for_function("() => document.body.classList.contains('gp-big')", timeout=30_000)
        page.locator("#toy2d-play").click()
        page.wait_for_function("() => Number(document.querySelector('#toy2d-lab [data-iteration]').dataset.iteration) > 300",
                               timeout=30_000)
        assert page.locator("#toy2d-buttons button:nth-child(5)").inner_text().strip() == "Step iteration"
        w, h = size
        # all at once: the charts are redrawn a few times a second
        boxes = page.evaluate("""(sels) => Object.fromEntries(sels.map((s) => {
            const e = document.querySelector(s); const r = e && e.getBoundingClientRect();
            return [s, r && r.width > 0 ? {x: r.x, y: r.y, width: r.width, height: r.height} : null]; }))""",
                              list(PROJECTOR_PARTS))
        for sel, b in boxes.items():
            assert b is not None, f"{sel} is not shown"
            assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= w and b["y"] + b["height"] <= h, (sel, b)
        d, ds = boxes["canvas.lab2d-d"], boxes["canvas.lab2d-ds"]
        assert abs(d["y"] - ds["y"]) < 40 and ds["x"] >= d["x"] + d["width"], "D and D* are not side by side"
        assert min(d["width"], ds["width"]) >= 280, "the pictures are too small to read on a projector"
        sizes = page.evaluate("""() => [document.querySelector('#toy2d-play'), document.querySelector('button[role=tab]'),
                                        document.querySelector('.lab2d-row .lab2d-chart:nth-child(3) svg text')]
                                       .map((e) => parseFloat(getComputedStyle(e).fontSize))""")
        assert sizes[0] >= 20 and sizes[1] >= 20 and sizes[2] >= 14, sizes
        assert page.evaluate("() => window.scrollY") == 0
        page.screenshot(path=str(artifacts / f"toy2d-projector-{w}x{h}.png"))
    finally:
        context.close()


def test_present_builds_the_projector_link_of_this_run():
    from playground import share
    from playground.ui.toy2d import handlers as T

    v = _named(ToyConfig(seed=9), preset_name=None, link_hide=[], link_lock=False, link_big=False,
               link_autoplay=False, link_steps=None)
    tab, state, options, notes = share.parse_query(T.present(v, None)["link_box"].lstrip("?"))
    assert tab == "toy2d" and options["big"] and state["seed"] == 9 and notes == []


@pytest.mark.browser
def test_play_pause_and_step_are_the_first_tab_stops_of_the_lab(page):
    """Keyboard users reach Play within 5 Tab presses of the tab's own button, then Pause and the steps, with no
    list opened over them (issue #19); Enter on Play plays."""
    click_tab(page, TAB)
    _lab(page).wait_for(state="attached", timeout=30_000)
    page.get_by_role("tab", name=TAB).focus()
    reached = []
    for _ in range(9):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.innerText.trim()"))
    assert "▶ Play" in reached[:5], reached
    i = reached.index("▶ Play")
    assert reached[i + 1:i + 5] == ["⏸ Pause", "Step D", "Step G", "Step iteration"], reached
    assert page.locator("ul.options, [role=listbox]").count() == 0 or not page.locator("[role=listbox]").first.is_visible()
    page.get_by_role("tab", name=TAB).focus()
    for _ in range(i + 1):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => Number(document.querySelector('#toy2d-lab [data-iteration]').dataset.iteration) > 0",
                           timeout=30_000)
    page.locator("#toy2d-pause").click()
