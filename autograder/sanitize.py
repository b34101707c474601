"""Make a student's notebook inert before it is written to the course folder.

nbgrader's formgrader (the Manual Grading page, same origin as Jupyter: a script there can use the
instructor's token) and the feedback HTML render notebooks with nbconvert, which passes HTML in
markdown, outputs and raw cells through unchanged and puts metadata into the page. `inert(nb)`
returns a copy that keeps only what those pages need, rebuilt field by field (the executed
notebook comes back from the sandbox, so any part of it may be forged):

- markdown: rendered as nbconvert renders it, the HTML cleaned with nh3 (no scripts, event
  handlers, frames, forms, SVG or MathML, no `javascript:` URLs, no remote images) and stored as
  the cell's source; plain prose (an untouched answer stub too) and the instructor's own cells
  (as in `trusted`) are kept as written;
- raw cells: cleaned the same way, without the metadata that makes nbconvert emit them verbatim;
- outputs: text, streams, errors, PNG and JPEG images (checked to be what they say) and cleaned
  HTML without images (a kernel's images are capped as image outputs); everything else (JavaScript, SVG, markdown, LaTeX, widgets, unknown types) is dropped,
  and so is output metadata;
- metadata: kernelspec, language_info and per cell nbgrader's fields, `editable`, `deletable` and
  tags, each checked for its type; attachments are inlined as images or dropped.
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re

import nbformat
import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, markdown2html_mistune
from pygments.token import STANDARD_TYPES

_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
         "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
         "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
         "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
         "tfoot", "th", "thead", "tr", "u", "ul", "var"}
# removed with everything inside them (the rest of what is not allowed keeps its text, escaped)
_DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "frame", "frameset", "object",
                         "embed", "noscript", "noembed", "noframes", "xmp", "title", "textarea",
                         "select", "svg", "math"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
               "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
               "ol": {"start"}, "abbr": {"title"}}
# code blocks keep their highlighting (pygments' classes, styled by the page)
_CLASSES = {"div": {"highlight"}, "span": {c for c in STANDARD_TYPES.values() if c}}
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
          "image/gif": (b"GIF87a", b"GIF89a")}
_DATA_URI = re.compile(r"data:(image/(?:png|jpeg|gif));base64,(.*)", re.IGNORECASE | re.DOTALL)


def image_base64(mime: str, data) -> str | None:
    """`data` as clean base64 if it is base64 of an image of type `mime`, else None."""
    if isinstance(data, list):
        data = "".join(x for x in data if isinstance(x, str))
    if not isinstance(data, str) or mime not in _MAGIC:
        return None
    data = re.sub(r"\s+", "", data)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if raw.startswith(_MAGIC[mime]) else None


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in ("href", "src"):
        return value
    data = _DATA_URI.fullmatch(value.strip())
    if tag == "img" and attribute == "src":   # images from the notebook itself only: no requests
        if data and image_base64(data.group(1).lower(), data.group(2)):
            return value.strip()
        return None
    return None if value.strip().lower().startswith("data:") else value


_cleaner = nh3.Cleaner(tags=_TAGS, clean_content_tags=_DROPPED_WITH_CONTENT, attributes=_ATTRIBUTES,
                       allowed_classes=_CLASSES, attribute_filter=_filter_attribute,
                       url_schemes={"http", "https", "mailto", "data"}, url_relative="deny")


def _filter_output_attribute(tag: str, attribute: str, value: str) -> str | None:
    # A kernel's images come as image/png or image/jpeg outputs, which the grader caps (runner.py):
    # an image inside HTML output would pass those caps, so it keeps no source at all.
    return None if tag == "img" and attribute == "src" else _filter_attribute(tag, attribute, value)


_output_cleaner = nh3.Cleaner(tags=_TAGS, clean_content_tags=_DROPPED_WITH_CONTENT, attributes=_ATTRIBUTES,
                              allowed_classes=_CLASSES, attribute_filter=_filter_output_attribute,
                              url_schemes={"http", "https", "mailto", "data"}, url_relative="deny")


def _clean_html(text: str) -> str:
    """HTML with only formatting left: nothing that runs, loads or submits anything."""
    return _cleaner.clean(text)


def _as_html_block(fragment: str) -> str:
    """Cleaned HTML as a markdown source that renders as exactly that HTML: one line (a blank line
    would end the HTML block and let markdown parse the rest), wrapped in a block-level tag."""
    return "<div>" + fragment.replace("\r", "&#13;").replace("\n", "&#10;") + "</div>"


def _renders_as_itself(source: str) -> bool:
    return markdown2html_mistune(source).strip() == source


def _plain(rendered: str) -> bool:
    """Rendered markdown that is only paragraphs of text: no tag, attribute or URL at all."""
    return "<" not in re.sub(r"</?p>", "", rendered)


def _markdown(source: str, attachments: dict | None = None) -> str:
    """A markdown cell's source that renders as the cleaned rendering of `source`."""
    images = {}
    for name, bundle in (attachments or {}).items():
        images[name] = {"image/png": ""}   # (an image that is not one: shown by its alt text)
        for mime in ("image/png", "image/jpeg"):
            if isinstance(bundle, dict) and (image := image_base64(mime, bundle.get(mime))):
                images[name] = {mime: image}
    try:
        rendered = MarkdownWithMath(renderer=IPythonRenderer(
            escape=False, attachments=images, exclude_anchor_links=True)).render(source)
    except Exception:   # e.g. an image naming a missing attachment: show the text instead
        rendered = None
    if rendered is not None and _plain(rendered):
        return source
    for candidate in ([_clean_html(rendered)] if rendered is not None else []) + \
                     [f"<pre>{html.escape(source)}</pre>"]:
        block = _as_html_block(candidate)
        if _renders_as_itself(block):
            return block
    return ""


