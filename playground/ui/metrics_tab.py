"""The Metrics tab: upload generated and real images, get FID, KID, IS and precision/recall, explained.

All computation lives in ``playground.metrics``; this module wires uploads to
``compute_metrics`` and draws the pictures. Each browser session keeps its own feature cache (a
second click on the same files is instant) and the uploaded files are deleted when the session ends.

The shared app caps one request's work (images per set, seconds: :class:`WorkLimits`) and stops it
when its page or API client goes away, so one upload cannot hold the only metrics worker for minutes;
whoever waits behind it sees their place in the queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from playground.device import get_device
from playground.errors import RequestCancelled, UserError
from playground.metrics import MODES
from playground.metrics.analysis import class_histogram, fid_vs_sample_size, nearest_real_neighbours, pca_2d
from playground.metrics.compute import IS_MIN_PER_SPLIT, IS_SPLITS, compute_metrics
from playground.metrics.examples import EXAMPLES, example_sets
from playground.metrics.features import FeatureCache
from playground.metrics.io import decode_rgb
from playground.metrics.limits import WorkLimits
from playground.sessions import SessionStore
from playground.ui import metrics_handlers as h
from playground.ui.common import explain, named_inputs, session_key, user_errors
from playground.ui.pictures import picture_file
from playground.ui.toy2d_tab import COPY_LINK_JS

log = logging.getLogger("playground.ui.metrics")

TITLE = "Metrics"
# One request's share of the shared app (the CLI has no caps). On 2 CPU cores the network runs at ~3
# images/s, so ~360 images fit in the time; on a GPU the image cap binds first.
APP_MAX_IMAGES_PER_SET = 1000
APP_MAX_SECONDS = 120
MAX_UPLOAD_FILES = APP_MAX_IMAGES_PER_SET
STABLE_N = 2048  # below the feature dimension the covariance is singular and FID clearly biased


def _device() -> str:
    """CUDA when there is one; else the CPU (the converted TF Inception network is untested on MPS)."""
    return "cuda" if get_device().type == "cuda" else "cpu"


# Gradio stores an upload under a name derived from its content, so two sessions that upload the same
# file get the same path: a file is deleted only when the last session that uploaded it is gone.
_upload_owners: dict[str, set[int]] = {}
_owners_lock = threading.Lock()


class _Session:
    """What one browser session holds: its feature cache and the upload paths to delete at the end."""

    def __init__(self):
        self.cache = FeatureCache(max_items=8)
        self.uploads: set[str] = set()
        self.lock = threading.Lock()  # one computation at a time per session
        self.closed = threading.Event()  # the store dropped the session: tab closed or evicted

    def claim(self, paths: list[str]) -> None:
        with _owners_lock:
            for p in paths:
                self.uploads.add(p)
                _upload_owners.setdefault(p, set()).add(id(self))

    @contextmanager
    def computing(self):
        """Hold the session for one computation; a session dropped meanwhile is cleaned up at the end."""
        try:
            with self.lock:
                if self.closed.is_set():
                    raise RequestCancelled("This session was closed; reload the page.")
                yield
        finally:
            if self.closed.is_set():
                self._delete()

    def forget(self) -> None:
        """Drop the cache and delete the uploads, now or (when a computation runs) when it stops."""
        self.closed.set()  # a running computation sees this at its next batch and stops
        if not self.lock.locked():
            self._delete()

    def _delete(self) -> None:
        self.cache.clear()
        orphans = []
        with _owners_lock:
            for p in self.uploads:
                owners = _upload_owners.get(p, set())
                owners.discard(id(self))
                if not owners:
                    _upload_owners.pop(p, None)
                    orphans.append(p)
            self.uploads.clear()
        for p in orphans:
            try:
                os.unlink(p)
                parent = Path(p).parent
                if parent.name and not any(parent.iterdir()):
                    parent.rmdir()  # Gradio puts each upload in its own folder
            except OSError:
                pass


_sessions: SessionStore[_Session] = SessionStore(
    "metrics tab", max_sessions=32, idle_seconds=30 * 60, on_free=lambda s: s.forget()
)
_example_cache = FeatureCache(max_items=8)  # the bundled examples are the same for everyone


def _client_gone() -> bool:
    """True once Gradio has marked this request's queue event dead: its page or API client disconnected.

    Gradio then stops generators and drops queued events, but a plain function keeps running in its
    thread; the feature loop asks this after every batch. (Gradio internals: the event id of the
    running handler and the queue's active jobs; any change there makes this answer False, never fail.)
    """
    try:
        from gradio.context import LocalContext

        blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
        if blocks is None or event_id is None:
            return False
        for job in blocks._queue.active_jobs:
            for event in job or ():
                if event._id == event_id:
                    return not event.alive
    except Exception:  # noqa: BLE001 - best effort only
        log.debug("could not read the event state", exc_info=True)
    return False


def _limits(closed: threading.Event | None = None) -> WorkLimits:
    """The shared app's caps for one request; it stops when the client leaves or the session ends."""
    return WorkLimits(
        max_images_per_set=APP_MAX_IMAGES_PER_SET,
        max_seconds=APP_MAX_SECONDS,
        should_stop=lambda: _client_gone() or (closed is not None and closed.is_set()),
    )


INTRO = """
### Measuring a GAN
A GAN has no likelihood to report, so we compare **sets of images** instead: the images are passed
through an Inception network trained on ImageNet and the metrics compare the resulting 2048-number
feature vectors. Upload a folder's worth of **generated** images and of **real** images (or a `.zip`,
or a pytorch-fid `.npz` of real statistics), or click an example below.
"""

TEACH = f"""
**Inception Score (IS)** looks only at the generated images. Each image should be classified
confidently (a peaked p(y|x)) and, over the set, all classes should be used (a flat p(y)).
IS = exp(E KL(p(y|x) ‖ p(y))). Worst value **1** (every image gets the same prediction); best value
the number of classes (**1008** here) — each image one confident class, all classes equally often.
IS is averaged over {IS_SPLITS} splits of the set, and a split of n images can never score above n
(p(y) mixes only n predictions): 10 images in 10 splits would always give exactly 1. So small sets get
fewer splits of at least {IS_MIN_PER_SPLIT} images (one split below {IS_SPLITS * IS_MIN_PER_SPLIT}
images); the table says how many and the best value possible. Published IS use 50,000 images.
IS never looks at real data, so it cannot tell you that your faces look unlike real faces.

**Fréchet Inception Distance (FID)** fits a Gaussian (mean μ, covariance Σ) to the features of each
set and measures the distance between the two Gaussians:
|μ_r − μ_g|² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½). 0 means identical statistics; lower is better.
**Why many samples?** Σ has 2048 × 2048 entries. With fewer than 2048 images it is singular, and
every estimate is *biased upwards* — the same generator scores worse with fewer images. Published
FIDs use 10,000–50,000 images; only compare FIDs computed with the same N and the same resize
convention (the three conventions differ by several FID points on the same images).

**Kernel Inception Distance (KID)** is an unbiased estimate of the squared MMD between the feature
sets (cubic polynomial kernel), so it does not drift with N — better for small sets. It can be
slightly negative when the sets are alike.

**Precision / recall** (k = 3): precision = share of generated images that fall inside the real
images' k-nearest-neighbour balls (realism); recall = share of real images covered by the generated
balls (diversity; low recall = mode collapse). **Density / coverage** (k = 5) are the
outlier-robust versions (Naeem et al. 2020).
"""

MODE_HELP = {
    "clean": "clean-fid's default: PIL bicubic resize to 299×299 with antialiasing, no rounding.",
    "legacy_tensorflow": "The original TF FID and StyleGAN: TF1 bilinear resize (aliases when shrinking).",
    "legacy_pytorch": "pytorch-fid's numbers: torch bilinear resize, align_corners=False.",
}

READING = {
    "fid": "lower is better; 0 = same feature statistics",
    "kid": "lower is better; ≈0 for the same distribution (unbiased)",
    "is": "higher is better; 1 = worst, 1008 = best possible",
    "precision": "share of fakes that look real (0–1)",
    "recall": "share of reals the fakes cover (0–1)",
    "density": "≈1 when fakes are as dense as reals; >1 crowded",
    "coverage": "share of real neighbourhoods with a fake (0–1)",
}

EMPTY_TABLE = [["—", "—", "—"]]


def _paths(files) -> list[str]:
    if not files:
        return []
    if not isinstance(files, (list, tuple)):
        files = [files]
    out = []
    for f in files:
        p = (
            f
            if isinstance(f, str)
            else getattr(f, "name", None) or (f.get("path") if isinstance(f, dict) else None)
        )
        if p:
            out.append(str(p))
    if len(out) > MAX_UPLOAD_FILES:
        raise UserError(
            f"{len(out)} files is more than this page accepts ({MAX_UPLOAD_FILES}); zip them or use the CLI."
        )
    return out


def _fmt(x, digits=4):
    return "—" if x is None else f"{x:.{digits}g}"


def _is_cells(v) -> list[str]:
    """Value and reading of the IS row: with fewer than 10 splits, how many and the best value possible."""
    splits, size = v.get("is_splits", IS_SPLITS), v.get("is_split_size")
    if splits == 1:
        value = f"{v['is_mean']:.3f} (1 split: no ±)"
    else:
        value = f"{v['is_mean']:.3f} ± {v['is_std']:.3f}"
    if size is None or splits == IS_SPLITS and size >= IS_MIN_PER_SPLIT:
        return [value, READING["is"]]
    best = min(1008, size)
    return [
        value,
        f"higher is better; 1 = worst, {best} = best possible with {splits} split{'s' if splits > 1 else ''} "
        f"of {size} images (a split cannot score above its size)",
    ]


def _table(report) -> list[list[str]]:
    v = report.values
    rows = []
    if "fid" in v:
        rows.append([f"FID ({report.mode})", f"{v['fid']:.2f}", READING["fid"]])
    if "kid_mean" in v:
        rows.append(["KID", f"{v['kid_mean']:.4f} ± {v['kid_std']:.4f}", READING["kid"]])
    if "is_mean" in v:
        rows.append(["Inception Score (generated)", *_is_cells(v)])
    for key, name in (
        ("precision", "Precision (k=3)"),
        ("recall", "Recall (k=3)"),
        ("density", "Density (k=5)"),
        ("coverage", "Coverage (k=5)"),
    ):
        if key in v:
            rows.append([name, _fmt(v[key], 3), READING[key]])
    rows.append(
        [
            "Images used",
            f"{v['n_fake']} generated / "
            + (f"{v['n_real']} real" if v["n_real"] is not None else "real = statistics file"),
            "skipped files are listed below",
        ]
    )
    rows.append(["Convention", report.mode, MODES[report.mode]])
    return rows


def _notes(report) -> str:
    lines = []
    for label, res in (("generated", report.fake), ("real", report.real)):
        if res is not None:
            rate = f"{res.images_per_second:.1f} images/s" if not res.cached else "cached, instant"
            lines.append(f"- {label}: {len(res.names)} images ({rate})")
            for name, why in res.skipped[:20]:
                lines.append(f"  - skipped `{name}`: {why}")
            if len(res.skipped) > 20:
                lines.append(f"  - … and {len(res.skipped) - 20} more skipped")
    for n in report.notes:
        lines.append(f"- ⚠️ {n}")
    return "\n".join(lines)


def _pca_figure(report):
    if report.real is None:
        return None
    r, f, ratio = pca_2d(report.real.features, report.fake.features)
    fig = go.Figure()
    fig.add_scatter(
        x=r[:, 0],
        y=r[:, 1],
        mode="markers",
        name="real",
        marker=dict(size=9, color="#1f77b4"),
        text=report.real.names,
        hovertemplate="%{text}<extra>real</extra>",
    )
    fig.add_scatter(
        x=f[:, 0],
        y=f[:, 1],
        mode="markers",
        name="generated",
        marker=dict(size=9, color="#ff7f0e", symbol="diamond"),
        text=report.fake.names,
        hovertemplate="%{text}<extra>generated</extra>",
    )
    fig.update_layout(
        title=f"Inception features, first two principal axes ({100 * ratio.sum():.0f}% of the variance)",
        xaxis_title="PC 1",
        yaxis_title="PC 2",
        height=380,
        margin=dict(l=40, r=10, t=50, b=40),
        legend=dict(orientation="h", y=-0.2),
        uirevision="pca",
    )
    return fig


def _fid_n_figure(report):
    if report.real is None or "fid" not in report.values:
        return None
    rows = fid_vs_sample_size(report.real.features, report.fake.features)
    if not rows:
        return None
    n, mean, std = (np.array(c) for c in zip(*rows))
    fig = go.Figure()
    fig.add_scatter(
        x=n,
        y=mean,
        mode="lines+markers",
        name="FID of random subsets",
        error_y=dict(type="data", array=std, visible=True),
    )
    n_max = int(n.max())
    title = "FID against the number of images per set"
    if n_max < STABLE_N:
        title += f"<br><sup>⚠️ N = {n_max} < 2048: FID is biased upwards here and still falling</sup>"
    fig.update_layout(
        title=title,
        xaxis_title="images per set (N)",
        yaxis_title="FID",
        xaxis_type="log",
        height=380,
        margin=dict(l=40, r=10, t=60, b=40),
        uirevision="fidn",
    )
    return fig


def _thumb(ref, size=64) -> np.ndarray:
    try:
        im = Image.fromarray(decode_rgb(ref.read_bytes()))
    except (OSError, ValueError):
        im = Image.new("RGB", (size, size), (200, 200, 200))
    im.thumbnail((size, size))
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(im, ((size - im.width) // 2, (size - im.height) // 2))
    return np.asarray(canvas)


def _neighbours_image(report, n_fakes=4, k=3):
    """Rows: a generated image, a gap, then its k nearest real images in feature space."""
    if report.real is None or report.fake_set is None or report.real_set is None:
        return None, ""
    order, dist, yard = nearest_real_neighbours(report.real.features, report.fake.features, n_fakes, k)
    # Feature rows map to images by position (names may repeat, e.g. two uploads called img.png).
    fake_refs = [report.fake_set.images[i] for i in report.fake.rows]
    real_refs = [report.real_set.images[i] for i in report.real.rows]
    s, gap = 80, 24
    k = order.shape[1]
    canvas = Image.new("RGB", (s + gap + k * (s + 4), len(order) * (s + 6)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.line([(s + gap // 2, 0), (s + gap // 2, canvas.height)], fill=(200, 90, 0), width=3)
    captions = []
    for i, (row, d) in enumerate(zip(order, dist)):
        y = i * (s + 6)
        canvas.paste(Image.fromarray(_thumb(fake_refs[i], s)), (0, y))
        for j, idx in enumerate(row):
            canvas.paste(Image.fromarray(_thumb(real_refs[idx], s)), (s + gap + j * (s + 4), y))
        flag = " ← suspiciously close" if d[0] < 0.5 * yard else ""
        captions.append(f"row {i + 1}: nearest distance {d[0]:.1f}{flag}")
    img = np.asarray(canvas)
    text = (
        f"**Memorisation check.** Left of the orange line: a generated image; right: its {k} nearest real "
        "images in Inception feature space. "
        f"Typical real-to-real nearest distance: {yard:.1f}. A generated image much closer than that to a "
        f"real one may be a memorised copy. " + "; ".join(captions)
    )
    return img, text


def _is_figure(report):
    if report.fake is None or report.fake.logits is None:
        return None
    ids, counts = class_histogram(report.fake.logits)
    fig = go.Figure(go.Bar(x=[str(i) for i in ids], y=counts))
    fig.update_layout(
        title="Most predicted Inception classes among the generated images",
        xaxis_title="class index (of 1008)",
        yaxis_title="images",
        height=320,
        margin=dict(l=40, r=10, t=50, b=40),
    )
    return fig


def _run(fake, real, mode, metrics, cache, progress, limits: WorkLimits, label=""):
    """fake, real: lists of uploaded paths, or ImageSets (the examples)."""
    if not metrics:
        raise UserError("Tick at least one metric.")
    if not fake:
        raise UserError("Upload the generated images first (image files or a .zip), or click an example.")
    if not real:
        raise UserError("Upload real images (or a .npz of reference statistics) to compare with.")
    t0 = time.perf_counter()

    def on_progress(stage, done, total, rate):
        progress((done, max(total, 1)), desc=f"{stage} images: {done}/{total} · {rate:.1f} images/s")

    def on_status(text):
        progress(0, desc=text)

    progress(0, desc="Loading the Inception network (first use takes a few seconds)…")
    report = compute_metrics(
        fake,
        real,
        metrics=metrics,
        mode=mode,
        device=_device(),
        cache=cache,
        progress=on_progress,
        status=on_status,
        limits=limits,
    )
    try:
        nn_img, nn_text = _neighbours_image(report)
        status = f"**Done in {time.perf_counter() - t0:.1f} s.** {label}".strip()
        notes = _notes(report)
        is_fig = _is_figure(report)
        return (
            status,
            _table(report),
            notes,
            _pca_figure(report),
            _fid_n_figure(report),
            # written once (examples repeat across a class); the box appears with its first picture
            gr.Image(None if nn_img is None else picture_file(nn_img), visible=nn_img is not None),
            nn_text,
            gr.Plot(value=is_fig, visible=is_fig is not None),
        )
    finally:
        report.fake_set.close()
        if report.real_set is not None:
            report.real_set.close()


@user_errors
def compute(fake_files, real_files, mode, metrics, request: gr.Request, progress=gr.Progress()):
    fake_paths, real_paths = _paths(fake_files), _paths(real_files)
    sess = _sessions.get_or_create(session_key(request), _Session)
    sess.claim(fake_paths + real_paths)
    with sess.computing():
        return _run(fake_paths, real_paths, mode, metrics, sess.cache, progress, _limits(sess.closed))


def _example_handler(kind):
    @user_errors
    def run_example(mode, metrics, progress=gr.Progress()):
        progress(0, desc="Preparing the example images…")
        gen, real, text = example_sets(kind)
        return _run(gen, real, mode, metrics, _example_cache, progress, _limits(), label=f"Example: {text}.")

    run_example.__name__ = f"run_example_{kind}"
    return run_example


@user_errors
def run_link_example(opened, example, mode, metrics, progress=gr.Progress()):
    """An opened link's example, computed as its button would (nothing for a page without one)."""
    if not opened or not example:
        return [gr.skip()] * 8
    return _example_handler(example).__wrapped__(mode, metrics, progress=progress)


def build() -> "h.LinkTarget":
    h.start_precompute()  # the examples' results, once per server, in the background
    c: dict = {"example": gr.State(None), "link_opened": gr.State(False)}
    gr.Markdown(INTRO)
    with gr.Row() as c["group:inputs"]:
        with gr.Column():
            fake_files = gr.File(
                label="Generated images (image files or a .zip)",
                file_count="multiple",
                file_types=["image", ".zip"],
                height=160,
                elem_id="metrics-fake-files",
            )
            explain(
                "Select all the files of a folder (Ctrl+A in the file dialog) or upload it zipped. Any size, "
                "any format Pillow reads; grayscale/RGBA/16-bit become RGB. IS is computed on these."
            )
        with gr.Column():
            real_files = gr.File(
                label="Real images (image files, a .zip, or a pytorch-fid .npz)",
                file_count="multiple",
                file_types=["image", ".zip", ".npz"],
                height=160,
                elem_id="metrics-real-files",
            )
            explain(
                "A `.npz` with `mu` and `sigma` (from pytorch-fid or "
                "`python -m playground.metrics --save-stats`) gives FID only."
            )
    with gr.Row() as c["group:settings"]:
        with gr.Column():
            c["mode"] = mode = gr.Radio(list(MODES), value="clean", label="Resize convention (how images become 299×299)")
            mode_help = explain(MODE_HELP["clean"])
        with gr.Column():
            c["metrics"] = metrics = gr.CheckboxGroup(
                [("FID", "fid"), ("KID", "kid"), ("Inception Score", "is"), ("Precision / recall", "pr")],
                value=["fid", "kid", "pr"],
                label="Metrics",
            )
            explain(
                "IS downloads its 1008-class weights (~91 MB) on first use; the others need only the FID "
                f"network. IS needs many images: under {IS_SPLITS * IS_MIN_PER_SPLIT} it uses fewer than "
                f"{IS_SPLITS} splits (each split's IS is capped by its size) and says so."
            )
    run = gr.Button("Compute metrics", variant="primary")
    explain(
        f"This shared app measures up to {APP_MAX_IMAGES_PER_SET:,} images per set and gives one click "
        f"{APP_MAX_SECONDS} s of computing (about {APP_MAX_SECONDS * 3:,} images on a CPU; a set it has "
        "seen is instant). One computation runs at a time: while you wait, the results show your place in "
        "the queue. No limits in `python -m playground.metrics`."
    )
    with gr.Column() as c["group:examples"]:
        gr.Markdown("**Examples (no upload needed, 10 images each — about a minute on a CPU):**")
        with gr.Row():
            ex_buttons = {kind: gr.Button(f"Example: {text}", size="sm") for kind, text in EXAMPLES.items()}
    with gr.Column() as c["group:results"]:
        status, table = _results_layout()
        notes = gr.Markdown(elem_id="metrics-notes")
    with gr.Column() as c["group:analysis"]:
        outputs = _analysis_layout()
    with gr.Accordion("What do these numbers measure?", open=False) as c["group:help"]:
        gr.Markdown(TEACH)
    with gr.Accordion("Share this view / presenter view", open=False) as c["group:share"]:
        explain("A link that opens this tab with this example (computed when the page opens), convention and "
                "metrics. Tick groups to hide them for a simpler student page, or use large type for a projector.")
        with gr.Row():
            c["link_hide"] = gr.CheckboxGroup(list(h.GROUPS), value=[], label="Hide these groups")
            c["link_big"] = gr.Checkbox(False, label="Large type (projector)")
        with gr.Row():
            link_btn = gr.Button("Copy link", variant="primary", elem_id="metrics-copy-link")
            link_box = gr.Textbox(label="Link", interactive=False, buttons=["copy"], elem_id="metrics-link")
    pca_plot, fidn_plot, nn_image, nn_text, is_plot = outputs
    c.update(status=status, table=table, notes=notes)
    c["outputs"] = outputs = [status, table, notes, pca_plot, fidn_plot, nn_image, nn_text, is_plot]
    _wire(c, fake_files, real_files, mode, metrics, mode_help, run, ex_buttons, outputs)
    link_names = ["example", "mode", "metrics", "link_hide", "link_big"]
    link_btn.click(named_inputs(link_names, user_errors(h.make_link)), [c[n] for n in link_names], link_box,
                   api_name=False, preprocess=False).then(None, link_box, link_box, js=COPY_LINK_JS)
    return h.LinkTarget(c, run_link_example)


def _results_layout():
    status = gr.Markdown(elem_id="metrics-status")
    table = gr.Dataframe(
        headers=["Metric", "Value", "Reading it"],
        value=EMPTY_TABLE,
        label="Results",
        interactive=False,
        wrap=True,
        elem_id="metrics-results",
    )
    return status, table


def _analysis_layout():
    with gr.Row():
        pca_plot = gr.Plot(label="Real vs generated features (2-D PCA)")
        fidn_plot = gr.Plot(label="FID vs sample size")
    with gr.Row():
        with gr.Column():
            nn_image = gr.Image(
                label="Memorisation check: nearest real neighbours of generated images",
                type="numpy",
                interactive=False,
                height=380,
                visible=False,  # appears with its first picture: no empty image box on arrival
            )
            nn_text = gr.Markdown()
        is_plot = gr.Plot(label="IS: class histogram of the generated images", visible=False)
    return pca_plot, fidn_plot, nn_image, nn_text, is_plot


def _wire(c, fake_files, real_files, mode, metrics, mode_help, run, ex_buttons, outputs):
    mode.change(lambda m: gr.Markdown(MODE_HELP.get(m, "")), mode, mode_help, api_name=False, queue=False)
    run.click(
        compute,
        [fake_files, real_files, mode, metrics],
        outputs,
        api_name="metrics_compute",
        concurrency_limit=1,
        concurrency_id="metrics",
        show_progress="full",  # the queue position and the progress bar, over the results
    )
    for kind, button in ex_buttons.items():
        button.click(lambda k=kind: k, None, c["example"], api_name=False, queue=False)
        button.click(
            _example_handler(kind),
            [mode, metrics],
            outputs,
            api_name=f"metrics_example_{kind}",
            concurrency_limit=1,
            concurrency_id="metrics",
            show_progress="full",
        )
