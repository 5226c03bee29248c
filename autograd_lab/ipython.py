"""``%load_ext autograd_lab``: graphs in the notebook, and backward errors drawn where they happen.

Loading the extension
- gives Tensors an HTML display: the usual repr (text/plain is left alone) plus, for a tensor with
  history, a fold-out text tree of its graph (text, so stored notebook outputs do not depend on the
  Graphviz version of the machine that ran them);
- gives autograd Nodes an HTML display: the graph below the node (SVG when ``dot`` is installed);
- wraps IPython's handling of RuntimeError: the traceback is shown with autograd_lab's own frames
  left out (as PyTorch's show the user's code only: its engine is C++; the exception itself, and
  ``%debug``, keep every frame; ``SHOW_INTERNAL_FRAMES = True`` shows them), then, when the engine
  attached the failing node (``exc.autograd_node``), the graph is drawn with that node in the error
  state, its freed or stale saved tensor marked, and PyTorch's message as the caption. A real
  ``torch`` backward that fails the same way (backward twice, a saved tensor modified in place) is
  drawn too: its loss is taken from the traceback, and the failing node found on its graph;
- does the same for real ``torch`` tensors (their HTML display, ``%autograd_graph``), when the
  notebook uses torch;
- adds ``%autograd_graph <expr>``, which draws the graph of a tensor.

``%unload_ext autograd_lab`` puts every formatter, the exception handler and the magic back exactly
as they were. The core never imports this module (or IPython).
"""
import html
import os
import sys
import types

from . import anomaly, engine, viz
from ._frames import is_ours
from .node import Node, walk
from .tensor import Tensor
from .viz import view
from .viz.dot import svg_element

MAGIC_NAME = "autograd_graph"
INLINE_GRAPH_LIMIT = 200  # nodes; beyond this a fold-out tree in every tensor's display is noise
ERROR_GRAPH_LIMIT = 300   # nodes; beyond this dot takes seconds, so errors show the failing node's surroundings
ERROR_RADIUS = 4
# False: tracebacks under the extension leave out the frames inside autograd_lab (the engine's
# internals), as PyTorch's do. True shows them, for work on autograd_lab itself.
SHOW_INTERNAL_FRAMES = False

_MISSING = object()
# keyed by id(shell). Kept across importlib.reload (which re-runs this file in the same module
# dict), so %reload_ext cannot lose what must be restored.
_extensions = globals().get("_extensions") or {}


def _pre(text):
    return f"<pre>{html.escape(text)}</pre>"


def _small_graph(node, limit):
    """Whether at most ``limit`` nodes lie behind ``node``: counted before paying for a snapshot,
    since a display must stay instant even for a graph of 10,000 nodes."""
    for count, _ in enumerate(walk([node]), 1):
        if count > limit:
            return False
    return True


