"""Time the neuron maps, the hover values and the diagnostics on a small and a large network.

Run from the repository root: ``python benchmarks/insight_speed.py``. It prints the median of
several repeats for each step. The GUI steps (drawing the maps) run on Qt's offscreen platform.
Nothing here checks a time; the numbers go in docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from nnstudio.engine.diagnostics import diagnose, unit_activation_names
from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import Network
from nnstudio.engine.training import History
from nnstudio.project.boundary import Plane, activations_at, boundary_extent, neuron_grids
from nnstudio.project.datasets import Dataset

RESOLUTION = 41  # the Neuron maps dock's grid
REPEATS = 30

NETWORKS = {
    "2-4-1": chain(2, (4, "tanh"), (1, "sigmoid")),
    "2-64-64-1": chain(2, (64, "relu"), (64, "tanh"), (1, "sigmoid")),
}


def median_ms(work: Callable[[], object]) -> float:
    """Return the median time of REPEATS calls of ``work``, in milliseconds."""
    work()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def measure(network: Network, X: np.ndarray, history: History) -> dict[str, float]:
    """Return the median milliseconds of each step for ``network`` on the samples X."""
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.plots.neuron_maps import LayerMaps, NeuronMapsPanel

    app = QApplication.instance() or QApplication([])
    dataset = Dataset(X, (X[:, :1] > 0).astype(float))
    plane = Plane(dataset)
    extent = boundary_extent(X)
    grids = neuron_grids(network, extent, RESOLUTION, plane)
    layers = [
        LayerMaps(
            layer,
            unit_activation_names(network.activations[layer], len(grids[layer])),
            grids[layer],
        )
        for layer in network.spec.order
    ]
    panel = NeuronMapsPanel()
    panel.resize(900, 700)
    panel.show()
    app.processEvents()

    def draw() -> None:
        panel.show_maps(layers)
        app.processEvents()

    results = {
        "neuron_grids": median_ms(lambda: neuron_grids(network, extent, RESOLUTION, plane)),
        "activations_at": median_ms(lambda: activations_at(network, 0.1, 0.2, plane)),
        "diagnose": median_ms(lambda: diagnose(network, X, history, 0.5)),
        "draw maps": median_ms(draw),
    }
    panel.close()
    return results


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    rng = np.random.default_rng(0)
    history = History(loss=list(np.linspace(1.0, 0.1, 5000)), accuracy=[0.9] * 5000)
    for name, spec in NETWORKS.items():
        network = Network(spec, initialize(spec, "xavier_uniform", 0))
        for samples in (200, 2000):
            results = measure(network, rng.normal(size=(samples, 2)), history)
            line = ", ".join(f"{step} {ms:.2f} ms" for step, ms in results.items())
            print(f"{name}, {samples} samples: {line}")


if __name__ == "__main__":
    main()
