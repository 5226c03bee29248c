"""Warnings as PyTorch gives them, attributed to the user's line rather than to autograd_lab's."""
import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel():
    """The ``stacklevel`` of the first caller outside autograd_lab (counted from our caller)."""
    frame, level = sys._getframe(2), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def warn(message, category=UserWarning):
    warnings.warn(message, category, stacklevel=user_stacklevel() + 1)
