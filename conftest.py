"""pytest set-up for the lessons in notebooks/ (collected by nbval, see [tool.pytest.ini_options]).
It lives here, not in notebooks/, so that the students' file browser shows the lessons only.

nbval starts each notebook's kernel in notebooks/, so put the repository root on the kernel's
PYTHONPATH: the lessons then import this checkout's ``autograd_lab`` even when it is not
pip-installed. (The kernel inherits this process's environment.)
"""
import os
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent)
_paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if _ROOT not in _paths:
    os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *_paths])


def pytest_collection_modifyitems(config, items):
    """Without Graphviz's ``dot`` the widgets carry no static picture (autograd_lab/widgets/_picture.py),
    while the stored lessons do: then nbval leaves pictures out of the comparison."""
    import shutil
    if shutil.which("dot") is not None:
        return
    for item in items:
        parent = item.parent
        if hasattr(parent, "skip_compare") and "image/svg+xml" not in parent.skip_compare:
            parent.skip_compare = (*parent.skip_compare, "image/svg+xml")
