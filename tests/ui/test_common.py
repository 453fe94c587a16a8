"""playground.ui.common's toasts and playground.visitor_log: visitors' text is shown as text and logged
cut short, and a flood of the same message is rate-limited."""

import logging

import gradio as gr
import pytest

from playground.errors import UserError
from playground.ui import common
from playground.visitor_log import VisitorLog

PHISH = '../<a href="https://evil.example" style="position:fixed;inset:0">Your session expired</a>.png'


def test_a_toast_shows_the_message_as_text():
    @common.user_errors
    def handler():
        raise UserError(f"up.zip contains an unsafe path ('{PHISH}'); refusing the zip.")

    with pytest.raises(gr.Error) as e:
        handler()
    assert e.value.message == ("up.zip contains an unsafe path ('../&lt;a href=\"https://evil.example\" "
                               "style=\"position:fixed;inset:0\"&gt;Your session expired&lt;/a&gt;.png'); "
                               "refusing the zip.")
    assert e.value.print_exception is False  # Gradio prints no traceback for a visitor's mistake


def test_an_unexpected_error_is_cut_escaped_and_logged_once_per_minute(caplog, monkeypatch):
    monkeypatch.setattr(common, "handler_log", VisitorLog(common.log, window=60, burst=1))

    @common.user_errors
    def handler(value):
        raise ValueError(f"bad value {value}")

    value = "<i>" + "x" * 10_000
    with caplog.at_level(logging.INFO, logger="playground.ui"):
        for _ in range(50):
            with pytest.raises(gr.Error) as e:
                handler(value)
    assert e.value.message.startswith("Something went wrong (ValueError: bad value &lt;i&gt;xxx")
    assert len(e.value.message) < 300
    records = [r for r in caplog.records if r.name == "playground.ui"]
    assert len(records) == 1  # the same failure 50 times: one line (and its stack) per minute
    text = records[0].getMessage()
    assert "ValueError: bad value <i>xxx" in text and "Traceback" in text and "in handler" in text
    assert len(text) < 2_000 and "x" * 300 not in text


