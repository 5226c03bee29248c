"""``torch.backends.cudnn``: not present; its flags can be read and set as in PyTorch and do nothing."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
