"""Strip a lesson notebook down to what nbval compares, before it is saved.

    python lesson_tools/clean.py notebooks/*.ipynb      # clean in place

Kept: text outputs (streams, text/plain, errors) and a widget's static picture (its SVG; nbval
compares what it shows through lesson_tools/sanitize.cfg). Removed: widget state (notebook
``metadata.widgets`` and every ``application/vnd.jupyter.widget-*`` output), heavy rich outputs
(SVG, PNG, HTML, JavaScript) and per-cell execution timestamps.

nbval compares every MIME type of an output except widget views and PNG/JPEG, so a cell whose
SVG or HTML we drop must be tagged ``nbval-ignore-output`` (or carry ``# NBVAL_IGNORE_OUTPUT``);
``clean`` refuses otherwise, instead of saving a notebook that fails its own test.
"""
import sys

import nbformat

WIDGET_PREFIX = "application/vnd.jupyter.widget-"
HEAVY = ("image/svg+xml", "image/png", "image/jpeg", "text/html", "application/javascript",
         "text/markdown", "text/latex")
NBVAL_SKIPS = ("image/png", "image/jpeg")  # nbval never compares these (nor widget views)


def output_ignored(cell):
    tags = cell.get("metadata", {}).get("tags", [])
    if "nbval-ignore-output" in tags or "nbval-skip" in tags:
        return True
    return any(line.strip().lstrip("#").strip() in ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
               for line in cell.source.splitlines() if line.strip().startswith("#"))


def clean_cell(cell, where=""):
    cell.metadata.pop("execution", None)
    cell.metadata.pop("widgets", None)
    if cell.cell_type != "code":
        return
    kept = []
    for out in cell.outputs:
        if out.output_type in ("display_data", "execute_result"):
            data = out.get("data", {})
            widget = any(key.startswith(WIDGET_PREFIX) for key in data)
            for key in list(data):
                if key.startswith(WIDGET_PREFIX):
                    del data[key]
                elif widget and key == "image/svg+xml":
                    continue  # a widget's static picture: what viewers without it show (sanitize.cfg)
                elif key in HEAVY:
                    if key not in NBVAL_SKIPS and not output_ignored(cell):
                        raise ValueError(f"{where}: a compared cell shows {key}; nbval would miss it once "
                                         "stripped. Tag the cell nbval-ignore-output or show text instead.\n"
                                         + cell.source)
                    del data[key]
            out.pop("metadata", None)
            out["metadata"] = {}
            if not data:
                continue  # nothing left that nbval compares
        kept.append(out)
    cell.outputs = kept


def clean(nb, where=""):
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        clean_cell(cell, f"{where} cell {i}")
    return nb


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        clean(nb, path)
        nbformat.write(nb, path)
        print("cleaned", path)


if __name__ == "__main__":
    main(sys.argv[1:])
