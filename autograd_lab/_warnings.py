"""Warnings as PyTorch gives them, attributed to the user's line rather than to autograd_lab's."""
import warnings

from ._frames import user_stacklevel


def warn(message, category=UserWarning):
    warnings.warn(message, category, stacklevel=user_stacklevel())
