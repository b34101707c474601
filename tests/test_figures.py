"""Figures in what graders and students read: grading kernels draw matplotlib's inline PNGs, the
grader keeps them within their own caps (runner.CappedClient), and they reach the autograded
notebooks and the feedback HTML (the formgrader's page: tests/test_formgrader.py)."""
import base64
import io
import re
import struct
import zlib

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest

from autograder import build, sandbox
from autograder.runner import CappedClient
from lab_server import dump_dom, require_chromium

matplotlib.use("Agg")
LIMITS = sandbox.Limits()


def _png(width_in=6.4, height_in=4.8, dpi=100) -> str:
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    ax.plot([0, 1, 2], [2, 0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _png_header(width: int, height: int) -> str:
    """A PNG that claims these dimensions (what a bomb would claim), with no image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()


def _display(data: dict) -> dict:
    return {"msg_type": "display_data", "header": {"msg_type": "display_data"}, "parent_header": {"msg_id": "m"},
            "content": {"data": data, "metadata": {}, "transient": {}}}


@pytest.fixture
def client():
    c = CappedClient(nbformat.v4.new_notebook())
    c.reset_execution_trackers()   # (what executing a notebook and a cell set up)
    c.clear_before_next_output = False
    c.reset_caps()
    for key in ("figures", "figures_per_cell"):
        setattr(c, key, getattr(LIMITS, key))
    c.figure_bytes, c.figures_bytes, c.figure_px = LIMITS.figure_kb << 10, LIMITS.figures_mb << 20, LIMITS.figure_px
    return c


def _images(outs) -> list[str]:
    return [o["data"]["image/png"] for o in outs if "data" in o and "image/png" in o["data"]]


def _notes(outs) -> str:
    return "".join(o.get("text", "") for o in outs if o.get("output_type") == "stream")


def test_a_figure_is_kept_with_its_text_and_outside_the_text_cap(client):
    client.max_output_chars = 1000   # far less than one figure: images have caps of their own
    png = _png()
    outs = []
    for _ in range(3):
        client.output(outs, _display({"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"}), None, 0)
    assert _images(outs) == [png] * 3 and not _notes(outs) and 0 not in client.truncated
    width, height = struct.unpack(">II", base64.b64decode(png)[16:24])
    assert (width, height) == (640, 480)   # matplotlib's default size at its default 100 dpi


@pytest.mark.parametrize("data, note", [
    (base64.b64encode(b"<script>alert(1)</script>").decode(), "not a valid image/png"),
    (["iVBORw0KGgo="], "not a valid image/png"),
    ("not base64 at all!", "not a valid image/png"),
    (_png_header(100_000, 100_000), "100000x100000 pixels, over 2400 on a side"),
    (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (LIMITS.figure_kb << 10)).decode(), f"over {LIMITS.figure_kb} KB"),
])
def test_what_is_not_a_readable_figure_leaves_a_note(client, data, note):
    outs = []
    client.output(outs, _display({"image/png": data, "text/plain": "kept"}), None, 0)
    assert not _images(outs)
    assert f"[grader: figure not kept: {note}]" in _notes(outs)
    assert any(o.get("data", {}).get("text/plain") == "kept" for o in outs)


def test_a_cell_and_a_notebook_keep_so_many_figures(client):
    png = _png(2, 1.5, 50)
    outs = {}
    for cell in range(10):
        outs[cell] = []
        for _ in range(LIMITS.figures_per_cell + 3):
            client.output(outs[cell], _display({"image/png": png}), None, cell)
    kept = [len(_images(o)) for o in outs.values()]
    assert kept[:5] == [LIMITS.figures_per_cell] * 5 and sum(kept) == LIMITS.figures
    assert _notes(outs[0]).count(f"more than {LIMITS.figures_per_cell} in one cell") == 1   # once per cell
    assert f"more than {LIMITS.figures} in the notebook" in _notes(outs[9])


def test_the_notebook_keeps_so_many_bytes_of_figures(client):
    client.figures_bytes = 3 * len(base64.b64decode(_png())) + 100
    outs = [[] for _ in range(5)]
    for cell in range(5):
        client.output(outs[cell], _display({"image/png": _png()}), None, cell)
    assert [len(_images(o)) for o in outs] == [1, 1, 1, 0, 0]
    assert f"over {client.figures_bytes >> 20} MB" in _notes(outs[3])


def test_no_figures_are_drawn_when_none_are_kept():
    assert sandbox._env("/job", None, figures=True)["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert sandbox._env("/job", None, figures=False)["MPLBACKEND"] == "Agg"


# ---- the graded sample class -----------------------------------------------------------------

def _pngs(nb) -> list[str]:
    return [o["data"]["image/png"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})]


def test_graded_notebooks_and_feedback_show_the_students_figures(graded_class, tmp_path):
    course, _ = graded_class
    plotting = [a for a in build.assignment_ids(graded=True)
                if "plt.show()" in build.paths.source_script(a).read_text(encoding="utf-8")]
    assert plotting, "the course's notebooks plot"
    for a in plotting:
        nb = nbformat.read(course / "autograded" / "sample-solution" / a / f"{a}.ipynb", as_version=4)
        pngs = _pngs(nb)
        assert pngs, f"{a}: the graded solution shows no figure"
        assert len(pngs) <= LIMITS.figures
        for student in ("sample-solution", "sample-blank", "sample-half-right"):
            graded = nbformat.read(course / "autograded" / student / a / f"{a}.ipynb", as_version=4)
            assert "figure not kept" not in nbformat.writes(graded), f"{a}/{student}: the caps cut the course's own figures"
        feedback = (course / "feedback" / "sample-solution" / a / f"{a}.html").read_text(encoding="utf-8")
        assert sum(f'src="data:image/png;base64,{p}"' in feedback for p in set(pngs)) == len(set(pngs)), a

    # and a browser draws them: each image of one feedback page decodes to its size
    require_chromium()
    a = plotting[0]
    page = (course / "feedback" / "sample-solution" / a / f"{a}.html").read_text(encoding="utf-8")
    probe = ("<script>window.addEventListener('load', () => { for (const i of document.images) "
             "if (i.src.startsWith('data:image/png;base64,')) "
             "i.setAttribute('data-drawn', i.naturalWidth + 'x' + i.naturalHeight); });</script>")
    copy = tmp_path / "feedback.html"
    copy.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = dump_dom(copy.as_uri(), tmp_path)
    drawn = re.findall(r'data-drawn="(\d+)x(\d+)"', dom)
    expected = [struct.unpack(">II", base64.b64decode(p)[16:24]) for p in _pngs(
        nbformat.read(course / "autograded" / "sample-solution" / a / f"{a}.ipynb", as_version=4))]
    assert sorted((int(w), int(h)) for w, h in drawn) == sorted(expected) and all(w > 0 for w, _ in expected)


def test_a_kernel_starts_warm_and_leaves_nothing_in_the_students_namespace():
    """The warm-up (sandbox.WARM_UP) imports pyplot and loads its fonts as the kernel starts; the
    student's namespace holds none of its names and no figure is left to show."""
    probe = ("import sys\nwarm = 'matplotlib.pyplot' in sys.modules\nimport matplotlib.pyplot as plt\n"
             "mine = ('In', 'Out', 'exit', 'quit', 'open', 'get_ipython', 'sys', 'plt', 'warm')\n"
             "print(sorted(k for k in dir() if not k.startswith('_') and k not in mine + ('mine',)),"
             " warm, len(plt.get_fignums()), '_p' in dir(), '_f' in dir())")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    box = sandbox.Sandbox(sandbox.Limits())
    try:
        run = box.run(nb, "{}")
    finally:
        box.close()
    assert not run["message"], run["message"]
    assert _notes(run["notebook"].cells[0].outputs) == "[] True 0 False False\n"


# ---- red team: caps that images reach around ----------------------------------------------------

def _msg(data: dict, msg_type: str = "display_data") -> dict:
    return {"msg_type": msg_type, "header": {"msg_type": msg_type}, "parent_header": {"msg_id": "m"},
            "content": {"data": data, "metadata": {}, "transient": {}}}


def _feedback_images(cells_outs) -> list[list[str]]:
    """The data-URI images each cell shows in the feedback HTML (after sanitize.inert, as nbconvert renders)."""
    from nbconvert import HTMLExporter

    from autograder.sanitize import inert
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"# CELLMARK{i}") for i in range(len(cells_outs))])
    for cell, outs in zip(nb.cells, cells_outs):
        cell.outputs = [nbformat.from_dict(o) for o in outs]
    html = HTMLExporter().from_notebook_node(inert(nb))[0]
    return [re.findall(r'src="data:image/[a-z]+;base64,([^"]*)"', part) for part in html.split("CELLMARK")[1:]]


