"""Names for tensors from the caller's variables, so a widget built as ``GraphView(loss)`` labels
the leaves ``x`` and ``w`` the way the student wrote them."""
from .._frames import user_scope
from ..viz import view


def caller_scope():
    """``({id(tensor): name}, [tensor, ...])`` for the tensors (autograd_lab's or torch's) bound to
    plain names where the widget was created."""
    return user_scope(view.is_tensor)


def caller_names():
    """``{id(tensor): name}`` for the tensors bound to plain names where the widget was created."""
    return caller_scope()[0]