class _Extension:
    def __init__(self, ip):
        self.ip = ip
        self.formatters = []   # (formatter, type, previous printer or _MISSING)
        self.custom_exc = (ip.custom_exceptions, ip.CustomTB)
        self.magic = None
        self.remove_listener = None
        self.run_root = None   # first node of the backward pass running now
        self.failure = None    # (exception, root node) of the last backward that raised
        self.torch_failure = None  # (exception, loss tensor) of a torch backward that raised
        self.deferred = None

    # ---- install / restore ----
    def load(self):
        html_formatter = self.ip.display_formatter.formatters["text/html"]
        self._set_printer(html_formatter, Tensor, self.tensor_html)
        self._set_printer(html_formatter, Node, self.node_html)
        # real torch tensors too, by name: torch is not imported here (nor need it ever be)
        key = ("torch", "Tensor")
        self.deferred = (html_formatter, key, html_formatter.deferred_printers.get(key, _MISSING))
        html_formatter.deferred_printers[key] = self.tensor_html

        prior_types, prior_tb = self.custom_exc
        handled = tuple(prior_types) + ((RuntimeError,) if RuntimeError not in prior_types else ())
        ext = self

        def autograd_error_handler(shell, etype, value, tb, tb_offset=None):
            if getattr(value, "autograd_node", None) is None and view.is_torch_engine_error(value):
                ext.torch_failure = (value, _torch_backward_root(tb))
            if prior_types and isinstance(value, prior_types) and not ext.drawable(value):
                return prior_tb(etype, value, tb, tb_offset=tb_offset)
            shell.showtraceback((etype, value, tb if SHOW_INTERNAL_FRAMES else _user_frames(tb)),
                                tb_offset=tb_offset)
            if ext.drawable(value):
                ext.show_error(value)
            return None

        self.ip.set_custom_exc(handled, autograd_error_handler)

        magics = self.ip.magics_manager
        self.magic = (magics.magics["line"].get(MAGIC_NAME, _MISSING),
                      vars(magics.user_magics).get(MAGIC_NAME, _MISSING))
        magics.register_function(self.autograd_graph, "line", MAGIC_NAME)

        self.remove_listener = engine.add_listener(self.on_engine_event)
        self.prev_labeller = anomaly.set_site_labeller(self.cell_label)

    def cell_label(self, filename, lineno):
        """Name a node's creation site as a person sees it: ``In [3], line 2``."""
        number = getattr(self.ip.compile, "_filename_map", {}).get(filename)
        if number is not None:
            return f"In [{number}], line {lineno}"
        return f"{os.path.basename(filename)}, line {lineno}"

    def unload(self):
        anomaly.set_site_labeller(self.prev_labeller)
        for formatter, typ, previous in reversed(self.formatters):
            if previous is _MISSING:
                formatter.type_printers.pop(typ, None)
            else:
                formatter.type_printers[typ] = previous
        self.formatters = []
        if self.deferred is not None:
            formatter, key, previous = self.deferred
            formatter.deferred_printers.pop(key, None)
            torch = sys.modules.get("torch")
            # IPython moves a deferred printer to type_printers once it has been used
            if torch is not None and formatter.type_printers.get(torch.Tensor) == self.tensor_html:
                formatter.type_printers.pop(torch.Tensor)
            if previous is not _MISSING:
                formatter.deferred_printers[key] = previous
            self.deferred = None
        self.ip.custom_exceptions, self.ip.CustomTB = self.custom_exc
        magics = self.ip.magics_manager
        line_magic, attr = self.magic
        if line_magic is _MISSING:
            magics.magics["line"].pop(MAGIC_NAME, None)
        else:
            magics.magics["line"][MAGIC_NAME] = line_magic
        if attr is _MISSING:
            vars(magics.user_magics).pop(MAGIC_NAME, None)
        else:
            setattr(magics.user_magics, MAGIC_NAME, attr)
        if self.remove_listener is not None:
            self.remove_listener()
        self.failure = self.run_root = self.torch_failure = None

    def drawable(self, exc):
        """Whether an error can be drawn on a graph: the engine named its node, or it is a torch
        backward's error whose loss was found."""
        if getattr(exc, "autograd_node", None) is not None:
            return True
        return self.torch_failure is not None and self.torch_failure[0] is exc and self.torch_failure[1] is not None

    def _set_printer(self, formatter, typ, fn):
        self.formatters.append((formatter, typ, formatter.type_printers.get(typ, _MISSING)))
        formatter.type_printers[typ] = fn

    # ---- the engine's observer: remembers where the failing backward started ----
    def on_engine_event(self, event, payload):
        if event == "step":
            if payload.index == 0:
                self.run_root = payload.node
        elif event == "error":
            node, exc = payload
            self.failure = (exc, self.run_root)
            self.run_root = None
        elif event == "done":
            self.run_root = None

    # ---- names: label tensors by the variables that hold them ----
    def namespace_tensors(self):
        """({id(tensor): variable name}, {id(grad_fn): tensor}) from the user's namespace."""
        names, by_node = {}, {}
        for key, value in list(self.ip.user_ns.items()):
            if key.startswith("_") or not view.is_tensor(value):
                continue
            names.setdefault(id(value), key)
            if value.grad_fn is not None and value.output_nr == 0:
                by_node.setdefault(id(value.grad_fn), value)
        return names, by_node

    # ---- displays ----
    def tensor_html(self, t):
        parts = [_pre(repr(t))]
        if t.grad_fn is not None and _small_graph(t.grad_fn, INLINE_GRAPH_LIMIT):
            names, _ = self.namespace_tensors()
            snap = viz.snapshot(t, names=names)
            ops = sum(1 for n in snap.nodes if n["kind"] == "op")
            tree = viz.text_tree(snap)
            parts.append(f"<details><summary>graph: {ops} op{'s' if ops != 1 else ''}</summary>"
                         f"{_pre(tree)}</details>")
        return "".join(parts)

    def node_html(self, node):
        names, _ = self.namespace_tensors()
        drawing = viz.draw(node, names=names)
        if viz.has_dot() and _small_graph(node, ERROR_GRAPH_LIMIT):
            return svg_element(drawing.svg())
        return _pre(drawing.text())

    def show_error(self, exc):
        """Display the graph of a failed backward, its failing node marked (never raises)."""
        try:
            from IPython.display import display
            display(self.error_drawing(exc))
        except Exception as problem:  # a drawing must never hide the user's real error
            print(f"(autograd_lab could not draw the graph: {type(problem).__name__}: {problem})",
                  file=sys.stderr)
        finally:
            self.failure = self.torch_failure = None  # they hold the whole failed graph alive

    def error_drawing(self, exc):
        failing = getattr(exc, "autograd_node", None)
        if failing is None:  # a torch backward: its loss came from the traceback
            names, _ = self.namespace_tensors()
            snap = viz.snapshot(self.torch_failure[1], names=names)
            nid = snap.mark_error(exc)
            if nid is not None and len(snap) > ERROR_GRAPH_LIMIT:
                snap = snap.neighbourhood(nid, ERROR_RADIUS)
            return viz.draw(snap, error=exc)
        root = None
        if self.failure is not None and self.failure[0] is exc:
            root = self.failure[1]
        names, by_node = self.namespace_tensors()
        snap = None
        if root is not None:
            snap = viz.snapshot(by_node.get(id(root), root), names=names)
            if snap.id_of(failing) is None:
                snap = None  # a stale root (an abandoned stepper, say): draw from the failing node
        if snap is None:
            snap = viz.snapshot(by_node.get(id(failing), failing), names=names)
        caption = None
        if len(snap) > ERROR_GRAPH_LIMIT:
            total = len(snap)
            snap = snap.neighbourhood(snap.id_of(failing), ERROR_RADIUS)
            caption = (f"{type(exc).__name__}: {exc}\n(the {len(snap)} nodes within {ERROR_RADIUS} steps of the "
                       f"failing node, out of {total}: autograd_lab.viz.draw(...) draws them all)")
        return viz.draw(snap, error=exc, caption=caption)

    def autograd_graph(self, line):
        """%autograd_graph <expr>: draw the graph behind a tensor (or a node); returns the drawing."""
        from IPython.core.error import UsageError
        expr = line.strip()
        if not expr:
            raise UsageError("usage: %autograd_graph <tensor expression>")
        value = self.ip.ev(expr)
        names, _ = self.namespace_tensors()
        return viz.draw(value, names=names)


