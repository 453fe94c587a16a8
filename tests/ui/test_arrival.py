"""playground.ui.arrival: the tabs' arrival content is computed once, kept on disk by program version, and never
shown stale or broken."""

import numpy as np

from playground.ui import arrival
from playground.ui.pictures import picture_file


def _value(calls):
    calls.append(1)
    pic = picture_file(np.full((8, 8, 3), 7 * len(calls), np.uint8), "png")
    return {"gallery": [(pic, "a caption")], "note": "text", "n": 3, "pair": (1.5, None)}


def test_a_value_is_computed_once_then_read_back_with_its_pictures(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))
    calls = []
    first = arrival.cached("test-value", (1,), lambda: _value(calls))
    again = arrival.cached("test-value", (1,), lambda: _value(calls))
    assert calls == [1] and again == first  # tuples stay tuples, the picture file keeps its name
    pic = first["gallery"][0][0]
    data = open(pic, "rb").read()
    import os

    os.unlink(pic)  # Gradio's cache clean-up removed the picture: it is written back from the stored bytes
    assert arrival.cached("test-value", (1,), lambda: _value(calls)) == first and calls == [1]
    assert open(pic, "rb").read() == data
    arrival.cached("test-value", (2,), lambda: _value(calls))  # other arguments: their own file
    assert len(calls) == 2


def test_another_program_version_or_a_damaged_file_is_computed_again(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))
    calls = []
    arrival.cached("test-value", (), lambda: _value(calls))
    [path] = list(arrival.folder().glob("test-value-*.json"))
    path.write_text("{ not json")
    arrival.cached("test-value", (), lambda: _value(calls))
    assert len(calls) == 2
    monkeypatch.setattr(arrival, "code_version", lambda: "0" * 20)  # the program changed
    arrival.cached("test-value", (), lambda: _value(calls))
    assert len(calls) == 3
    assert [p.name for p in arrival.folder().glob("test-value-*.json")] == [path.name.rsplit("-", 1)[0] + "-" + "0" * 20 + ".json"]


def test_the_code_version_follows_the_source():
    v = arrival.code_version()
    assert len(v) == 20 and v == arrival.code_version()
