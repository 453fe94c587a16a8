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
    assert out["example"] == gr.skip()  # not set by this link: left as it is
    assert [out[f"group:{g}"]["visible"] for g in groups] == [g != groups[0] for g in groups]
    assert out["group:share"]["visible"] is False
    assert target.apply({"model": "x"}, dict(share.OPTION_DEFAULTS), [])[0] == "x"  # the outputs' order
    assert [target.outputs.index(c[n]) for n in target.names] == list(range(len(target.names)))
    sloppy = LinkTarget(c, "translation", ("model",), lambda state, options: {"modle": 1})
    with pytest.raises(KeyError, match="modle"):
        sloppy.updates({}, dict(share.OPTION_DEFAULTS))
