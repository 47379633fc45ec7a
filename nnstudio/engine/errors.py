"""Errors the engine raises. Each message names what is wrong and what to do."""

from __future__ import annotations


class EngineError(ValueError):
    """An invalid network, setting or request given to the engine."""


class StepBackpropagationError(EngineError):
    """Backpropagation reached a step unit, whose derivative is zero almost everywhere."""

    def __init__(self, layer: str | None = None) -> None:
        where = f"layer {layer!r} uses" if layer else "the network uses"
        super().__init__(
            f"cannot backpropagate: {where} the step activation, whose derivative is zero "
            "almost everywhere, so gradient descent would never change the weights; "
            "use sigmoid instead, or train a single-layer network with the perceptron rule"
        )
        self.layer = layer


class GraphError(EngineError):
    """The drawn layers and connections do not form a valid feed-forward network."""


class TrainingDiverged(EngineError):
    """The loss became NaN or infinite; the weights were reset to the last finite ones."""

    def __init__(self, epoch: int, learning_rate: float) -> None:
        super().__init__(
            f"training diverged at epoch {epoch}: the loss is no longer a finite number "
            f"with learning rate {learning_rate:g}; the weights were restored to the end "
            f"of epoch {epoch - 1}; try a smaller learning rate"
        )
        self.epoch = epoch
        self.learning_rate = learning_rate
