"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""
import numpy as np

from ..tensor import Tensor
from .optimizer import (Optimizer, _check_arguments, _check_unsupported, _closure_loss, _fma, _grads, _scalar,
                        _to_scalar)


class Adagrad(Optimizer):
    """For each parameter θ with gradient g (−g when maximizing), at step t:

        g ← g + λθ                                  (weight_decay λ)
        γₜ = γ / (1 + (t − 1)·lr_decay)
        s ← s + g²                                  (s starts at initial_accumulator_value)
        θ ← θ − γₜ · g / (√s + ε)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_arguments(lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        _check_unsupported(differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # unlike the other optimizers, the state exists from the start (a state_dict shows it)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = Tensor._make(np.array(0.0, np.float32))
                self.state[p]["sum"] = Tensor._make(np.full_like(p._data, initial_accumulator_value))

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, wd, eps, lr_decay = _to_scalar(group["lr"]), group["weight_decay"], group["eps"], group["lr_decay"]
            for p, g in _grads(group, group["maximize"]):
                state = self.state[p]
                x = p._data
                step_t = state["step"]._data
                step_t += 1
                if wd != 0:
                    g = _fma(_scalar(wd, x), x, g)  # PyTorch's add(alpha=) is a fused multiply-add
                clr = lr / (1 + (float(step_t) - 1) * lr_decay)
                s = state["sum"]._data
                s[...] = _fma(g, g, s)  # addcmul, fused too
                std = np.sqrt(s)
                std += _scalar(eps, std)
                x += _scalar(-clr, x) * g / std
                p._bump_version()
        return loss