def _torch_backward_root(tb):
    """The tensor a failed torch backward started from: ``self`` of ``Tensor.backward``, or the
    ``tensors`` / ``outputs`` handed to ``torch.autograd.backward`` / ``grad``, read from the
    traceback's frames (None when not found)."""
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__", "").startswith("torch"):
            local = frame.f_locals
            for key in ("self", "tensors", "outputs"):
                value = local.get(key)
                if isinstance(value, (list, tuple)) and value:
                    value = value[0]
                if view.is_torch(value) and view.is_tensor(value) and value.grad_fn is not None:
                    found = found if found is not None else value
        tb = tb.tb_next
    return found


def _user_frames(tb):
    """A copy of the traceback chain without autograd_lab's frames (the exception's own
    ``__traceback__`` is left whole). The user's frames stay, wherever they are: a hook or a custom
    Function's backward that the engine called is the user's code."""
    frames, first = [], tb
    while tb is not None:
        if not is_ours(tb.tb_frame.f_code.co_filename):
            frames.append(tb)
        tb = tb.tb_next
    trimmed = None
    for old in reversed(frames):
        trimmed = types.TracebackType(trimmed, old.tb_frame, old.tb_lasti, old.tb_lineno)
    return trimmed if trimmed is not None else first


def load_ipython_extension(ip):
    if id(ip) in _extensions:
        return  # loaded under its other name (autograd_lab / autograd_lab.ipython)
    ext = _Extension(ip)
    ext.load()
    _extensions[id(ip)] = ext


def unload_ipython_extension(ip):
    ext = _extensions.pop(id(ip), None)
    if ext is not None:
        ext.unload()
