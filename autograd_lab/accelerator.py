"""``torch.accelerator``: no accelerator here, as in a CPU build of PyTorch."""


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0
