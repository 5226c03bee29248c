"""Stochastic gradient descent, with momentum, dampening, Nesterov, weight decay and maximize."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_unsupported, _closure_loss, _grads, _scalar, _to_scalar


class SGD(Optimizer):
    """For each parameter θ with gradient g (−g when maximizing):

        g ← g + λθ                                  (weight_decay λ)
        b ← g  on the first step, else  b ← μb + (1 − τ)g      (momentum μ, dampening τ)
        g ← g + μb  (Nesterov)   or   g ← b
        θ ← θ − γg                                  (lr γ)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported(differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, wd, mom = _to_scalar(group["lr"]), group["weight_decay"], group["momentum"]
            damp, nesterov = group["dampening"], group["nesterov"]
            for p, g in _grads(group, group["maximize"]):
                x = p._data
                if wd != 0:
                    g = g + _scalar(wd, x) * x
                if mom != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(np.array(g, copy=True))
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= _scalar(mom, b)
                        b += _scalar(1 - damp, b) * g
                    g = g + _scalar(mom, x) * buf._data if nesterov else buf._data
                x += _scalar(-lr, x) * g
                p._bump_version()
        return loss