def test_images_in_html_outputs_count_against_the_figure_caps(client):
    """`display(HTML('<img src="data:image/png;base64,...">' * 100))` in cell after cell: sanitize.inert
    keeps data-URI images in output HTML, and runner.CappedClient counts them as text only, so the
    feedback shows hundreds of images (and a PNG claiming 100000x100000 pixels), past every figure cap."""
    honest, small = _png(), _png(1, 1, 30)
    outs = [[] for _ in range(13)]
    for cell in range(3):   # the honest control: three ordinary plots, kept with no note
        client.output(outs[cell], _msg({"image/png": honest, "text/plain": "<Figure size 640x480 with 1 Axes>"}), None, cell)
    tag = f'<img src="data:image/png;base64,{small}">'
    for cell in range(3, 12):
        client.output(outs[cell], _msg({"text/html": tag * 100, "text/plain": "x"}), None, cell)
    client.output(outs[12], _msg({"text/html": f'<img src="data:image/png;base64,{_png_header(100_000, 100_000)}">'}), None, 12)
    shown = _feedback_images(outs)
    assert [len(s) for s in shown[:3]] == [1, 1, 1] and not any(_notes(o) for o in outs[:3])
    assert all(len(s) <= LIMITS.figures_per_cell for s in shown), [len(s) for s in shown]
    assert sum(map(len, shown)) <= LIMITS.figures, sum(map(len, shown))
    assert _png_header(100_000, 100_000) not in shown[12]


