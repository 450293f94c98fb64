"""The report body is sanitized by an allow-list (nh3): whatever a notebook, Markdown or a server's error text
puts there, only known tags, attributes and CSS properties survive, and house styles are inlined."""

from __future__ import annotations

import nbformat
import pytest

from odnb.reports.render import render_html, sanitize

HOSTILE = [
    '<img srcset="http://tracker.example/a.png 1x" src="http://tracker.example/p.gif">',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "<script>alert(1)</script>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name="k"></form>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<div style="background:url(https://tracker.example/b.png);color:red">x</div>',
    '<link rel="stylesheet" href="https://evil.example/s.css">',
    '<style>body{background:url(https://tracker.example/c.png)}</style>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<object data="https://evil.example/x.swf"></object>',
]


@pytest.mark.parametrize("markup", HOSTILE)
def test_hostile_markup_is_dropped(markup: str) -> None:
    clean = sanitize(f"<p>before</p>{markup}<p>after</p>").lower()
    assert "<p>before</p>" in clean and "<p>after</p>" in clean
    for bad in ("http://tracker", "https://tracker", "evil.example", "javascript:", "onerror", "onload",
                "<script", "<iframe", "<form", "<svg", "<style", "<link", "<meta", "<object", "srcset"):
        assert bad not in clean, (bad, clean)


def test_allowed_markup_survives() -> None:
    markup = ('<table><thead><tr><th colspan="2">KPI</th></tr></thead><tbody><tr><td style="color:#1f5f8b">'
              '$1.00</td><td><a href="https://www.opendental.com/">docs</a></td></tr></tbody></table>'
              '<img alt="chart" width="300" src="data:image/png;base64,iVBORw0KGgo=">')
    clean = sanitize(markup)
    assert '<th colspan="2">KPI</th>' in clean
    assert 'style="color:#1f5f8b"' in clean
    assert 'href="https://www.opendental.com/"' in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean and 'width="300"' in clean


def test_server_error_text_in_a_notebook_output_never_renders_as_markup() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    evil = '<b>eConnector busy</b><img srcset="http://tracker.example/x.png"><script>alert(1)</script>'
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": evil}),
                    nbformat.v4.new_output("stream", name="stdout", text=evil)]
    markdown = "# Title\n\n<script>alert(2)</script> [x](javascript:alert(3))"
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), cell]
    page = render_html(nb, title="t")
    assert "<script" not in page and "<img srcset" not in page and "href=\"javascript" not in page
    assert "<b>eConnector busy</b>" in page  # allowed markup stays
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # printed text is escaped, shown as text
    assert 'style="' in page.split("<h1", 1)[1].split(">", 1)[0]  # house style inlined
