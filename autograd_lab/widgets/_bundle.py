"""Serving the browser code: a tiny ``_esm`` per widget, the big bundle once per page.

anywidget sends ``_esm`` with every widget's state, and a saved notebook stores it again for every
widget. Ours is the loader (``static/loader.js``, about 1 KB); it asks the kernel for
``static/widgets.js`` (about 1.3 MB, Graphviz's WASM inlined) over the widget's comm, and the page
keeps the imported module on ``globalThis`` under the bundle's hash. So five widgets cost one
transfer, and a saved notebook never contains the bundle.
"""
import hashlib
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
BUNDLE = STATIC / "widgets.js"
LOADER = STATIC / "loader.js"

MISSING = ("autograd_lab's widget bundle is missing ({path}). Reinstall autograd_lab (`pip install .` builds it "
           "with npm), or run `npm install && npm run build` in the widgets/ folder of a source checkout.")

# shown when even the loader is missing: the widget says so instead of staying blank
_FALLBACK_ESM = """
export default { render({ el }) {
  el.textContent = %s;
  el.dataset.testid = "load-error";
} };
"""

_cache = {}
sent = 0  # how many times a kernel sent the bundle: once per page, whatever the number of widgets


def _read(path):
    """Bytes and hash of a static file, re-read when it changes (a rebuilt bundle in a dev loop)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None, None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        data = path.read_bytes()
        _cache[key] = (data, hashlib.sha256(data).hexdigest()[:16])
    return _cache[key]


def bundle():
    """(bytes, hash) of widgets.js, or (None, None) when it was not built."""
    return _read(BUNDLE)


def missing_message():
    return MISSING.format(path=BUNDLE)


def loader_esm(kind):
    """The ``_esm`` text for one widget kind ("graph-view", ...)."""
    loader, _ = _read(LOADER)
    _, digest = bundle()
    if loader is None:
        import json
        return _FALLBACK_ESM % json.dumps(missing_message())
    text = loader.decode("utf-8")
    return text.replace("__AUTOGRAD_LAB_KIND__", kind).replace("__AUTOGRAD_LAB_HASH__", digest or "missing")
