"""The four benchmark workloads: data, network, loss, learning rate, batches and first weights.

Every engine in the benchmark trains from these same float64 arrays, so the
comparison covers the same arithmetic on the same batches. Shapes follow the
engine's rule: X is (samples, features), y is (samples, outputs), W is
(inputs, units). Class targets are one-hot (or a single 0/1 column for two
classes), and ``labels`` contains the same targets as integer classes for PyTorch's
and scikit-learn's losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.graph import NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import Parameters, copy_parameters

Array = NDArray[np.float64]
Labels = NDArray[np.int64]


@dataclass(frozen=True)
class Batch:
    """One batch: inputs X (samples, features), targets y and the same targets as classes."""

    X: Array
    y: Array
    labels: Labels


@dataclass(frozen=True)
class Workload:
    """A network, its loss and learning rate, and the fixed sequence of batches it trains on."""

    key: str
    title: str
    spec: NetworkSpec
    loss: str
    learning_rate: float
    batches: tuple[Batch, ...]
    initial: Parameters
    # The hidden activation by scikit-learn's name, which applies to every hidden layer.
    sklearn_activation: str

    def parameters(self) -> Parameters:
        """Return a fresh copy of the first weights, so no engine starts from another's updates."""
        return copy_parameters(self.initial)

    def batch(self, step: int) -> Batch:
        """Return the batch that step number ``step`` trains on (the sequence repeats)."""
        return self.batches[step % len(self.batches)]


def xor() -> Workload:
    """W1: XOR, 2-4-1 with sigmoid units, mean squared error, full batch, SGD 0.5."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    spec = chain(2, (4, "sigmoid"), (1, "sigmoid"))
    batch = Batch(X, labels[:, None].astype(np.float64), labels)
    initial = initialize(spec, "xavier_uniform", seed=1)
    return Workload("W1", "XOR 2-4-1", spec, "mse", 0.5, (batch,), initial, "logistic")


def circles(count: int = 1000, noise: float = 0.1, seed: int = 2) -> Workload:
    """W2: two noisy concentric circles, 2-8-8-1 tanh, binary cross-entropy, batch 32, SGD 0.1."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    # Class 1 lies on the inner circle (radius 0.5), class 0 on the outer (radius 1).
    radius = np.where(labels == 1, 0.5, 1.0)
    angle = rng.uniform(0.0, 2.0 * np.pi, count)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += rng.normal(0.0, noise, X.shape)
    y = labels[:, None].astype(np.float64)
    spec = chain(2, (8, "tanh"), (8, "tanh"), (1, "sigmoid"))
    initial = initialize(spec, "xavier_uniform", seed=2)
    batches = _split(X, y, labels, 32, rng)
    return Workload(
        "W2", "circles 2-8-8-1", spec, "binary_cross_entropy", 0.1, batches, initial, "tanh"
    )


def digits(seed: int = 3) -> Workload:
    """W3: scikit-learn's 8x8 digits scaled to [0, 1], 64-64-10 ReLU, cross-entropy, batch 64."""
    # Imported here so that the other workloads need no scikit-learn. The
    # digits ship inside the scikit-learn package, so nothing is downloaded.
    from sklearn.datasets import load_digits

    data = load_digits()
    X = data.data / 16.0
    labels = data.target.astype(np.int64)
    spec = chain(64, (64, "relu"), (10, "softmax"))
    initial = initialize(spec, "he_uniform", seed=3)
    batches = _split(X, _one_hot(labels, 10), labels, 64, np.random.default_rng(seed))
    return Workload("W3", "digits 64-64-10", spec, "cross_entropy", 0.1, batches, initial, "relu")


def random_mnist_shape(count: int = 1024, seed: int = 4) -> Workload:
    """W4: random inputs of MNIST's shape, 784-256-256-10 ReLU, cross-entropy, batch 256."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, (count, 784))
    labels = rng.integers(0, 10, count)
    spec = chain(784, (256, "relu"), (256, "relu"), (10, "softmax"))
    initial = initialize(spec, "he_uniform", seed=4)
    batches = _split(X, _one_hot(labels, 10), labels, 256, rng)
    return Workload(
        "W4", "random 784-256-256-10", spec, "cross_entropy", 0.01, batches, initial, "relu"
    )


def all_workloads() -> list[Workload]:
    return [xor(), circles(), digits(), random_mnist_shape()]


def _one_hot(labels: Labels, classes: int) -> Array:
    y = np.zeros((len(labels), classes))
    y[np.arange(len(labels)), labels] = 1.0
    return y


def _split(
    X: Array, y: Array, labels: Labels, size: int, rng: np.random.Generator
) -> tuple[Batch, ...]:
    # One shuffle, then consecutive batches. The last one is smaller when
    # ``size`` does not divide the sample count, as in nnstudio's Trainer.
    order = rng.permutation(len(X))
    batches = []
    for start in range(0, len(X), size):
        rows = order[start : start + size]
        batches.append(Batch(X[rows].copy(), y[rows].copy(), labels[rows].copy()))
    return tuple(batches)
