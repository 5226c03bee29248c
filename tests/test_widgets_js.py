"""The browser side's own unit tests (node --test in widgets/), run from the one pytest command."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

WIDGETS = Path(__file__).resolve().parent.parent / "widgets"


@pytest.mark.skipif(shutil.which("node") is None and os.environ.get("CI") != "true",
                    reason="node is not installed: the widgets' JavaScript unit tests need Node.js")
def test_widget_js_unit_tests_pass():
    if not (WIDGETS / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WIDGETS, check=True, capture_output=True)
    run = subprocess.run(["node", "--test", "test/"], cwd=WIDGETS, capture_output=True, text=True, timeout=300)
    print(run.stdout[-2000:])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout
