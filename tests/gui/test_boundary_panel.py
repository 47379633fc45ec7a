"""The boundary dock with more than two inputs: the chosen pair and the confusion matrix."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from nnstudio.gui.main_window import MainWindow
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project

pytestmark = pytest.mark.timeout(60)


def _three_input_project() -> Project:
    """Three inputs, three classes: the class is the index of the largest input."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0.0, 4.0, (30, 3))
    y = np.eye(3)[X.argmax(axis=1)]
    dataset = Dataset(
        X,
        y,
        name="three",
        input_names=["a", "b", "c"],
        class_names=["A", "B", "C"],
        mean=X.mean(axis=0),
        scale=X.std(axis=0),
    )
    layers = [
        Layer(INPUT, "input", 3),
        Layer("hidden 1", "hidden", 5, "tanh", position=(220.0, 0.0)),
        Layer(OUTPUT, "output", 3, "softmax", position=(440.0, 0.0)),
    ]
    project = Project(layers, [(INPUT, "hidden 1"), ("hidden 1", OUTPUT)], dataset)
    project.settings.loss = "cross_entropy"
    project.reinitialize()
    return project


def test_pair_chooser_and_confusion(make_window: Callable[..., MainWindow]) -> None:
    project = _three_input_project()
    window = make_window(project)
    panel = window.boundary_panel
    assert not panel.chooser.isHidden()
    assert panel.columns == (0, 1)
    assert panel.plot.plot_widget.getPlotItem().getAxis("left").labelText == "b"

    # the matrix counts what the network predicts for every sample
    output = project.network().predict(project.dataset.network_inputs())
    predicted = output.argmax(axis=1)
    true = project.dataset.labels()
    for t in range(3):
        for p in range(3):
            assert panel.confusion.count(t, p) == int(np.sum((true == t) & (predicted == p)))

    # choosing input c for the vertical axis redraws over the (a, c) plane
    before = panel.plot._grid.copy()
    panel.y_input.setCurrentIndex(2)
    assert panel.columns == (0, 2)
    assert panel.plot.plot_widget.getPlotItem().getAxis("left").labelText == "c"
    assert not np.array_equal(panel.plot._grid, before)


def test_two_inputs_hide_chooser(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    assert window.boundary_panel.chooser.isHidden()
    assert not window.boundary_panel.confusion.isHidden()
