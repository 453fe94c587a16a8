"""Builds the whole app: one ``gr.Blocks`` with a tab per area.

Each tab is a package ``playground/ui/<tab>/`` of one shape: ``layout`` (its components by name and their
wiring, through ``common.on``), ``handlers`` (what each event computes: inputs by name in, outputs by name out)
and ``texts``; the package exports ``TITLE`` and ``build()``, and a tab appears here once its package exists.
Building the page loads the small bundled models the tabs show on arrival; the heavy work (the metrics
example's Inception run, the 2-D lab's warm-up) starts in the background once the server is up (``common.after_server_start``), so the page is served within seconds.
"""

from __future__ import annotations

import html
import importlib
import logging

import gradio as gr

from playground import share
from playground.ui.common import after_server_start
from playground.ui.queue_gate import MAX_PLACES
from playground.ui import gradio_state, session_uploads
from playground.ui.sessions import free_session, keep_memory_bounded, mark_page_session, on_sweep, session_key

log = logging.getLogger("playground.ui")

# The order of the tabs in the page: the lecture's order.
TAB_MODULES = ["toy2d", "dirac", "dcgan", "translation", "metrics"]

CSS = """
.explain { color: var(--body-text-color-subdued); font-size: 0.9em; margin-top: -6px; }
.explain p { margin: 0; }
.formula { font-size: 1.05em; }
footer { display: none !important; }
.link-notes { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.08); padding: 6px 12px;
  border-radius: 4px; }
.link-notes ul { margin: 4px 0 0 1.2em; }
/* ?big=1 (a share link's projector option): large type everywhere */
body.gp-big { --text-xxs: 13px; --text-xs: 15px; --text-sm: 17px; --text-md: 20px; --text-lg: 24px;
  --text-xl: 28px; --text-xxl: 34px; font-size: 20px; --button-large-text-size: 24px;
  --button-medium-text-size: 22px; --button-small-text-size: 20px; --block-label-text-size: 20px;
  --block-info-text-size: 17px; --block-title-text-size: 20px; --section-header-text-size: 20px; }
body.gp-big button, body.gp-big button[role=tab], body.gp-big label span { font-size: 22px !important; }
/* the 2-D lab: Play and the steps come first in the page (the keyboard's order), shown below the presets,
   with the settings on the left */
#toy2d-main { flex-direction: row-reverse; }
#toy2d-right > #toy2d-presets { order: -1; }
/* the projector view of the 2-D lab: the pictures, one chart, the status line and Play/Pause/Step on one
   screen (1280x720 or 1024x768); the settings stay in the students' own pages */
body.gp-big #gp-header, body.gp-big #toy2d-settings, body.gp-big #toy2d-live, body.gp-big #toy2d-presets,
body.gp-big #toy2d-about, body.gp-big #toy2d-intro { display: none !important; }
body.gp-big .lab2d-row { display: grid !important; grid-template-columns: repeat(3, minmax(0, 1fr)) !important;
  gap: 12px; }
body.gp-big .lab2d-row figure { max-width: none !important; }
body.gp-big .lab2d-row .lab2d-charts { display: block !important; margin: 0 !important; }
body.gp-big #toy2d-buttons { flex-wrap: nowrap !important; }
body.gp-big #toy2d-buttons button { min-width: 0 !important; padding-left: 6px; padding-right: 6px; }
body.gp-big .lab2d-row .lab2d-chart:not(:nth-child(3)) { display: none; }
body.gp-big .lab2d-chart svg text { font-size: 16px !important; }
body.gp-big .toy2d-frame figcaption, body.gp-big .lab2d-chart .t { font-size: 17px; }
.toy2d-frame { margin: 0; }
.toy2d-frame figcaption { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 4px; }
.toy2d-frame img { max-width: 100%; height: auto; border-radius: 6px; }
.toy2d-empty { display: flex; align-items: center; justify-content: center; text-align: center;
  border: 1px dashed var(--border-color-primary); border-radius: 6px; color: var(--body-text-color-subdued);
  padding: 1em; }
/* a picture's label and tool bar sit in a strip above it, never over it (Gradio floats both over the picture's
   top corners); the sketchpad (it has a .toolbar-wrap) keeps Gradio's own layout */
.block:has(> .image-container > .icon-button-wrapper.top-panel):not(:has(.toolbar-wrap)) > .image-container,
.block:has(> label.float[data-testid="block-label"]):not(:has(.toolbar-wrap)) > .image-container {
  padding-top: 36px; box-sizing: border-box; }
/* large type (projector): a taller strip (!important: Gradio also adds each rule with a longer prefix) */
body.gp-big .block:has(> .image-container > .icon-button-wrapper.top-panel):not(:has(.toolbar-wrap)) > .image-container,
body.gp-big .block:has(> label.float[data-testid="block-label"]):not(:has(.toolbar-wrap)) > .image-container {
  padding-top: 56px !important; }
.block:has(> .image-container) > label.float[data-testid="block-label"] { max-width: calc(100% - 110px);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.block:has(> .gallery-container) > label.float[data-testid="block-label"] { position: relative; inset: auto;
  margin: 6px 0 0 6px; width: fit-content; }
.grid-wrap:has(> .icon-button-wrapper.top-panel) > .grid-container { margin-top: 30px; }
#dcgan-gallery .fixed-height, #translation-examples .fixed-height { min-height: 0 !important; }
/* the DCGAN samples always fit the width (9 columns of at least 100 px scrolled sideways on a narrow screen:
   a phone showed 12 of the 36 faces and no sign of the rest); on a phone, rows of 4 in the page's own scroll */
#dcgan-gallery .grid-container { grid-template-columns: repeat(var(--grid-cols), minmax(0, 1fr)) !important;
  grid-auto-rows: auto !important; }
#dcgan-gallery .thumbnail-item { aspect-ratio: 1; }
@media (max-width: 640px) {
  #dcgan-gallery .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }
  #dcgan-gallery .grid-wrap { max-height: none !important; }
  #dcgan-gallery .caption-label { font-size: 11px; padding: 1px 4px; }
}
"""