def test_visitor_log_cuts_values_and_counts_what_it_left_out(caplog):
    now = [0.0]
    vlog = VisitorLog("test.visitors", window=60, burst=2, arg_chars=10, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test.visitors"):
        written = [vlog.warning("bad link value %s", f"v{i}" * 100) for i in range(5)]
        assert written == [True, True, False, False, False]
        assert vlog.warning("another kind %s", "y")  # a different template has its own allowance
        now[0] = 61.0
        assert vlog.warning("bad link value %s", "z")
        lines = [r.getMessage() for r in caplog.records]
        # a key other than the template: distinct values never make distinct kinds
        assert vlog.info("x %s", "1", key="k") and vlog.info("y %s", "2", key="k")
        assert not vlog.info("z %s", "3", key="k")
    assert lines[0] == "bad link value v0v0v0v0v0…"
    assert lines[-1] == "bad link value z (3 more like this in the last 60 s were not logged)"
    assert len(lines) == 4


def test_one_link_target_for_every_tab_sets_what_its_tab_declares_by_name():
    import gradio as gr

    from playground import share
    from playground.ui.common import LinkTarget

    groups = share.schema("translation").groups
    with gr.Blocks():
        c = {n: gr.Textbox() for n in ("model", "example", "link_opened", *(f"group:{g}" for g in groups),
                                       "group:share")}
    target = LinkTarget(c, "translation", ("model", "example", "link_opened"),
                        lambda state, options: {"model": state["model"], "link_opened": True})
    out = target.updates({"model": "gray2color"}, {**share.OPTION_DEFAULTS, "hide": (groups[0],)})
    assert out["model"] == "gray2color" and out["link_opened"] is True
    assert "example" not in out  # not set by this link: left as it is
    assert [out[f"group:{g}"]["visible"] for g in groups] == [g != groups[0] for g in groups]
    assert out["group:share"]["visible"] is False
    assert target.by_component({"model": "x"}, dict(share.OPTION_DEFAULTS))[c["model"]] == "x"
    assert target.outputs == [c[n] for n in target.names]
    sloppy = LinkTarget(c, "translation", ("model",), lambda state, options: {"modle": 1})
    with pytest.raises(KeyError, match="modle"):
        sloppy.updates({}, dict(share.OPTION_DEFAULTS))


def _wired(fn, inputs, outputs, names=("a", "b", "out1", "out2", "out3")):
    """Wire ``fn`` with :func:`common.on` on a hidden button; the Python function Gradio would call, and ``c``."""
    with gr.Blocks() as demo:
        c = {n: gr.Textbox(label=n) for n in names}
        c["go"] = gr.Button()
        common.on(c["go"].click, c, fn, inputs=inputs, outputs=outputs, api_name="go")
    return demo.fns[len(demo.fns) - 1].fn, c


def test_on_passes_inputs_by_name_and_gives_gradio_outputs_by_component():
    seen = {}

    def handler(v, request):
        seen.update(v)
        return {"out2": v["a"] + v["b"]}

    fn, c = _wired(handler, ("a", "b"), ("out1", "out2", "out3"))
    out = fn("x", "y", None)
    assert seen == {"a": "x", "b": "y"}
    assert out == {c["out2"]: "xy"}  # the outputs left out stay as they are: Gradio fills in the rest
    from gradio.blocks import convert_component_dict_to_list
    assert convert_component_dict_to_list([c["out1"], c["out2"], c["out3"]], out) == [gr.skip(), "xy", gr.skip()]


def test_on_refuses_an_output_the_handler_is_not_wired_to_and_a_positional_answer():
    fn, _ = _wired(lambda v, request: {"out3": 1}, ("a",), ("out1",))
    with pytest.raises(gr.Error, match="KeyError.*out3"):
        fn("x", None)
    fn, _ = _wired(lambda v, request: ("x", "y"), ("a",), ("out1", "out2"))
    with pytest.raises(gr.Error, match="TypeError.*dict by name"):
        fn("x", None)


def test_on_turns_an_empty_answer_into_one_skip_and_converts_every_yield():
    fn, _ = _wired(lambda v, request: {}, ("a",), ("out1", "out2"))
    assert fn("x", None) == gr.skip()  # Gradio reads one skip() as "leave every output"
    fn, _ = _wired(lambda v, request: {}, ("a",), ())
    assert fn("x", None) is None  # an event without outputs (Pause) returns nothing, or Gradio warns

    def steps(v, request):
        for i in range(3):
            yield {"out1": i}

    fn, c = _wired(steps, ("a",), ("out1",))
    assert list(fn("x", None)) == [{c["out1"]: 0}, {c["out1"]: 1}, {c["out1"]: 2}]


def test_on_hands_a_progress_tracker_to_a_handler_that_takes_one():
    import inspect

    def handler(v, request, progress=None):
        return {"out1": type(progress).__name__}

    fn, c = _wired(handler, ("a",), ("out1",))
    param = inspect.signature(fn).parameters["progress"]
    assert isinstance(param.default, gr.Progress)  # how Gradio finds where to put its tracker
    assert fn("x", None, gr.Progress()) == {c["out1"]: "Progress"}


def test_on_gives_a_gallery_click_its_index_by_name():
    """Gradio hands a select event's data only to a parameter annotated ``gr.SelectData``; ``clicked=True``
    declares one and passes the clicked index on as ``values["clicked"]``, the named inputs unchanged."""
    import inspect
    import typing

    def handler(v, request):
        return {"out1": f"{v['a']}:{v['clicked']}"}

    with gr.Blocks() as demo:
        c = {n: gr.Textbox(label=n) for n in ("a", "out1")}
        c["gallery"] = gr.Gallery()
        common.on(c["gallery"].select, c, handler, ("a",), ("out1",), clicked=True)
    fn = demo.fns[len(demo.fns) - 1].fn
    assert typing.get_type_hints(fn)["clicked"] is gr.SelectData
    assert list(inspect.signature(fn).parameters) == ["a", "request", "clicked"]
    event = gr.SelectData(None, {"index": 7, "value": None})
    assert fn("x", None, event) == {c["out1"]: "x:7"}
