"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_unsupported, _closure_loss, _fma, _grads, _scalar, _to_scalar


def _lerp_(start, end, weight):
    """start ← start + w·(end − start), computed from the nearer end with one rounding (a fused
    multiply-add), as PyTorch's CPU lerp kernel does."""
    w = _scalar(weight, start)
    if abs(w) < 0.5:
        start[...] = _fma(w, end - start, start)
    else:
        start[...] = _fma(-(_scalar(1, start) - w), end - start, end)


class Adam(Optimizer):
    """For each parameter θ with gradient g, at step t (β₁, β₂ = betas):

        g ← g + λθ        (Adam)        or        θ ← θ(1 − γλ)        (AdamW: decoupled)
        m ← m + (1 − β₁)(g − m)                      first moment (a lerp)
        v ← β₂v + (1 − β₂)g²                         second moment
        v̂ ← max(v̂, v)  (amsgrad, and v̂ is used below instead of v)
        θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        _check_unsupported(capturable=capturable, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _state(self, p, amsgrad):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = Tensor._make(np.array(0.0, np.float32))
            state["exp_avg"] = Tensor._make(np.zeros_like(p._data))
            state["exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
        return state

    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps, amsgrad = _to_scalar(group["lr"]), group["weight_decay"], group["eps"], group["amsgrad"]
            for p, g in _grads(group, group["maximize"]):
                state = self._state(p, amsgrad)
                x = p._data
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                step_t = state["step"]._data
                step_t += 1
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        x *= _scalar(1 - lr * wd, x)
                    else:
                        g = g + _scalar(wd, x) * x
                _lerp_(m, g, 1 - beta1)
                v *= _scalar(beta2, v)
                v += _scalar(1 - beta2, v) * g * g
                step = float(step_t)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bc2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    denom = np.sqrt(vmax) / _scalar(bc2_sqrt, v) + _scalar(eps, v)
                else:
                    denom = np.sqrt(v) / _scalar(bc2_sqrt, v) + _scalar(eps, v)
                x += _scalar(-step_size, x) * m / denom
                p._bump_version()
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ(1 − γλ) before the Adam step (default λ = 0.01)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
