"""Anomaly mode and creation sites, against PyTorch's warnings and errors."""
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import autograd_lab as lab
from oracle import import_torch

torch = import_torch()


def _run(m, body):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            body(m)
            err = None
        except RuntimeError as e:
            err = str(e)
    return err, [(type(x.message).__name__, str(x.message)) for x in w]


def _first_lines(warns):
    return [(kind, msg.splitlines()[0]) for kind, msg in warns]


def test_nan_gradient_is_reported_like_torch():
    def body(m):
        with m.autograd.detect_anomaly():
            x = m.tensor([0., 1.], requires_grad=True)
            (x / x).sum().backward()
    ours, theirs = _run(lab, body), _run(torch, body)
    assert ours[0] == theirs[0] == "Function 'DivBackward0' returned nan values in its 1th output."
    assert _first_lines(ours[1]) == _first_lines(theirs[1])


def test_forward_traceback_names_the_line_that_made_the_node():
    def body(m):
        with m.autograd.detect_anomaly():
            x = m.tensor([0., 1.], requires_grad=True)
            y = x / x  # the culprit
            y.sum().backward()
    err, warns = _run(lab, body)
    msg = warns[-1][1]
    assert msg.startswith("Error detected in DivBackward0. Traceback of forward call that caused the error:\n")
    assert "y = x / x  # the culprit" in msg and __file__ in msg


def test_stale_hint_changes_in_anomaly_mode():
    def body(m):
        with m.autograd.detect_anomaly():
            a = m.ones(3, requires_grad=True)
            b = a.exp()
            c = b * 2
            b.add_(1)
            c.sum().backward()
    ours, theirs = _run(lab, body), _run(torch, body)
    assert ours[0] == theirs[0]
    assert _first_lines(ours[1]) == _first_lines(theirs[1])


def test_switches_match_torch():
    for m in (lab, torch):
        assert not m.is_anomaly_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly(check_nan=False):
                assert m.is_anomaly_enabled() and not m.is_anomaly_check_nan_enabled()
        m.autograd.set_detect_anomaly(True)
        assert m.is_anomaly_enabled()
        m.autograd.set_detect_anomaly(False)
        assert not m.is_anomaly_enabled() and m.is_anomaly_check_nan_enabled()


def test_trace_records_site_for_code_run_from_a_file(tmp_path):
    script = tmp_path / "student.py"
    script.write_text(textwrap.dedent("""
        import autograd_lab as torch
        from autograd_lab.anomaly import site_of
        x = torch.ones(2, requires_grad=True)
        with torch.trace():
            y = x * 3
        z = y + 1
        print(site_of(y.grad_fn))
        print(site_of(z.grad_fn))
    """))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(lab.__file__)))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == ["student.py, line 6: y = x * 3", "None"]


def test_trace_off_records_nothing():
    x = lab.ones(2, requires_grad=True)
    y = x * 2
    assert y.grad_fn._metadata is None


def test_site_in_an_ipython_cell_names_the_cell():
    from IPython.core.interactiveshell import InteractiveShell
    ip = InteractiveShell.instance()
    try:
        ip.run_cell("%load_ext autograd_lab", store_history=True)
        ip.run_cell("import autograd_lab as torch\nx = torch.ones(2, requires_grad=True)", store_history=True)
        n = ip.execution_count
        ip.run_cell("with torch.trace():\n    y = x * 3", store_history=True)
        ip.run_cell("from autograd_lab.anomaly import site_of\nsite = site_of(y.grad_fn)", store_history=True)
        assert ip.user_ns["site"] == f"In [{n}], line 2: y = x * 3"
        ip.run_cell("%unload_ext autograd_lab", store_history=True)
    finally:
        InteractiveShell.clear_instance()


def test_no_grad_site_is_recorded_while_tracing():
    from autograd_lab.anomaly import no_grad_site_of
    from autograd_lab.viz import why_no_grad
    w = lab.ones(2, requires_grad=True)
    with lab.trace():
        with lab.no_grad():
            h = w * 2  # cut here
        loss = (h * w).sum()
    assert no_grad_site_of(h).endswith("h = w * 2  # cut here")
    assert no_grad_site_of(w * 2) is None  # not recorded outside trace()
    assert why_no_grad(h, loss).reason == "no_grad"


def test_trace_of_a_matrix_is_pytorchs_trace():
    a = lab.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    ta = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    out, tout = lab.trace(a), torch.trace(ta)
    out.backward()
    tout.backward()
    assert repr(out) == repr(tout)
    assert a.grad.tolist() == ta.grad.tolist()


def _nan_function(m):
    class Doubler(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    return Doubler


def test_custom_function_nan_prints_the_forward_traceback_like_torch():
    def body(m):
        Doubler = _nan_function(m)
        with m.autograd.detect_anomaly():
            x = m.ones(2, requires_grad=True)
            y = Doubler.apply(x)  # the custom culprit
            y.sum().backward()
    ours, theirs = _run(lab, body), _run(torch, body)
    assert ours[0] == theirs[0] == "Function 'DoublerBackward' returned nan values in its 0th output."
    assert _first_lines(ours[1]) == _first_lines(theirs[1])
    tb_ours, tb_theirs = ours[1][-1][1].splitlines(), theirs[1][-1][1].splitlines()
    # the same frames: the user's, then the library's Function.apply (last frame and its source differ)
    assert len(tb_ours) == len(tb_theirs)
    assert tb_ours[:-3] == tb_theirs[:-3]
    assert "y = Doubler.apply(x)  # the custom culprit" in tb_ours[-4]
    assert tb_ours[-3].endswith(", in apply") and tb_theirs[-3].endswith(", in apply")


def test_trace_records_the_site_of_a_custom_function_node():
    Doubler = _nan_function(lab)
    x = lab.ones(2, requires_grad=True)
    with lab.trace():
        y = Doubler.apply(x)  # made here
    assert lab.anomaly.site_of(y.grad_fn).endswith(": y = Doubler.apply(x)  # made here")
