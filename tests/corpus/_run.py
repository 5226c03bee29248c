"""Run one corpus program, as ``python _run.py torch|lab PROGRAM.py``.

``lab`` first makes ``import torch`` (and every ``torch.x.y``) import autograd_lab's module of the same
path, so the program runs unchanged on autograd_lab. An exception that escapes the program is
printed to stdout as ``<Type>: <message>`` (the last thing a reader of the tutorial would see), so
the two runs can be compared on it; the traceback goes to stderr.
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import traceback


class TorchIsAutogradLab(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``torch[.sub]`` -> ``autograd_lab[.sub]``: the same module object under both names."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("autograd_lab" + spec.name[len("torch"):])
        self._own_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # the import system stamped our alias spec on the module; give it back its own
        module.__spec__ = self._own_spec


def main(mode, program):
    if mode == "lab":
        sys.meta_path.insert(0, TorchIsAutogradLab())
    sys.argv = [program]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    try:
        runpy.run_path(program, run_name="__main__")
    except BaseException as error:  # noqa: BLE001 - the exception is the program's output
        sys.stdout.flush()
        traceback.print_exc()
        print(f"{type(error).__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:])
