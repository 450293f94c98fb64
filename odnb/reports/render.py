"""Render an executed notebook into self-contained, email-safe HTML: no code, no JavaScript, charts as
inline PNG, the body sanitized by an allow-list (nh3), tables aligned, house styles inlined (css-inline).

Example:
    >>> sanitize('<b>ok</b><script>alert(1)</script>')
    '<b>ok</b>'
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from odnb.reports.payload import KPI_MIMETYPE

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "odnb_email"
# odnb.reports.theme renders static charts at this scale (sharp on high-DPI screens); the report shows them at
# their designed size, never wider than the column.
CHART_SCALE = 1.5
MAX_IMAGE_WIDTH = 648  # px: the 680 px column less its padding; common email width is 600-700 px
# Cells never shown in a report (papermill's parameter/error cells, and cells the author hides).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag", "remove-cell",
                         "odnb-hide"})


def _chosen_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """One mimetype per output, email-safe: PNG/JPEG (Vega-Lite converted to PNG), HTML, markdown, text."""
    if "image/png" in data:  # text/plain kept only to tell an Altair chart (see image_width), then dropped
        return {"image/png": data["image/png"], **({"text/plain": data["text/plain"]} if "text/plain" in data
                                                   else {})}
    if "image/jpeg" in data:
        return {"image/jpeg": data["image/jpeg"]}
    vega = next((m for m in data if m.startswith("application/vnd.vegalite")), None)
    if vega:
        import base64

        import vl_convert

        png = vl_convert.vegalite_to_png(data[vega], scale=CHART_SCALE)
        return {"image/png": base64.b64encode(png).decode(), "text/plain": "alt.Chart(...)"}
    for mime in ("text/html", "text/markdown", "text/plain"):
        if mime in data:
            return {mime: data[mime]}
    return None


def image_width(data: Mapping[str, Any], metadata: Mapping[str, Any] | None = None) -> int | None:
    """The width (CSS px) to show a PNG at: an odnb/Altair chart at its designed size (pixels / CHART_SCALE),
    another image at its metadata width or pixel width; never wider than MAX_IMAGE_WIDTH.

    Example:
        >>> import base64, struct
        >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I4sII", 13, b"IHDR", 651, 546)
        >>> image_width({"image/png": base64.b64encode(png).decode(), "text/plain": "alt.Chart(...)"})
        434
    """
    import base64
    import struct

    try:
        head = base64.b64decode(re.sub(r"\s", "", str(data["image/png"]))[:44])
        pixels = struct.unpack(">I", head[16:20])[0] if head[12:16] == b"IHDR" else None
    except (KeyError, ValueError, struct.error):
        return None
    if not pixels:
        return None
    declared = ((metadata or {}).get("image/png") or {}).get("width")
    if str(data.get("text/plain", "")).startswith("alt."):
        width = pixels / CHART_SCALE
    elif isinstance(declared, (int, float)) and declared > 0:
        width = declared
    else:
        width = pixels
    return int(min(round(width), MAX_IMAGE_WIDTH))


def clean_notebook(nb: Any) -> Any:
    """A copy of ``nb`` holding only what a report shows: markdown and code-cell outputs (no stderr,
    no errors, no kpis payload, one email-safe mimetype per output), hidden-tag cells removed."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if kind == "stream" and output.get("name") == "stdout":
                    outputs.append(output)
                elif kind in ("display_data", "execute_result") and KPI_MIMETYPE not in output.data:
                    vega = next((m for m in output["data"] if m.startswith("application/vnd.vegalite")), None)
                    if vega and "image/png" not in output["data"]:
                        from odnb.reports.charts import ALT_METADATA, alt_text

                        output.setdefault("metadata", {})[ALT_METADATA] = alt_text(output["data"][vega])
                    data = _chosen_data(output["data"])
                    if data:
                        width = image_width(data, output.get("metadata")) if "image/png" in data else None
                        output["data"] = {k: v for k, v in data.items()
                                          if k != "text/plain" or len(data) == 1}
                        if width:
                            output.setdefault("metadata", {})["odnb_width"] = width
                        outputs.append(output)
            cell.outputs = outputs
            cell.source = ""
        cells.append(cell)
    nb.cells = cells
    return nb


