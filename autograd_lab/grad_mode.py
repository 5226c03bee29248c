"""Grad mode: whether new operations are recorded. Thread-local, as in PyTorch."""
import functools
import threading

class _State(threading.local):
    enabled = True  # class-level defaults: each thread starts with grad mode on, as in PyTorch
    inference = False


_state = _State()


def is_grad_enabled():
    return _state.enabled


def _set(mode):
    _state.enabled = bool(mode)


def is_inference_mode_enabled():
    return _state.inference


class _GradModeContext:
    """Base for the context managers below; each also works as a decorator."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        return wrapper

    _args = ()

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._mode())
        return None

    def __exit__(self, *exc):
        _set(self._prev)
        return False


class no_grad(_GradModeContext):
    """Operations inside do not build a graph; results have ``requires_grad=False``."""

    def _mode(self):
        return False


class enable_grad(_GradModeContext):
    def _mode(self):
        return True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches grad mode off at once, or for a ``with`` block."""

    def __init__(self, mode):
        self._args = (mode,)
        self._prev = is_grad_enabled()
        self._mode_value = bool(mode)
        _set(mode)

    def _mode(self):
        return self._mode_value

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set(self._prev)
        return False


class inference_mode(_GradModeContext):
    """Like no_grad (this engine keeps no extra bookkeeping for inference tensors)."""

    def __init__(self, mode=True):
        self._args = (mode,)
        self._on = bool(mode)

    def _mode(self):
        return (not self._on) and is_grad_enabled()

    def __enter__(self):
        self._prev_inf = is_inference_mode_enabled()
        _state.inference = self._on
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._prev_inf
        return super().__exit__(*exc)
