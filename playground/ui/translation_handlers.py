"""The translation tab's share links and first view (layout and wiring in ``translation_tab.py``).

* :func:`first_view`: what every page shows on arrival: the default model's examples and the first one
  translated (a bundled model: milliseconds), computed once per process;
* :func:`make_link` / :func:`link_state`: the model and the example as a share link, both ways;
* :func:`after_link`: an opened link's examples and its example translated.
"""

from __future__ import annotations


import gradio as gr

from playground.ui import arrival
from playground.ui.pictures import cached_pictures
from playground import share
from playground.ui.common import handler_log, hide_outputs, hide_updates, named_inputs, warning_toast

TAB_ID = "translation"
GROUPS = share.schema(TAB_ID).groups  # the control groups a link may hide, in page order
N_OUTPUTS = 6  # seen, output, realness, reconstruction, error, notes


OFFICIAL_EXAMPLES_NOTE = ("These examples were made for the bundled models; an official model expects its own "
                          "kind of picture: upload one (an example still works as an input).")


PRESS_TRANSLATE_NOTE = "Press **Translate** to download **{name}** and run it on the drawing."


def model_unavailable(name: str, message: str) -> list:
    """The translation outputs when official model ``name`` could not be had (offline, a changed file):
    ``message`` once, as a warning toast, no red "Error" on each output (a raised error gives both), the
    pictures left as they were, and a note saying so in place of the last result's note."""
    handler_log.info("official model unavailable: %s", message, key="model_unavailable")
    warning_toast(message)
    note = (f"**{name}** could not be loaded (see the message), so the pictures above are from the last "
            "translation.")
    return [*[gr.skip()] * (N_OUTPUTS - 1), note]


def model_changed(model_name):
    """Show the realness map for pix2pix, the cycle pictures for CycleGAN."""
    from playground.translation import inference, zoo

    entries = inference.bundled_entries()
    if not isinstance(model_name, str):
        kind = "pix2pix"
    elif model_name in entries:
        kind = entries[model_name]["kind"]
    else:
        kind = zoo.MODELS[model_name].kind if model_name in zoo.MODELS else "pix2pix"
    p2p = kind == "pix2pix"
    return (gr.update(visible=p2p), gr.update(visible=p2p), gr.update(visible=not p2p), gr.update(visible=not p2p))


def link_state(model, example) -> dict:
    """The tab's model and example (gallery index, or None for a drawing or an upload) as a link state."""
    return {"model": model, "example": None if example is None else int(example)}


def make_link(v: dict, request: gr.Request | None = None) -> str:
    """The query part of a link that reopens this tab with this model and example."""
    from playground.errors import UserError

    if v["model"] not in share.schema(TAB_ID).field("model").choices:
        raise UserError("Choose a listed model first.")
    options = {"hide": tuple(v.get("link_hide") or ()), "big": bool(v.get("link_big"))}
    return share.build_link("", TAB_ID, link_state(v["model"], v["example"]), options)


def _translate_example(model: str, gallery: list, index: int) -> tuple:
    """Translate example ``index`` of ``gallery`` (its picture files) as a click on it would."""
    from playground.ui import translation_tab as tab

    path = gallery[index]
    return path, tab.translate.__wrapped__(model, "upload", None, path, False, progress=lambda *a, **k: None)


@cached_pictures
def first_view(model: str | None) -> dict:
    """The examples of ``model`` (a bundled one) and the first translated; empty for other models. Computed
    once and kept on disk (``arrival``)."""
    from playground.translation import inference

    if model not in inference.bundled_entries():
        return {}
    return arrival.cached("translation-first-view", (model,), lambda: _first_view(model))


def _first_view(model: str) -> dict:
    from playground.ui import translation_tab as tab

    gallery, note = tab.examples.__wrapped__(model)
    path, outputs = _translate_example(model, gallery, 0)
    return {"gallery": gallery, "note": note, "upload": path, "outputs": outputs}


def after_link(v: dict, request: gr.Request | None = None) -> list:
    """Outputs: gallery, gallery note, upload, source, inner tab selection, the 6 translation outputs."""
    from playground.translation import inference
    from playground.ui import translation_tab as tab

    skip = [gr.skip()] * (5 + N_OUTPUTS)
    if not v.get("link_opened"):
        return skip
    model, index = v["model"], v["example"]
    if index is None:
        return skip
    if model not in inference.bundled_entries():
        gr.Warning("Examples exist for the bundled models only; upload a picture for this model.")
        return skip
    gallery, note = tab.examples.__wrapped__(model)
    path, outputs = _translate_example(model, gallery, int(index))
    return [gallery, note, path, "upload", gr.Tabs(selected="examples"), *outputs]


class LinkTarget:
    """What an opened share link sets in the translation tab (``playground/ui/app.py`` dispatches links)."""

    tab = TAB_ID

    def __init__(self, c: dict):
        self.c = c
        self.outputs = [c["model"], c["example"], *hide_outputs(c, GROUPS), c["link_opened"]]

    def apply(self, state: dict, options: dict, notes: list[str]) -> list:
        return [state["model"], state["example"], *hide_updates(GROUPS, options), True]

    def after(self, event) -> None:
        """Translate the link's example once the link has set the model."""
        c = self.c
        names = ["link_opened", "model", "example"]
        outs = [c["gallery"], c["gallery_note"], c["upload"], c["source"], c["inner"], *c["outputs"]]
        event.then(named_inputs(names, after_link), [c[n] for n in names], outs, api_name=False, preprocess=False)
