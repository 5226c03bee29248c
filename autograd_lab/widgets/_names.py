"""Names for tensors from the caller's variables, so a widget built as ``GraphView(loss)`` labels
the leaves ``x`` and ``w`` the way the student wrote them."""
import sys

from ..viz import view

_HERE = __name__.rsplit(".", 1)[0]  # "autograd_lab.widgets"


def _user_frame():
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_HERE):
        frame = frame.f_back
    return frame


def caller_scope():
    """``({id(tensor): name}, [tensor, ...])`` for the tensors (autograd_lab's or torch's) bound to
    plain names where the widget was created (locals first, then globals; names starting with "_"
    are IPython's output cache)."""
    frame = _user_frame()
    if frame is None:
        return {}, []
    names, tensors = {}, []
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in list(scope.items()):
            if not name.startswith("_") and view.is_tensor(value) and id(value) not in names:
                names[id(value)] = name
                tensors.append(value)
    return names, tensors


def caller_names():
    """``{id(tensor): name}`` for the tensors bound to plain names where the widget was created."""
    return caller_scope()[0]
