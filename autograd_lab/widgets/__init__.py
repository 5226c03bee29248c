"""Jupyter widgets that let you watch the real engine work (anywidget; needs the ``lab`` extra).

    from autograd_lab.widgets import GraphView, BackwardStepper, GradWatch
    BackwardStepper(loss)          # step through loss.backward(), one node per click

The browser code is in ``static/`` (built from ``widgets/`` in a source checkout); see ``_bundle``.
"""
from .grad_watch import GradRecord, GradWatch
from .graph_view import GraphView
from .stepper import BackwardStepper

__all__ = ["BackwardStepper", "GradRecord", "GradWatch", "GraphView"]