HEADER = """
# GAN Playground
Train GANs live, look inside them, and measure them. Each tab is one part of the lecture:
**2-D GAN lab** (the objective, the optimal discriminator, mode collapse and its cures) ·
**Dirac-GAN** (why training oscillates) ·
**DCGAN latent lab** (vector arithmetic on z) · **Image translation** (pix2pix, CycleGAN) ·
**Metrics** (IS, FID, KID, precision/recall).
"""


def available_tabs() -> list[tuple[str, object]]:
    """(name, module) of the tabs that exist, in page order: each is the package ``playground.ui.<name>``."""
    tabs = []
    for name in TAB_MODULES:
        modname = f"playground.ui.{name}"
        try:
            tabs.append((name, importlib.import_module(modname)))
        except ModuleNotFoundError as exc:
            if exc.name != modname:  # a real missing dependency: surface it
                raise
    return tabs


def _free_session(request: gr.Request) -> None:
    free_session(request)
    session_uploads.UPLOADS.end(session_key(request))  # and the files it uploaded


# Runs in the page on every load: ?big=1 turns on large type (no server round trip needed).
BIG_TYPE_JS = """() => { const q = new URLSearchParams(window.location.search);
  if (['1', 'true', 'yes', 'on'].includes((q.get('big') || '').toLowerCase())) document.body.classList.add('gp-big'); }"""


def link_notes_html(notes: list[str]) -> str:
    """What an opened link changed, as a visible note under the header: one line per value replaced. The
    notes quote the visitor's own text, so every one is escaped."""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f'<div class="link-notes" role="status"><b>This link had {len(notes)} value(s) that could not be used; '
            f"the page shows the defaults instead:</b><ul>{items}</ul></div>")