# Inline styles for the few tags a report contains (email clients drop <style> blocks).
TAG_STYLES: dict[str, str] = {
    "h1": "font-size:22px;line-height:1.25;margin:20px 0 8px;color:#1f5f8b;font-weight:bold;",
    "h2": "font-size:18px;line-height:1.3;margin:18px 0 6px;color:#1f5f8b;font-weight:bold;",
    "h3": "font-size:15px;margin:14px 0 4px;color:#222222;font-weight:bold;",
    "h4": "font-size:14px;margin:12px 0 4px;color:#222222;font-weight:bold;",
    "p": "margin:6px 0;line-height:1.45;",
    "ul": "margin:6px 0 6px 20px;padding:0;",
    "ol": "margin:6px 0 6px 20px;padding:0;",
    "li": "margin:2px 0;line-height:1.4;",
    "blockquote": "margin:8px 0;padding:4px 12px;border-left:3px solid #cccccc;color:#555555;",
    "table": "border-collapse:collapse;margin:8px 0;font-size:13px;",
    "thead": "",
    "th": "padding:4px 8px;border-bottom:2px solid #999999;background:#f2f5f8;text-align:right;"
          "vertical-align:top;font-weight:bold;",
    "td": "padding:4px 8px;border-bottom:1px solid #e2e2e2;text-align:right;vertical-align:top;",
    "pre": "font-family:Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;margin:6px 0;",
    "code": "font-family:Menlo,Consolas,monospace;font-size:12px;background:#f4f4f4;",
    "img": "max-width:100%;height:auto;display:block;margin:8px 0;border:0;",
    "a": "color:#1f5f8b;",
    "hr": "border:0;border-top:1px solid #dddddd;margin:16px 0;",
}

def _stylesheet(styles: Mapping[str, str]) -> str:
    return "\n".join(f"{tag} {{{style}}}" for tag, style in styles.items() if style)


def inline_styles(page: str) -> str:
    """Give each tag of the report's body its house style as an inline ``style`` (email clients drop
    ``<style>`` blocks); a style the element already has wins. Uses css-inline.

    Example:
        >>> inline_styles('<p class="x">Hi</p>')
        '<p class="x" style="margin: 6px 0;line-height: 1.45;">Hi</p>'
    """
    import css_inline

    head, body, tail = _split_body(page)
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)
    return head + inliner.inline_fragment(body, _stylesheet(TAG_STYLES)) + tail