def _jpeg_claiming(width: int, height: int) -> str:
    """A small JPEG whose frame header (SOF0) claims these dimensions (what a decompression bomb claims)."""
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "JPEG")
    raw = bytearray(buf.getvalue())
    sof = raw.find(b"\xff\xc0")
    struct.pack_into(">HH", raw, sof + 5, height, width)
    return base64.b64encode(bytes(raw)).decode()


def test_a_jpeg_of_too_many_pixels_is_not_kept(client):
    """figure_px is checked for PNG only: `display(Image(data=jpeg, format='jpeg'))` of 65000x65000
    pixels (a few hundred bytes) is kept and reaches the feedback, where a browser decodes ~16 GB."""
    outs = [[], []]
    client.output(outs[0], _msg({"image/png": _png(), "text/plain": "<Figure>"}), None, 0)   # honest control
    bomb = _jpeg_claiming(65000, 65000)
    client.output(outs[1], _msg({"image/jpeg": bomb, "text/plain": "x"}), None, 1)
    assert _images(outs[0]) and not _notes(outs[0])
    assert not any("image/jpeg" in o.get("data", {}) for o in outs[1])
    assert "figure not kept" in _notes(outs[1])


def test_a_live_plot_redrawn_with_clear_output_keeps_its_last_figure(client):
    """An honest training loop redraws its curve each epoch with clear_output(wait=True) (the kernel
    sends: clear_output, then the figure). After figures_per_cell epochs every new frame is refused;
    the note is cleared by the next clear_output and the cell ends with no figure and no note."""
    png = _png(2, 1.5, 50)
    outs = []
    for epoch in range(10):
        client.clear_output(outs, {"content": {"wait": True}, "parent_header": {"msg_id": "m"}}, 0)
        client.output(outs, _msg({"image/png": png, "text/plain": f"<Figure epoch {epoch}>"}), None, 0)
    assert _images(outs) or "figure not kept" in _notes(outs), outs