def _link_opener(targets: dict, tabs_box, link_notes):
    """The load handler that restores a share link: selects its tab and lets that tab set its controls;
    bad or stale values come back as a note in the page (one line per value replaced), never as an error.
    It answers by component; whatever it leaves out stays as it is."""

    def open_link(request: gr.Request):
        tab, state, options, notes = share.parse_query(dict(request.query_params) if request else {})
        out = {}
        if tab is not None and tab not in targets:
            notes = [*notes, f"This link is for the {tab} tab, which cannot be restored from a link yet."]
        if notes:
            out[link_notes] = gr.update(value=link_notes_html(notes), visible=True)
        if tab is not None:
            out[tabs_box] = gr.Tabs(selected=f"{tab}_tab")
        if tab in targets:
            out.update(targets[tab].by_component(state, options))
        return out or gr.skip()

    return open_link


def build_demo() -> gr.Blocks:
    gradio_state.install()  # each session's copy of the page's config is made when read (~0.45 MB a session)
    # delete_cache: files Gradio stores for outputs and uploads are removed an hour after they were made,
    # checked every 15 minutes, so a busy Space never fills its disk (uploads go sooner, with their session).
    with gr.Blocks(title="GAN Playground", delete_cache=(900, 3600)) as demo:
        gr.Markdown(HEADER, elem_id="gp-header")
        link_notes = gr.HTML(visible=False, elem_id="link-notes")  # what an opened link could not use
        tabs = available_tabs()
        if not tabs:  # Gradio cannot render an empty gr.Tabs
            gr.Markdown("No tabs are installed.")
        targets = {}  # tab id -> what a share link can set there
        with gr.Tabs(visible=bool(tabs)) as tabs_box:
            for name, tab in tabs:
                with gr.Tab(tab.TITLE, id=f"{name}_tab"):  # links name the tab "toy2d", the page "toy2d_tab"
                    target = tab.build()
                if target is not None:
                    targets[name] = target
        demo.unload(_free_session)
        session_uploads.wire_claims(demo)  # a page's uploads are its own from the moment they arrive
        demo.load(mark_page_session, api_visibility="private", queue=False)  # API calls never load
        demo.load(None, js=BIG_TYPE_JS)
        outputs = [tabs_box, link_notes, *[c for t in targets.values() for c in t.outputs]]
        opened = demo.load(_link_opener(targets, tabs_box, link_notes), None, outputs, api_visibility="private",
                           queue=False)
        for target in targets.values():
            if hasattr(target, "after"):
                target.after(opened)
    # The queue's places are given out by playground.ui.queue_gate (pages first, a few for page-less
    # clients, a bound for the whole queue): Gradio's own single bound let page-less joins lock the pages out.
    # So Gradio's bound is the gate's, never reached first. Not None: on ZeroGPU Gradio turns None into a queue
    # of one waiting event, and a class would be told "Queue is full" as soon as two events wait.
    demo.queue(max_size=MAX_PLACES, default_concurrency_limit=4)
    # per-session memory has a ceiling and an eviction (sessions.py): idle sessions' objects and Gradio's own
    # state for them are freed while the app runs, and the uploads of sessions that ended without an unload
    on_sweep(session_uploads.sweeper(demo))
    after_server_start(lambda: keep_memory_bounded(demo), "session sweeper")
    return demo


def launch_kwargs() -> dict:
    from starlette.middleware import Middleware
    from starlette.routing import Route

    from playground.ui import connections
    from playground.ui.closed_routes import ClosedRoutes
    from playground.ui.common import started_lifespan
    from playground.ui.queue_gate import QueueGate
    from playground.ui.session_uploads import SessionUploads
    from playground.ui.toy2d import frame_route
    from playground.ui.upload_gate import UploadGate

    # the 2-D lab's frame pulls get a plain route of their own (toy2d.frame_route); the lifespan tells
    # background work (the metrics example, warm-ups) that the page is being served
    connections.install()  # silent connections are closed (a deadline for each request's headers)
    frames = Route(frame_route.FRAME_PATH, frame_route.frame_route, methods=["GET"])
    return {"css": CSS, "theme": gr.themes.Soft(), "max_file_size": "200mb",
            "app_kwargs": {"routes": [frames], "lifespan": started_lifespan,
                           "middleware": [Middleware(ClosedRoutes), Middleware(QueueGate),
                                          Middleware(UploadGate), Middleware(SessionUploads)]}}
