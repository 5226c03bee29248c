"""Build the lesson notebooks from their sources, run them, clean them, save them.

    .venv/bin/python lesson_tools/build.py            # every lesson
    .venv/bin/python lesson_tools/build.py 03 07      # lessons whose name starts with 03 or 07
    .venv/bin/python lesson_tools/build.py --no-run   # write the cells only (no outputs)

Each lesson's source is ``lesson_tools/lessons/<name>.txt``: plain text split into cells by
lines that start with ``%%%``::

    %%% md                      a Markdown cell
    %%% code                    a code cell
    %%% code solution           a code cell with tags (space separated); ``solution`` cells
                                are also collapsed in JupyterLab, so a student sees the
                                exercise before the answer

The notebook is executed top to bottom with the current Python (the repository root on its
PYTHONPATH, the working directory notebooks/, as nbval runs it), then cleaned by ``clean.py``
(text outputs kept, widget state and heavy rich outputs removed) and written to
``notebooks/<name>.ipynb``. The stored outputs are what nbval compares against.
"""
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = ROOT / "notebooks"  # the lessons only: the tools live here, out of the students' file browser
sys.path.insert(0, str(HERE))

from clean import clean  # noqa: E402

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def parse(text):
    """Split a lesson source into (kind, tags, source) cells."""
    cells, kind, tags, lines = [], None, [], []
    for line in text.splitlines():
        if line.startswith("%%%"):
            if kind is not None:
                cells.append((kind, tags, "\n".join(lines).strip("\n")))
            words = line[3:].split()
            kind, tags, lines = words[0], words[1:], []
            if kind not in ("md", "code"):
                raise ValueError(f"unknown cell kind {kind!r} in line {line!r}")
        elif kind is None:
            if line.strip():
                raise ValueError("text before the first %%% line")
        else:
            lines.append(line)
    if kind is not None:
        cells.append((kind, tags, "\n".join(lines).strip("\n")))
    return cells


def to_notebook(cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, tags, source) in enumerate(cells):
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"c{i:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        if "solution" in tags:
            cell.metadata["jupyter"] = {"source_hidden": True}
        nb.cells.append(cell)
    return nb


def run(nb):
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *paths])
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def build(src, execute=True):
    nb = to_notebook(parse(src.read_text()))
    if execute:
        run(nb)
    out = NOTEBOOKS / (src.stem + ".ipynb")
    clean(nb, str(out))
    nbformat.validate(nb)
    nbformat.write(nb, out)
    print("built", out.relative_to(ROOT))


def main(argv):
    execute = "--no-run" not in argv
    prefixes = [a for a in argv if not a.startswith("--")]
    sources = sorted((HERE / "lessons").glob("*.txt"))
    if prefixes:
        sources = [s for s in sources if any(s.stem.startswith(p) for p in prefixes)]
    if not sources:
        raise SystemExit("no lesson matches " + " ".join(prefixes))
    for src in sources:
        build(src, execute)


if __name__ == "__main__":
    main(sys.argv[1:])
