"""The Optimizer base class: parameter groups, per-parameter state, saving and loading.

Updates run on the NumPy arrays directly, in the tensors' own dtype (float32 by default), in the
order PyTorch's single-tensor CPU code performs them, so a run agrees with PyTorch's to rounding.
Every ``step`` and ``zero_grad`` tells the engine's listeners (a gradient-watching widget) which
parameters changed; with no listener that costs one falsy check.
"""
import functools
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np


from .. import engine, grad_mode
from ..nn.module import typename
from ..tensor import Tensor, reset_grad


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _to_scalar(x):
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return x.item()
    return x


def _closure_loss(closure):
    """``step(closure)``: the closure re-evaluates the loss with grad mode on (None without one)."""
    if closure is None:
        return None
    with grad_mode.enable_grad():
        return closure()


def _emitting(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        out = step(self, *args, **kwargs)
        if engine._listeners:
            engine._emit("optimizer_step", self._params_list())
        return out
    wrapper._emits = True
    return wrapper


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``; subclasses implement ``step``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_emits", False):
            cls.step = _emitting(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _params_list(self):
        return [p for g in self.param_groups for p in g["params"]]

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                reset_grad(p, set_to_none)
        if engine._listeners:
            engine._emit("zero_grad", self._params_list())

    def step(self, closure=None):
        raise NotImplementedError

    def state_dict(self):
        mapping = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step" or not param.is_floating_point():
                    return value
                return value.to(param.dtype)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _scalar(x, like):
    """A Python number as the array's dtype: PyTorch casts scalars to the tensor's type before the op."""
    return like.dtype.type(x)


_ARGUMENT_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def _check_arguments(lr, **values):
    """PyTorch's constructor checks: a tensor lr has one element, and every value is >= 0
    ("Invalid learning rate: -1", "Invalid momentum value: -1"), checked in the order given."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in dict(lr=lr, **values).items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_ARGUMENT_NAMES.get(name, name + ' value')}: {value}")


def _fma(a, b, c):
    """a·b + c with one rounding, in c's dtype: PyTorch's CPU kernels for ``add(other, alpha=)`` and
    ``addcmul`` use fused multiply-add, and the last bit of an optimizer step depends on it."""
    from ..random import _fma32, _fma64
    c = np.asarray(c)
    return (_fma32 if c.dtype == np.float32 else _fma64)(a, b, c).astype(c.dtype, copy=False)


def _grads(group, maximize):
    """(param, grad array) for every parameter in the group that has a gradient."""
    out = []
    for p in group["params"]:
        if p.grad is None:
            continue
        g = p.grad._data
        out.append((p, -g if maximize else g))
    return out


def _check_unsupported(**flags):
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"autograd_lab optimizers run the single-tensor path only; {name}=True is "
                                      "not supported")



