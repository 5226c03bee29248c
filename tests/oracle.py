import os

import pytest

CI = os.environ.get("CI") == "true"


def import_torch():
    """PyTorch is the oracle: skip without it on a user's machine, never under CI."""
    if CI:
        import torch
        return torch
    return pytest.importorskip("torch", reason="differential tests need torch==2.13.0 (pip install torch==2.13.0)")