# ---- notebook structure ------------------------------------------------------------------------

_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_WORD = re.compile(r"[\w .()+-]{0,100}")   # kernel and language names
_NBGRADER_FLAGS = ("grade", "solution", "locked", "task")
_NBGRADER_TEXT = ("grade_id", "checksum", "cell_type")
_IN_ATTRIBUTE = re.compile(r"[^<>\"'&`\x00-\x1f]{1,200}")   # nbgrader's templates quote grade_id unescaped


def _text(value) -> str:
    if isinstance(value, list):
        value = "".join(x for x in value if isinstance(x, str))
    return value if isinstance(value, str) else ""


def _words(d, keys) -> dict:
    d = d if isinstance(d, dict) else {}
    return {k: d[k] for k in keys if isinstance(d.get(k), str) and _WORD.fullmatch(d[k])}


def _nbgrader(meta) -> dict | None:
    if not isinstance(meta, dict):
        return None
    out = {k: meta[k] for k in _NBGRADER_FLAGS if isinstance(meta.get(k), bool)}
    for k in _NBGRADER_TEXT:
        if isinstance(meta.get(k), str):
            if not _IN_ATTRIBUTE.fullmatch(meta[k]):
                return None   # not what nbgrader writes: the cell is graded as having none
            out[k] = meta[k]
    for k in ("points", "schema_version"):
        if isinstance(meta.get(k), (int, float)) and not isinstance(meta.get(k), bool):
            out[k] = meta[k]
    return out


def _cell_metadata(meta) -> dict:
    meta = meta if isinstance(meta, dict) else {}
    out = {k: meta[k] for k in ("editable", "deletable") if isinstance(meta.get(k), bool)}
    if (nbg := _nbgrader(meta.get("nbgrader"))) is not None:
        out["nbgrader"] = nbg
    tags = meta.get("tags")
    if isinstance(tags, list):
        out["tags"] = [t for t in tags if isinstance(t, str) and re.fullmatch(r"[\w.-]{1,64}", t)]
    return out


