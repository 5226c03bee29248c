"""Where the user's code is on the call stack. Warnings point at the user's line, creation sites
and anomaly tracebacks show the user's frames: all of them skip autograd_lab's own frames here."""
import os
import sys
import traceback

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# the one frame of ours that PyTorch's anomaly traceback shows too (its autograd/function.py apply)
_FUNCTION_APPLY = (os.path.join(PACKAGE_DIR, "autograd", "function.py"), "apply")


def is_ours(filename):
    return os.path.abspath(filename).startswith(PACKAGE_DIR)


def user_stacklevel():
    """The ``stacklevel`` that makes our caller's ``warnings.warn`` point at the first frame outside
    autograd_lab."""
    frame, level = sys._getframe(1), 1
    while frame is not None and is_ours(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def user_frames():
    """The stack as ``traceback.extract_stack`` gives it, without autograd_lab's frames (but with
    ``Function.apply``, as PyTorch shows its own)."""
    return [f for f in traceback.extract_stack()[:-1]
            if not is_ours(f.filename) or (os.path.abspath(f.filename), f.name) == _FUNCTION_APPLY]
