"""Helpers for driving Jupyter servers and notebooks from the browser tests (no fixtures here)."""
import json
import os
import re
import socket
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "autograd-lab-test"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter server process (lab or notebook) in an isolated config, on 127.0.0.1 with a token."""

    def __init__(self, app, root_dir, home):
        self.app = app
        self.root_dir = Path(root_dir)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = home / "config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        # the news toast ("get notified about official Jupyter news?") covers the notebook
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        # the defaults autograd_lab's wheel installs (jupyter-config/lab-overrides.json: save the widgets'
        # state with the notebook, so a saved lesson reopened without a kernel still shows its graphs),
        # read from the checkout so that the test proves the shipped file, whatever this venv holds
        app_settings = home / "app-settings"
        app_settings.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "jupyter-config" / "lab-overrides.json", app_settings / "overrides.json")
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   IPYTHONDIR=str(home / "ipython"), JUPYTER_PLATFORM_DIRS="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        app_class = "LabApp" if app == "jupyterlab" else "JupyterNotebookApp"
        cmd = [sys.executable, "-m", app, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={self.port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={self.root_dir}",
               f"--{app_class}.expose_app_in_browser=True",
               f"--{app_class}.user_settings_dir={home / 'settings'}",
               f"--{app_class}.app_settings_dir={app_settings}",
               f"--{app_class}.workspaces_dir={home / 'workspaces'}"]
        self.log = open(home / f"{app}.log", "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.root_dir)
        self._wait()

    def _wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.app} exited with {self.proc.returncode}: see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={TOKEN}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"{self.app} did not answer within {timeout} s: see {self.log.name}")

    def url(self, notebook):
        if self.app == "jupyterlab":
            return f"{self.base}/lab/tree/{notebook}?reset&token={TOKEN}"
        return f"{self.base}/notebooks/{notebook}?token={TOKEN}"

    def stop(self):
        # shut kernels down through the API first, so no kernel outlives the server
        try:
            req = urllib.request.Request(f"{self.base}/api/shutdown?token={TOKEN}", method="POST")
            urllib.request.urlopen(req, timeout=5)
            self.proc.wait(timeout=15)
        except Exception:  # noqa: BLE001
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def write_notebook(directory, name, cells):
    """A notebook of code cells (strings), with a python3 kernelspec."""
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = Path(directory) / name
    nbformat.write(nb, path)
    return path


class Notebook:
    """Drives one open notebook through window.jupyterapp (JupyterLab or Notebook 7)."""

    def __init__(self, page, server, name):
        self.page = page
        self.server = server
        page.goto(server.url(name))
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        # wait for a connected, idle kernel (the idle indicator can show before the websocket is up)
        page.wait_for_function("""() => {
            const w = window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
            return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
        }""", timeout=60_000)

    def cell(self, i):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(i)

    def run(self, i, timeout=60_000):
        """Run cell i and wait until the kernel has finished it."""
        self.page.evaluate("""async (i) => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = i;
            panel.content.deselectAll();
            await window.jupyterapp.commands.execute('notebook:run-cell');
        }""", i)
        self.page.wait_for_function("""(i) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cell = panel.content.widgets[i];
            const k = panel.sessionContext.session.kernel;
            return cell.model.executionCount !== null && !cell.hasClass('jp-mod-busy') && k.status === 'idle';
        }""", arg=i, timeout=timeout)
        return self.cell(i)

    def output_text(self, i):
        return self.cell(i).locator(".jp-OutputArea-output").all_inner_texts()

    def json_output(self, i, marker):
        """The JSON printed after `marker` in cell i's output."""
        text = "\n".join(self.output_text(i))
        m = re.search("^" + re.escape(marker) + r"(.*)$", text, re.M)
        assert m, f"no line starting with {marker!r} in the output of cell {i}:\n{text}"
        return json.loads(m.group(1))

    def execute_command(self, command, args=None):
        self.page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a || {})", [command, args])


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# Text a widget never means to show: "null", "undefined" or "NaN" that JavaScript wrote for a missing
# value (replaceChildren(null), `${undefined}`, arithmetic on nothing), in any text or attribute of a
# widget. A tensor's NaN prints as PyTorch prints it, `nan` (lowercase, not matched). "NaN" is meant
# only in the nan badge and in our own words: "holds NaN" (inspector, tooltips), "NaN / inf" (its
# section), "has NaN" (the text tree), "⚠ NaN" (the static picture's label line).
STRAY_TEXT = r"""() => {
  const word = /\b(null|undefined|NaN)\b/;
  const meant = /holds NaN|has NaN|NaN \/ inf|⚠ NaN/g;   // NaN as our own words say it
  const stray = (text) => word.test(text.replace(meant, ""));
  const out = [];
  for (const root of document.querySelectorAll(".agl-root, [data-testid='static-picture']")) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const badge = t.data === "NaN" && t.parentElement?.closest("[data-testid='nan-badge']");
      if (!badge && stray(t.data)) out.push(`text "${t.data.slice(0, 80)}" in <${t.parentElement?.tagName}>`);
    }
    for (const el of [root, ...root.querySelectorAll("*")]) {
      for (const { name, value } of el.attributes) {
        if (stray(value)) out.push(`${el.tagName} ${name}="${value.slice(0, 80)}"`);
      }
    }
  }
  return out;
}"""


def stray_text(page):
    """Every "null" / "undefined" / stray "NaN" the widgets on the page show (see STRAY_TEXT)."""
    return page.evaluate(STRAY_TEXT)
