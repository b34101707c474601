"""nbconvert preprocessors for the feedback students receive."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class StripTestTracebacks(Preprocessor):
    """Reduce a failed test cell's traceback to its message.

    IPython tracebacks quote the lines around the failing call, which in a test cell are the
    hidden tests. The message (what was expected, what came back) is what a student needs.
    """

    enabled = Bool(True)  # nbconvert skips preprocessors that are not enabled

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources
