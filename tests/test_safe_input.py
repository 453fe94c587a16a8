"""playground.safe_input: what a slider, number box or text box may receive through the API."""

import math

import pytest

from playground import safe_input
from playground.errors import UserError


def test_numbers_accept_numbers_and_numeric_strings_only():
    assert safe_input.number(0.25, "Noise", 0, 1) == 0.25
    assert safe_input.number("0.5", "Noise", 0, 1) == 0.5
    for bad in ("abc", math.nan, math.inf, None, True, [0.5], 1.5, -0.1, "x" * 100_000):
        with pytest.raises(UserError, match="Noise must be a number between 0 and 1"):
            safe_input.number(bad, "Noise", 0, 1)


def test_integers_refuse_fractions_nan_and_out_of_range_without_rounding():
    assert safe_input.integer(3, "Steps", 1, 10) == 3
    assert safe_input.integer(3.0, "Steps", 1, 10) == 3
    assert safe_input.integer(" 7 ", "Steps", 1, 10) == 7
    assert safe_input.integer(str(2**63 + 1), "Seed", 0, 2**64) == 2**63 + 1  # exact, not via float
    for bad in (3.5, math.nan, "3.5", "three", None, False, 11, 0, 2**63):
        with pytest.raises(UserError, match="Steps must be a whole number between 1 and 10"):
            safe_input.integer(bad, "Steps", 1, 10)


def test_text_is_bounded_and_quotes_are_short():
    assert safe_input.text(None, "Group A", 10) == ""
    with pytest.raises(UserError, match="Group A is 600,000 characters long; at most 1,000"):
        safe_input.text("1 " * 300_000, "Group A", 1000)
    with pytest.raises(UserError, match="must be text"):
        safe_input.text(["2:17"], "Group A", 1000)
    q = safe_input.quote("x" * 10_000_000)
    assert len(q) < 100 and "10,000,000 characters" in q


def test_flags_choices_and_ranges():
    assert safe_input.flag(True, "Dropout") is True and safe_input.flag(0, "Dropout") is False
    with pytest.raises(UserError, match="true or false"):
        safe_input.flag("yes", "Dropout")
    assert safe_input.choice("upload", "Source", ("drawing", "upload")) == "upload"
    with pytest.raises(UserError, match="one of the listed options"):
        safe_input.choice("/etc/passwd.pth", "The model", {"edges2face"})
    r = safe_input.Range(20, 400, 120, 10, "Optimisation steps", whole=True)
    assert r.check(30) == 30
    with pytest.raises(UserError, match="Optimisation steps must be a whole number between 20 and 400"):
        r.check(10**9)


def test_file_payloads(tmp_path):
    upload = tmp_path / "x.png"  # under the tests' upload roots (conftest), as a real upload is
    upload.write_bytes(b"png")
    assert safe_input.file_path({"path": str(upload), "meta": {"_type": "gradio.FileData"}}) == str(upload)
    upload.unlink()  # deleted with its session: said without the server's path
    with pytest.raises(UserError, match="^'x.png' is no longer on the server") as gone:
        safe_input.file_path({"path": str(upload)})
    assert str(tmp_path) not in str(gone.value)
    assert safe_input.file_path("/tmp/y.png") == "/tmp/y.png"
    assert safe_input.file_path(None) is None
    with pytest.raises(UserError, match="uploaded file"):
        safe_input.file_path({"path": None, "url": "data:image/png;base64,AAAA"})
    with pytest.raises(UserError, match="Expected an uploaded file"):
        safe_input.file_path(12345)


def _render(markdown: str) -> str:
    """HTML of ``markdown`` by a CommonMark renderer (what the page's Markdown boxes follow), raw HTML on."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(markdown)


HOSTILE = ['<a href="https://evil.example" style="position:fixed">Your session expired</a>.png',
           "a`b``c.png", "`x`", "*bold* _it_ [l](https://evil.example) <i>", "two\nlines\r# heading"]


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_helpers_show_visitor_text_as_text(name):
    import html

    for shown in (safe_input.markdown_code(name, 200), safe_input.markdown_text(name, 200)):
        out = _render(f"- skipped {shown}: reason")
        # no element made from the name: one list item, one paragraph at most, text escaped
        assert "<a" not in out and "<i>" not in out and "<em>" not in out and "<h1>" not in out
        expected = html.escape(name.replace("\n", "\ufffd").replace("\r", "\ufffd"), quote=False)
        assert expected in out.replace("&quot;", '"'), out
    assert safe_input.markdown_code("a`b``c.png") == "```a`b``c.png```"
    assert safe_input.markdown_code("plain.png") == "`plain.png`"
    assert safe_input.markdown_text("<b>") == "\\<b\\>"
