"""The stepper on a real PyTorch loss, clicked in JupyterLab: PyTorch's own engine, one node per click."""
import re

import pytest
from playwright.sync_api import expect

from .jupyter_driver import shot

pytest.importorskip("torch", reason="the torch stepper needs torch==2.13.0 (pip install -e .[test])")

SETUP = '''
import json, threading
import torch
from autograd_lab.viz import snapshot
from autograd_lab.widgets import BackwardStepper

def make():
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    w = torch.tensor([0.5, -1., 2.], requires_grad=True)
    loss = ((x * w).sigmoid() * x).sum()
    return x, w, loss

def engine_order():
    """The nodes PyTorch's engine ran on an identical graph (pre-hooks), by snapshot id, and its grads."""
    x2, w2, loss2 = make()
    snap = snapshot(loss2)
    ran, stack, seen = [], [loss2.grad_fn], set()
    while stack:
        node = stack.pop()
        node.register_prehook(lambda g, node=node: ran.append(snap.id_of(node)))
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    loss2.backward()
    return ran, x2.grad.tolist(), w2.grad.tolist()

def backward_threads():
    """The stepper's worker threads alive now (each runs one paused torch backward)."""
    return sum(t.name == "autograd_lab-torch-backward" for t in threading.enumerate())
'''

CELLS = [
    SETUP,
    "x, w, loss = make()\nstepper = BackwardStepper(loss, retain_graph=True)\nstepper",
    "order, ref_x, ref_w = engine_order()\nprint('ORDER=' + json.dumps(order))",
    "print('STATE=' + json.dumps({'x': x.grad.tolist() if x.grad is not None else None, "
    "'w': w.grad.tolist() if w.grad is not None else None, 'ref_x': ref_x, 'ref_w': ref_w, "
    "'done': stepper.done, 'steps': len(stepper.steps), 'threads': backward_threads()}))",
    # backward twice through a torch graph: PyTorch's engine fails at the first node with saved tensors
    "x2, w2, loss2 = make()\nloss2.backward()\nfreed = BackwardStepper(loss2)\nfreed",
    "print('ERROR=' + json.dumps({'node': freed.error_info.get('node'), 'type': type(freed.error).__name__, "
    "'threads': backward_threads()}))",
]


def _click_step(root):
    root.locator("[data-action='step']").click()


def test_torch_stepper_in_jupyterlab(lab, open_notebook):
    nb = open_notebook(lab, "torch_stepper.ipynb", CELLS)
    nb.run(0)
    nb.run(1)
    root = nb.page.locator("[data-testid='backward-stepper']").first
    expect(root.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    assert root.locator("g.node[data-node-id]").count() >= 10
    nb.run(2)
    order = nb.json_output(2, "ORDER=")
    assert order[0] == "n1" and len(order) == 6
    root.locator("[data-action='step']").scroll_into_view_if_needed()
    shot(nb.page, "lab-torch-stepper-start")
    current = root.locator(".is-current")

    # three clicks: the current node follows the order PyTorch's engine ran
    for i in range(3):
        _click_step(root)
        expect(current).to_have_count(1)
        expect(current).to_have_attribute("data-node-id", order[i])
        expect(root).to_have_attribute("data-step", str(i + 1))
    shot(nb.page, "lab-torch-stepper-midway")
    nb.run(3)
    state = nb.json_output(3, "STATE=")
    assert state["steps"] == 3 and state["threads"] == 1  # PyTorch's backward, paused in a pre-hook
    assert state["x"] is None and state["w"] is None     # no leaf reached yet

    # reset aborts the paused backward: no thread left, nothing current
    root.locator("[data-action='reset']").click()
    expect(root).to_have_attribute("data-step", "0")
    expect(current).to_have_count(0)
    nb.run(3)
    state = nb.json_output(3, "STATE=")
    assert state["steps"] == 0 and state["threads"] == 0 and state["x"] is None

    # step through to the end: same order again, then every node done and torch's grads
    for i, expected in enumerate(order):
        _click_step(root)
        if i < len(order) - 1:
            expect(current).to_have_attribute("data-node-id", expected)
    expect(root).to_have_attribute("data-done", "true")
    expect(current).to_have_count(0)
    for node_id in order:
        expect(root.locator(f"[data-node-id='{node_id}']")).to_have_class(re.compile(r"\bstate-done\b"))
    expect(root.locator(".agl-note")).to_have_count(2)  # the leaves show their .grad
    root.locator("g.node[data-node-id='n2']").click()  # MulBackward0 under the sum
    inspector = root.locator("[data-testid='inspector']")
    expect(inspector).to_contain_text("grads sent along each edge")
    expect(inspector).to_contain_text("saved tensors")
    shot(nb.page, "lab-torch-stepper-done")
    nb.run(3)
    state = nb.json_output(3, "STATE=")
    assert state["done"] is True and state["steps"] == len(order) and state["threads"] == 0
    assert state["x"] == state["ref_x"] and state["w"] == state["ref_w"]

    # an error from PyTorch's engine, drawn at the node that failed
    nb.run(4)
    freed = nb.page.locator("[data-testid='backward-stepper']").nth(1)
    expect(freed.locator("[data-node-id='n1']")).to_be_visible(timeout=30_000)
    freed.locator("[data-action='run']").click()
    nb.run(5)
    error = nb.json_output(5, "ERROR=")
    assert error["type"] == "RuntimeError" and error["threads"] == 0
    failing = freed.locator(f"g.node[data-node-id='{error['node']}']")
    expect(failing).to_have_class(re.compile(r"\bstate-error\b"))
    expect(freed).to_contain_text("Trying to backward through the graph a second time")
    failing.scroll_into_view_if_needed()
    shot(nb.page, "lab-torch-stepper-error")


WATCH_CELLS = [
    SETUP,
    "from autograd_lab.widgets import GradWatch\nx, w, loss = make()\nwatch = GradWatch(x, w)\nwatch",
    "stepper = BackwardStepper(loss)\nstepper",
    "print('WATCH=' + json.dumps({'events': [r.event for r in watch.history], 'threads': backward_threads(), "
    "'x': x.grad.tolist() if x.grad is not None else None}))",
]


def test_grad_watch_follows_the_torch_stepper(lab, open_notebook):
    """PyTorch runs the watched tensors' hooks on the stepper's worker thread: the GradWatch view
    still updates as the stepper's clicks reach the leaves."""
    nb = open_notebook(lab, "torch_watch.ipynb", WATCH_CELLS)
    for i in range(3):
        nb.run(i)
    watch = nb.page.locator("[data-testid='grad-watch']").first
    expect(watch.locator("tbody tr")).to_have_count(2)
    stepper = nb.page.locator("[data-testid='backward-stepper']").first
    expect(stepper.locator("g.node[data-node-id='n1']")).to_be_visible(timeout=30_000)
    for _ in range(5):  # up to the first AccumulateGrad: one watched .grad is written
        stepper.locator("[data-action='step']").click()
    expect(stepper).to_have_attribute("data-step", "5")
    expect(watch.locator("tbody tr").first).to_contain_text("0.74")  # x.grad, live, before the pass ends
    stepper.locator("[data-action='step']").click()
    expect(stepper).to_have_attribute("data-done", "true")
    expect(watch.locator("tbody tr").first.locator("td").last).to_have_text("1")  # one backward recorded
    nb.run(3)
    state = nb.json_output(3, "WATCH=")
    assert state["events"] == ["backward"] and state["threads"] == 0
    watch.scroll_into_view_if_needed()
    shot(nb.page, "lab-torch-grad-watch")
