"""RMSprop: divide the step by a running root mean square of the gradients."""
import numpy as np

from ..tensor import Tensor
from .adam import _lerp_
from .optimizer import (Optimizer, _check_arguments, _check_unsupported, _closure_loss, _fma, _grads, _scalar,
                        _to_scalar)


class RMSprop(Optimizer):
    """For each parameter θ with gradient g (−g when maximizing), α = alpha:

        g ← g + λθ                                  (weight_decay λ)
        v ← αv + (1 − α)g²                          running mean of g²
        ḡ ← ḡ + (1 − α)(g − ḡ);  v' = v − ḡ²        (centered: subtract the squared mean)
        d ← √v' + ε
        b ← μb + g / d;  θ ← θ − γb                 (momentum μ > 0)
        θ ← θ − γ·g / d                             (otherwise)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_arguments(lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        _check_unsupported(capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = Tensor._make(np.array(0.0, np.float32))
            state["square_avg"] = Tensor._make(np.zeros_like(p._data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = Tensor._make(np.zeros_like(p._data))
            if group["centered"]:
                state["grad_avg"] = Tensor._make(np.zeros_like(p._data))
        return state

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            wd, mom = group["weight_decay"], group["momentum"]
            for p, g in _grads(group, group["maximize"]):
                state = self._state(p, group)
                x = p._data
                state["step"]._data += 1
                # the order of PyTorch's in-place ops: add(alpha=) and addcmul are fused multiply-adds
                if wd != 0:
                    g = _fma(_scalar(wd, x), x, g)
                v = state["square_avg"]._data
                v *= _scalar(alpha, v)
                v[...] = _fma(_scalar(1 - alpha, v) * g, g, v)
                if group["centered"]:
                    m = state["grad_avg"]._data
                    _lerp_(m, g, 1 - alpha)
                    avg = np.sqrt(_fma(_scalar(-1, m) * m, m, v))
                else:
                    avg = np.sqrt(v)
                avg += _scalar(eps, avg)
                if mom > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= _scalar(mom, buf)
                    buf += g / avg
                    x[...] = _fma(_scalar(-lr, x), buf, x)
                else:
                    x += _scalar(-lr, x) * g / avg
                p._bump_version()
        return loss