# What a report's body may contain: an allow-list (nh3, the Rust ammonia sanitizer). Anything else (scripts,
# style blocks, forms, frames, event handlers, javascript: links, remote images, CSS that could fetch a URL)
# is dropped, whatever a notebook, a server's error text or Markdown put there.
ALLOWED_TAGS = frozenset({
    "a", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "div", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
# CSS properties kept in style attributes: layout and type only, none that can load a URL.
ALLOWED_STYLES = frozenset({
    "background-color", "border", "border-bottom", "border-collapse", "border-left", "border-right",
    "border-spacing", "border-top", "color", "display", "font-family", "font-size", "font-style",
    "font-weight", "height", "line-height", "margin", "margin-bottom", "margin-left", "margin-right",
    "margin-top", "max-width", "min-width", "overflow-x", "padding", "padding-bottom", "padding-left",
    "padding-right", "padding-top", "text-align", "text-decoration", "vertical-align", "white-space",
    "width", "word-break",
})


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Images only from inline data (a report is self-contained; remote images are tracking pixels);
    links only to the web or mail."""
    if tag == "img" and name == "src":
        return value if value.startswith(("data:image/png;", "data:image/jpeg;", "data:image/gif;")) else None
    if tag == "a" and name == "href":
        return value if value.startswith(("https://", "http://", "mailto:", "#")) else None
    return value


def sanitize(fragment: str) -> str:
    """``fragment`` with only the allow-listed tags, attributes and CSS properties.

    Example:
        >>> sanitize('<p onclick="x()" style="color:red;background:url(//t)">Hi<script>x()</script></p>')
        '<p style="color:red">Hi</p>'
        >>> sanitize('<img src="https://tracker.example/p.gif"><a href="javascript:x()">a</a>')
        '<img><a rel="noopener noreferrer">a</a>'
    """
    import nh3

    return nh3.clean(fragment, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "data"}, attribute_filter=_attribute,
                     filter_style_properties=set(ALLOWED_STYLES))


def _split_body(page: str) -> tuple[str, str, str]:
    """(everything up to and including ``<body ...>``, the body's content, ``</body>`` onwards); a
    fragment without a body is all content."""
    start = page.find("<body")
    end = page.rfind("</body>")
    if start < 0 or end < 0:
        return "", page, ""
    open_end = page.index(">", start) + 1
    return page[:open_end], page[open_end:end], page[end:]


def sanitize_page(page: str) -> str:
    """The page with its body sanitized by :func:`sanitize` (the head is odnb's own template)."""
    head, body, tail = _split_body(page)
    return head + sanitize(body) + tail


_TABLE = re.compile(r"<table\b.*?</table\s*>", re.S | re.I)
_SECTION = re.compile(r"<(thead|tbody)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<(t[hd])\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_NUMERIC = re.compile(r"[-+\u2212]?\s*[$€£]?\s*[-+\u2212]?\d[\d,]*(\.\d+)?\s*(%|pts?|ms|s|x)?", re.I)
_NEUTRAL = frozenset({"", "n/a", "na", "<na>", "nan", "none", "—", "-", "–"})


def _cell_text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def _tidy_table(table: str) -> str:
    """Merge pandas' separate index-name header row into the column-header row, and align each column:
    numbers right (not wrapped), text and row labels left. Columns are matched from the right, so the
    rowspans of a MultiIndex do not shift them."""
    sections = {m.group(1).lower(): m for m in _SECTION.finditer(table)}
    head_rows = _ROW.findall(sections["thead"].group(2)) if "thead" in sections else []
    body_rows = _ROW.findall(sections["tbody"].group(2)) if "tbody" in sections else _ROW.findall(table)
    cells = [[m.groups() for m in _CELL.finditer(row)] for row in body_rows]
    numeric: dict[int, bool] = {}
    for row in cells:
        for offset, (tag, _, inner) in enumerate(reversed(row)):
            text = _cell_text(inner).lower()
            if tag.lower() == "td":  # a column of only blanks / n/a counts as numbers (missing figures)
                is_number = text in _NEUTRAL or bool(_NUMERIC.fullmatch(text))
                numeric[offset] = numeric.get(offset, True) and is_number

    def aligned(row: str, header: bool) -> str:
        found = [m.groups() for m in _CELL.finditer(row)]
        out = []
        for offset, (tag, attrs, inner) in zip(range(len(found) - 1, -1, -1), found, strict=True):
            right = numeric.get(offset, False) and (header or tag.lower() == "td")
            style = "text-align:right;white-space:nowrap;" if right else "text-align:left;"
            out.append(f'<{tag} style="{style}"{attrs}>{inner}</{tag}>')
        return "<tr>" + "".join(out) + "</tr>"

    if len(head_rows) == 2:  # pandas puts the index name(s) on a row of their own: fold it into the first
        first, second = ([m.groups() for m in _CELL.finditer(r)] for r in head_rows)
        names = [_cell_text(c[2]) for c in second]
        k = next((i for i, n in enumerate(names) if not n), len(names))
        if (len(first) == len(second) and 0 < k < len(names) and not any(names[k:])
                and not any(_cell_text(c[2]) for c in first[:k])):
            head_rows = ["<tr>" + "".join(f"<th{a}>{i}</th>" for _, a, i in second[:k])
                         + "".join(f"<{t}{a}>{i}</{t}>" for t, a, i in first[k:]) + "</tr>"]
    new = table
    if "thead" in sections:
        m = sections["thead"]
        new = new.replace(m.group(0), "<thead>" + "".join(aligned(r, True) for r in head_rows) + "</thead>")
    if "tbody" in sections:
        m = sections["tbody"]
        new = new.replace(m.group(0), "<tbody>" + "".join(aligned(r, False) for r in body_rows) + "</tbody>")
    return new


def tidy_tables(page: str) -> str:
    """:func:`_tidy_table` over every table of ``page``.

    Example:
        >>> tidy_tables("<table><tbody><tr><th>a</th><td>$1.00</td><td>x</td></tr></tbody></table>")
        '<table><tbody><tr><th style="text-align:left;">a</th><td style="text-align:right;white-space:nowrap;">$1.00</td><td style="text-align:left;">x</td></tr></tbody></table>'
    """  # noqa: E501
    return _TABLE.sub(lambda m: _tidy_table(m.group(0)), page)


def render_html(nb: Any, *, title: str = "odnb report", lists_patients: bool = False) -> str:
    """Self-contained HTML for an executed notebook: no code, no JavaScript, inline PNG charts, tables
    aligned; ``lists_patients`` puts a banner at the top saying the report names patients."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    resources = {"metadata": {"name": title, "lists_patients": lists_patients}}
    body, _ = exporter.from_notebook_node(clean_notebook(nb), resources=resources)
    return inline_styles(tidy_tables(sanitize_page(body)))
