"""Where the user's code is on the call stack. Warnings point at the user's line, creation sites
and anomaly tracebacks show the user's frames, widgets take the user's variable names: all of them
skip autograd_lab's own frames here."""
import os
import sys
import traceback

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# the one frame of ours that PyTorch's anomaly traceback shows too (its autograd/function.py apply)
_FUNCTION_APPLY = (os.path.join(PACKAGE_DIR, "autograd", "function.py"), "apply")


_OURS = {}  # filename -> is it autograd_lab's? (asked for every frame of every op under detect_anomaly)


def is_ours(filename):
    ours = _OURS.get(filename)
    if ours is None:
        ours = _OURS[filename] = os.path.abspath(filename).startswith(PACKAGE_DIR)
    return ours


def _first_outside(frame):
    """The first frame from ``frame`` outwards that is not autograd_lab's, and how many steps out."""
    steps = 0
    while frame is not None and is_ours(frame.f_code.co_filename):
        frame, steps = frame.f_back, steps + 1
    return frame, steps


def user_stacklevel():
    """The ``stacklevel`` that makes our caller's ``warnings.warn`` point at the first frame outside
    autograd_lab."""
    return _first_outside(sys._getframe(1))[1] + 1


def user_frame():
    """The innermost frame outside autograd_lab, as ``traceback`` summarises it (None if there is
    none): found by walking out from the caller, without extracting the whole stack."""
    frame = _first_outside(sys._getframe(1))[0]
    if frame is None:
        return None
    return traceback.FrameSummary(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def user_scope(wanted):
    """``({id(value): name}, [value, ...])`` for the values ``wanted(value)`` accepts that are bound
    to plain names in the first frame outside autograd_lab: locals first, then globals; names
    starting with "_" (IPython's output cache) left out. How widgets label ``x`` and ``w``."""
    frame = _first_outside(sys._getframe(1))[0]
    names, values = {}, []
    if frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if not name.startswith("_") and id(value) not in names and wanted(value):
                    names[id(value)] = name
                    values.append(value)
    return names, values


def user_frames():
    """The stack as ``traceback.extract_stack`` gives it (outermost first), without autograd_lab's
    frames (but with ``Function.apply``, as PyTorch shows its own). Ours are dropped before their
    source lines are looked up: under detect_anomaly this runs for every op."""
    kept = [(frame, lineno) for frame, lineno in traceback.walk_stack(sys._getframe(1))
            if not is_ours(frame.f_code.co_filename) or _is_function_apply(frame.f_code)]
    return list(traceback.StackSummary.extract(reversed(kept)))


def _is_function_apply(code):
    return code.co_name == "apply" and os.path.abspath(code.co_filename) == _FUNCTION_APPLY[0]
