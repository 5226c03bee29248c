import os

import pytest

CI = os.environ.get("CI") == "true"


def import_torch():
    """PyTorch is the oracle: skip without it on a user's machine, never under CI.

    One thread for every differential test, whichever module imports torch first: the comparisons
    are on tiny tensors (threads only contend) and some are bit-for-bit, which a multi-threaded
    reduction's rounding order could upset."""
    if CI:
        import torch
    else:
        torch = pytest.importorskip("torch", reason="differential tests need torch==2.13.0 (pip install torch==2.13.0)")
    torch.set_num_threads(1)
    return torch


def error_of(fn):
    """``(type name, message)`` of what ``fn()`` raises, None if it returns: errors compared with torch's."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and the words are what is compared
        return type(e).__name__, str(e)
    return None
