"""Where each node was made, and anomaly mode.

With anomaly mode or ``trace()`` on, every recorded node keeps the place its forward ran:
``node.metadata["site"]`` (file, line, source, and a label such as ``In [3], line 2`` inside a
notebook) and, in anomaly mode, ``node.metadata["traceback_"]`` as PyTorch keeps it. With both off
the cost per op is one falsy check in ``Node.apply``.
"""
import functools
import os
import traceback
import warnings

from ._frames import user_frame, user_frames

class _State:
    """The switches, read on every op (``recording``) and every backward step: plain attributes."""

    __slots__ = ("enabled", "check_nan", "trace", "recording")

    def __init__(self):
        self.enabled, self.check_nan, self.trace = False, True, False
        self.recording = False  # anomaly mode or trace(): Node.apply records creation sites

    def save(self):
        return self.enabled, self.check_nan, self.trace

    def restore(self, saved):
        self.enabled, self.check_nan, self.trace = saved
        self.recording = self.enabled or self.trace


state = _State()

ENABLED_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                   "enabled for debugging.")
_INTERNAL = " (Triggered internally at /__w/pytorch/pytorch/torch/csrc/autograd/python_anomaly_mode.cpp:122.)"
STALE_HINT_ANOMALY = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                      "The variable in question was changed in there or anywhere later. Good luck!")


def _label_plain(filename, lineno):
    return f"{os.path.basename(filename)}, line {lineno}"


_site_labeller = [_label_plain]  # the IPython extension installs one that says "In [3], line 2"


def set_site_labeller(fn):
    """Install ``fn(filename, lineno) -> str`` (None restores the plain one); returns the previous."""
    prev = _site_labeller[0]
    _site_labeller[0] = fn or _label_plain
    return prev


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


def record_site(node):
    """Called when a node is recorded (node.record) with anomaly mode or trace() on: remember where
    its forward ran (the user's innermost line) and, in anomaly mode, the forward traceback."""
    f = user_frame()
    if f is None:
        return
    node.metadata["site"] = {"file": f.filename, "line": f.lineno, "code": (f.line or "").strip(),
                             "label": _site_labeller[0](f.filename, f.lineno)}
    if state.enabled:
        node.metadata["traceback_"] = traceback.format_list(user_frames())


def record_no_grad_site(outputs):
    """Called by Node.apply when recording and an op ran under no_grad on inputs that require grad:
    the outputs have no history, so remember on them where that happened."""
    f = user_frame()
    if f is not None:
        label = _site_labeller[0](f.filename, f.lineno)
        text = f"{label}: {(f.line or '').strip()}" if f.line else label
        for o in outputs:
            o._no_grad_site = text


def no_grad_site_of(tensor):
    """``In [4], line 1: y = x * 2`` when ``tensor`` was computed under no_grad while recording."""
    return tensor.__dict__.get("_no_grad_site")


def site_of(node):
    """``In [3], line 2: y = x * w`` (or None when nothing was recorded)."""
    site = node.metadata.get("site") if node._metadata else None
    if not site:
        return None
    return f"{site['label']}: {site['code']}" if site["code"] else site["label"]


def warn_error_in(node):
    tb = node._metadata.get("traceback_") if node._metadata else None
    if tb is None:
        warnings.warn("No forward pass information available. Enable detect anomaly during forward pass for more "
                      "information." + _INTERNAL, UserWarning, stacklevel=3)
        return
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                  + "".join(tb) + _INTERNAL, UserWarning, stacklevel=3)


class _Switch:
    """Context manager and decorator; also works as a plain call that switches at once."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)
        return wrapper

    def __exit__(self, *exc):
        state.restore(self._prev)
        return False


class detect_anomaly(_Switch):
    """Record each node's forward traceback; report it when its backward fails; fail on NaN grads."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn(ENABLED_WARNING, UserWarning, stacklevel=2)

    def _fresh(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return detect_anomaly(self.check_nan)

    def __enter__(self):
        self._prev = state.save()
        state.restore((True, self.check_nan, state.trace))
        return self


class set_detect_anomaly(_Switch):
    """``set_detect_anomaly(True)`` switches anomaly mode on now, or for a ``with`` block."""

    def __init__(self, mode, check_nan=True):
        self._prev = state.save()
        self.mode, self.check_nan = mode, check_nan
        state.restore((bool(mode), check_nan, state.trace))

    def _fresh(self):
        return set_detect_anomaly(self.mode, self.check_nan)

    def __enter__(self):
        return self


class trace(_Switch):
    """``autograd_lab.trace()``: record where each node was made (cheaper than anomaly mode)."""

    def __init__(self, enabled=True):
        self._prev = state.save()
        self.enabled = enabled
        state.restore((state.enabled, state.check_nan, bool(enabled)))

    def _fresh(self):
        return trace(self.enabled)

    def __enter__(self):
        return self