def _output(out) -> dict | None:
    if not isinstance(out, dict):
        return None
    kind = out.get("output_type")
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_text(out.get("text")))
    if kind == "error":
        trace = out.get("traceback")
        return nbformat.v4.new_output("error", ename=_text(out.get("ename")), evalue=_text(out.get("evalue")),
                                      traceback=[_text(t) for t in trace] if isinstance(trace, list) else [])
    if kind not in ("display_data", "execute_result"):
        return None
    data = out.get("data") if isinstance(out.get("data"), dict) else {}
    kept = {}
    if isinstance(data.get("text/plain"), (str, list)):
        kept["text/plain"] = _text(data["text/plain"])
    if isinstance(data.get("text/html"), (str, list)):
        kept["text/html"] = _output_cleaner.clean(_text(data["text/html"]))
    for mime in ("image/png", "image/jpeg"):
        if (image := image_base64(mime, data.get(mime))) is not None:
            kept[mime] = image
    if not kept:
        return None
    if kind == "execute_result":
        count = out.get("execution_count")
        return nbformat.v4.new_output(kind, data=kept, metadata={},
                                      execution_count=count if type(count) is int else None)
    return nbformat.v4.new_output(kind, data=kept, metadata={})


def _cell(cell, seen: set[str], trusted: set[str]):
    if not isinstance(cell, dict):
        return None
    kind, source = cell.get("cell_type"), _text(cell.get("source"))
    meta = _cell_metadata(cell.get("metadata"))
    if kind == "code":
        new = nbformat.v4.new_code_cell(source, metadata=meta)
        count = cell.get("execution_count")
        new.execution_count = count if type(count) is int else None
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        new.outputs = [o for o in map(_output, outputs) if o is not None]
    elif kind == "markdown" and _markdown_key(cell) in trusted:
        new = nbformat.v4.new_markdown_cell(source, metadata=meta)
        if cell.get("attachments"):
            new["attachments"] = cell["attachments"]
    elif kind == "markdown":
        attachments = cell.get("attachments") if isinstance(cell.get("attachments"), dict) else None
        new = nbformat.v4.new_markdown_cell(_markdown(source, attachments), metadata=meta)
    elif kind == "raw":
        new = nbformat.v4.new_raw_cell(_clean_html(source), metadata=meta)
    else:
        return None
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id) and cell_id not in seen:
        new["id"] = cell_id   # kept: the grader's results are matched to the submission by id
    seen.add(new["id"])
    return new


def _markdown_key(cell) -> str:
    return json.dumps([cell.get("source"), cell.get("attachments")], sort_keys=True, default=str)


def inert(nb, trusted=None) -> nbformat.NotebookNode:
    """A copy of notebook `nb` (any JSON-like dict) in which nothing a student wrote or printed
    can run or load anything when nbconvert, the formgrader or JupyterLab renders it. Markdown
    cells identical to one of notebook `trusted` (the instructor's) are kept as they are."""
    nb = nb if isinstance(nb, dict) else {}
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    kernel = _words(meta.get("kernelspec"), ("name", "display_name", "language"))
    language = _words(meta.get("language_info"), ("name", "version", "pygments_lexer"))
    out = nbformat.v4.new_notebook(metadata={})
    if "name" in kernel and "display_name" in kernel:   # (both required by the format)
        out.metadata.kernelspec = kernel
    if "name" in language:
        out.metadata.language_info = language
    own = {_markdown_key(c) for c in (trusted or {}).get("cells", []) if c.get("cell_type") == "markdown"}
    seen: set[str] = set()
    cells = nb.get("cells") if isinstance(nb.get("cells"), list) else []
    out.cells = [c for c in (_cell(c, seen, own) for c in cells) if c is not None]
    return out


# ---- spreadsheets -------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell_text(text: str) -> str:
    """Free text (a name, a section, a student id) for a CSV cell that an instructor may open in a
    spreadsheet: a value that starts like a formula (`=`, `+`, `-`, `@`, their full-width forms, a tab
    or a line break, after any spaces) gets a leading `'`, which spreadsheets read as "this is text".
    Only for columns the LMS importer ignores or matches by another column (never a key column)."""
    text = str(text)
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text
