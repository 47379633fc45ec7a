"""Prototype of a faster SGD training step for chain networks, with the engine's results.

``FastChain`` trains a chain network (every layer fed by the one before it)
with plain SGD. After each step its weights equal those that
``Network.gradients`` followed by ``SGD.update`` reach, up to rounding:
``check_against_engine`` asserts np.allclose with rtol = atol = 1e-12 in
float64. It is not part of the engine. What makes it faster:

- Buffers are allocated once per batch size, and every NumPy call writes into
  one with ``out=``, so a step allocates no array.
- All weights live in one flat vector and all gradients in another, so the
  SGD update is two NumPy calls whatever the number of layers. W and b are
  views into the flat vector, so the engine's ``Parameters`` still work.
- The bias is one more row of W, and each layer's input carries a row of
  ones, so z = a @ W + b and dLoss/db come out of the matrix products.
- Activations are stored feature-major, as (units, samples), where the
  engine uses (samples, units). The row of ones is then contiguous, every
  element-wise call runs on contiguous memory, and softmax reduces along
  axis 0, which NumPy does several times faster than along a short axis 1.
- The step is compiled into a list of NumPy calls with their buffers bound,
  once per batch size and prepared batch. Running it costs one loop
  iteration per call, no more than a hand-unrolled function, and no call is
  spent on bookkeeping.
- Matrix products go through ``np.dot``: on 4 x 4 arrays it costs about half
  the call overhead of ``np.matmul`` (NumPy 2.4 on the machine in
  docs/benchmarks.md).
- Constants are 0-d arrays of the network's dtype: NumPy converts a Python
  float argument on every call, which costs about as much as the call itself
  on small arrays.
- The batch loss is computed only when ``batch_loss`` is called, because the
  Trainer discards it and the gradient does not need it.

Hidden layers may use identity, sigmoid, tanh or relu. The output and loss
pairs are a sigmoid or identity output with mse, a sigmoid output with
binary_cross_entropy and a softmax output with cross_entropy. Run this file
to check the results against the engine on the benchmark workloads, and run
it with --calls to time the NumPy calls behind the choices above.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import Loss, make_loss
from nnstudio.engine.network import LayerParameters, Network, Parameters
from nnstudio.engine.optimizers import SGD

Array = NDArray[np.floating]
# One NumPy call of a compiled step: the function and its arguments, buffers included.
Call = tuple[Callable[..., object], tuple[object, ...]]


class Constants:
    """The scalars the kernels use, as 0-d arrays of the network's dtype."""

    def __init__(self, dtype: type) -> None:
        self.zero: Array = np.zeros((), dtype)
        self.half: Array = np.array(0.5, dtype)
        self.one: Array = np.ones((), dtype)


class InPlaceActivation:
    """An activation as lists of NumPy calls that write into given buffers.

    Arrays are feature-major, (units, samples). ``scratch`` belongs to the
    layer, so a forward call may leave in it what backward needs.
    """

    name = ""

    def __init__(self, constants: Constants) -> None:
        self.c = constants

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        """Return the calls that write f(z) into ``out``."""
        raise NotImplementedError

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        """Return the calls that turn ``grad`` from dLoss/da into dLoss/dz in place."""
        raise NotImplementedError


class Identity(InPlaceActivation):
    name = "identity"

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        return [] if out is z else [(np.copyto, (out, z))]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return []


class Sigmoid(InPlaceActivation):
    name = "sigmoid"

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        # sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 cannot overflow, so the step
        # needs no errstate block. It rounds differently from the engine's
        # split form by about an ulp. Below about 1e-16 the result keeps only
        # its absolute accuracy, not its relative one.
        half = self.c.half
        return [
            (np.multiply, (z, half, out)),
            (np.tanh, (out, out)),
            (np.multiply, (out, half, out)),
            (np.add, (out, half, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        # The engine's a * (1 - a) in the same order, so it rounds the same way.
        return [
            (np.subtract, (self.c.one, a, scratch)),
            (np.multiply, (scratch, a, scratch)),
            (np.multiply, (grad, scratch, grad)),
        ]


class Tanh(InPlaceActivation):
    name = "tanh"

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        return [(np.tanh, (z, out))]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return [
            (np.multiply, (a, a, scratch)),
            (np.subtract, (self.c.one, scratch, scratch)),
            (np.multiply, (grad, scratch, grad)),
        ]


class ReLU(InPlaceActivation):
    """relu(z) = z * (z > 0), with the 0/1 mask left in ``scratch`` for backward."""

    name = "relu"

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        # The engine's np.maximum(z, 0) gives +0.0 where this gives -0.0 for
        # z < 0. Both compare equal and add the same into the next product.
        # Only z = -inf differs (NaN here, 0 there), which a diverged run reaches.
        return [
            (np.greater, (z, self.c.zero, scratch)),
            (np.multiply, (z, scratch, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        # The engine's grad * (z > 0), with the mask from forward.
        return [(np.multiply, (grad, scratch, grad))]


class Softmax(InPlaceActivation):
    """Softmax over the classes, axis 0 of (classes, samples), shifted by the maximum."""

    name = "softmax"

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        classes, count = z.shape
        column_max = np.empty(count, z.dtype)
        column_sum = np.empty(count, z.dtype)
        ones = np.ones(classes, z.dtype)
        return [
            (np.maximum.reduce, (z, 0, None, column_max)),
            (np.subtract, (z, column_max, out)),
            (np.exp, (out, out)),
            # The sum over classes as a product with a ones vector: BLAS does
            # it faster than np.sum along axis 0 of a short array.
            (np.dot, (ones, out, column_sum)),
            (np.divide, (out, column_sum, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        raise ValueError("the prototype trains softmax only with cross_entropy, from logits")


ACTIVATIONS: dict[str, type[InPlaceActivation]] = {
    cls.name: cls for cls in (Identity, Sigmoid, Tanh, ReLU, Softmax)
}
# (loss, output activation) pairs with an output error kernel
OUTPUT_PAIRS = {
    ("mse", "identity"),
    ("mse", "sigmoid"),
    ("binary_cross_entropy", "sigmoid"),
    ("cross_entropy", "softmax"),
}


@dataclass(frozen=True)
class PreparedBatch:
    """A batch in FastChain's layout, with its whole training step compiled.

    X is (samples, inputs), plus a column of ones when the first layer has a
    bias. y_t is the targets as (outputs, samples). ``calls`` is every NumPy
    call of one step on this batch, in order, with the buffers of its batch
    size bound, so a step is a single loop over them.
    """

    X: Array
    y_t: Array
    calls: list[Call]


@dataclass
class Layer:
    """One layer's views into the flat vectors, where ``weights`` is W with b as its last row."""

    weights: Array
    weights_t: Array
    W: Array
    gradient: Array
    activation: InPlaceActivation
    has_bias: bool


@dataclass
class Plan:
    """The buffers of one batch size and the calls of a step that do not read the batch.

    ``forward`` starts after the first layer's product and ``backward``
    stops before the first layer's weight gradient, because those two
    products and the output error read the batch itself.
    """

    forward: list[Call]
    backward: list[Call]
    z: list[Array]
    outputs: list[Array]
    grads: list[Array]
    # Every array the plan allocated, for memory reports. Softmax's three
    # vectors, of one value per sample or class, are left out.
    buffers: list[Array]


class FastChain:
    """SGD on a chain network with preallocated buffers, as the module docstring describes."""

    def __init__(self, network: Network, loss: Loss, learning_rate: float) -> None:
        _check_supported(network, loss)
        spec = network.spec
        self.network = network
        self.loss = loss
        self.dtype = network.dtype
        self.constants = Constants(network.dtype)
        self.learning_rate = np.array(learning_rate, network.dtype)

        # one flat vector each for the weights, their gradients and the update
        shapes = [
            (spec.fan_in(name) + spec.layer(name).bias, spec.units(name)) for name in spec.order
        ]
        total = sum(rows * cols for rows, cols in shapes)
        self.theta: Array = np.zeros(total, network.dtype)
        self.gradient: Array = np.zeros(total, network.dtype)
        self.update: Array = np.zeros(total, network.dtype)
        self.layers = self._make_layers(shapes)
        self.load(network.parameters)

        self._plans: dict[int, Plan] = {}
        self._last_batch: PreparedBatch | None = None

    def load(self, parameters: Parameters) -> None:
        """Copy the engine's W and b of every layer into the flat vector."""
        for layer, name in zip(self.layers, self.network.spec.order, strict=True):
            np.copyto(layer.W, parameters[name].W)
            if layer.has_bias:
                np.copyto(layer.weights[-1], parameters[name].b)

    def parameters(self) -> Parameters:
        """Return W and b of every layer as views into the flat weight vector."""
        views: Parameters = {}
        for layer, name in zip(self.layers, self.network.spec.order, strict=True):
            views[name] = LayerParameters(layer.W, layer.weights[-1] if layer.has_bias else None)
        return views

    def set_learning_rate(self, value: float) -> None:
        self.learning_rate[...] = value

    def prepare(self, X: Array, y: Array) -> PreparedBatch:
        """Return (X, y) in FastChain's layout with its step compiled.

        The Trainer would keep its dataset in this layout and gather each
        batch's rows into a buffer of the plan, in place of its X[rows].
        """
        X = np.asarray(X, self.dtype)
        columns = X.shape[1]
        first = self.layers[0]
        X_aug = np.ones((len(X), columns + first.has_bias), self.dtype)
        X_aug[:, :columns] = X
        y_t = np.ascontiguousarray(np.asarray(y, self.dtype).T)

        plan = self._plans.get(len(X))
        if plan is None:
            plan = self._compile(len(X))
            self._plans[len(X)] = plan
        calls: list[Call] = [(np.dot, (first.weights_t, X_aug.T, plan.z[0]))]
        calls += plan.forward
        # output error p - y, which the backward calls divide by N
        calls.append((np.subtract, (plan.outputs[-1], y_t, plan.grads[-1])))
        calls += plan.backward
        calls.append((np.dot, (X_aug.T, plan.grads[0].T, first.gradient)))
        # update, rounded as the engine's w -= lr * g
        calls.append((np.multiply, (self.gradient, self.learning_rate, self.update)))
        calls.append((np.subtract, (self.theta, self.update, self.theta)))
        return PreparedBatch(X_aug, y_t, calls)

    def step(self, batch: PreparedBatch) -> None:
        """Apply one SGD update on ``batch``: forward, output error, backward, update."""
        for function, args in batch.calls:
            function(*args)
        self._last_batch = batch

    def batch_loss(self) -> float:
        """Return the last step's batch loss, before its update, with the engine's loss code."""
        if self._last_batch is None:
            raise ValueError("batch_loss() was called before any step(); call step() first")
        plan = self._plans[len(self._last_batch.X)]
        y = self._last_batch.y_t.T
        if self.loss.logit_activation is not None:
            return float(self.loss.value_from_logits(plan.z[-1].T, y))
        return float(self.loss.value(plan.outputs[-1].T, y))

    def buffer_bytes(self) -> int:
        """Return the bytes of the flat vectors and of every batch size's buffers."""
        arrays = [self.theta, self.gradient, self.update]
        for plan in self._plans.values():
            arrays += plan.buffers
        # The identity output is z itself, so count each array once.
        unique = {id(array): array for array in arrays}
        return sum(array.nbytes for array in unique.values())

    def _make_layers(self, shapes: list[tuple[int, int]]) -> list[Layer]:
        spec = self.network.spec
        layers = []
        start = 0
        for name, (rows, units) in zip(spec.order, shapes, strict=True):
            stop = start + rows * units
            weights = self.theta[start:stop].reshape(rows, units)
            gradient = self.gradient[start:stop].reshape(rows, units)
            activation = ACTIVATIONS[spec.layer(name).activation](self.constants)
            fan_in = spec.fan_in(name)
            layer_bias = spec.layer(name).bias
            layers.append(
                Layer(weights, weights.T, weights[:fan_in], gradient, activation, layer_bias)
            )
            start = stop
        return layers

    def _compile(self, count: int) -> Plan:
        dtype = self.dtype
        layers = self.layers
        units = [layer.weights.shape[1] for layer in layers]
        grads = [np.empty((n, count), dtype) for n in units]
        scratch = [np.empty((n, count), dtype) for n in units]

        # Layer i + 1 reads layer i's activation with a row of ones below it
        # when it has a bias. The product writes layer i's z into the top rows
        # and the activation overwrites it there, because backward needs only
        # a (and relu's mask) of a hidden layer. The output layer keeps z, the
        # logits that the loss reads.
        inputs: list[Array] = []
        z: list[Array] = []
        for layer, following in zip(layers[:-1], layers[1:], strict=True):
            rows = layer.weights.shape[1]
            buffer = np.ones((rows + following.has_bias, count), dtype)
            inputs.append(buffer)
            z.append(buffer[:rows])
        z.append(np.empty((units[-1], count), dtype))
        outputs = z[:-1]
        last = layers[-1].activation
        outputs.append(z[-1] if last.name == "identity" else np.empty_like(z[-1]))

        forward: list[Call] = []
        for index, layer in enumerate(layers):
            if index:
                forward.append((np.dot, (layer.weights_t, inputs[index - 1], z[index])))
            forward += layer.activation.forward(z[index], outputs[index], scratch[index])

        backward: list[Call] = [(np.divide, (grads[-1], np.array(count, dtype), grads[-1]))]
        if self.loss.logit_activation is None:
            # With mse the error is dLoss/da, and the output activation makes it dLoss/dz.
            backward += last.backward(outputs[-1], grads[-1], scratch[-1])
        for index in range(len(layers) - 1, 0, -1):
            layer = layers[index]
            below = layers[index - 1]
            backward.append((np.dot, (inputs[index - 1], grads[index].T, layer.gradient)))
            backward.append((np.dot, (layer.W, grads[index], grads[index - 1])))
            backward += below.activation.backward(
                outputs[index - 1], grads[index - 1], scratch[index - 1]
            )
        buffers = [*inputs, z[-1], outputs[-1], *grads, *scratch]
        return Plan(forward, backward, z, outputs, grads, buffers)


def _check_supported(network: Network, loss: Loss) -> None:
    spec = network.spec
    previous = spec.input_name
    hidden = sorted(set(ACTIVATIONS) - {"softmax"})
    for name in spec.order:
        layer = spec.layer(name)
        if layer.inputs != (previous,):
            raise ValueError(
                f"layer {name!r} reads {layer.inputs}, but FastChain supports only chains, "
                "where each layer reads the one before it; train this network with the engine"
            )
        if name != spec.output_name and layer.activation not in hidden:
            raise ValueError(
                f"hidden layer {name!r} uses {layer.activation}, which FastChain does not "
                f"support; choose one of: {', '.join(hidden)}"
            )
        previous = name
    output = spec.layer(spec.output_name).activation
    if (loss.name, output) not in OUTPUT_PAIRS:
        supported = ", ".join(f"{name} with {act}" for name, act in sorted(OUTPUT_PAIRS))
        raise ValueError(
            f"FastChain has no output kernel for {loss.name} with a {output} output layer; "
            f"choose one of: {supported}"
        )


def check_against_engine(
    network: Network, loss_name: str, learning_rate: float, batches: Sequence[tuple[Array, Array]]
) -> float:
    """Train one copy with the engine and one with FastChain, asserting equal weights and losses.

    Returns the largest absolute difference between the two sets of weights.
    """
    engine = Network(network.spec, network.parameters, network.dtype)
    loss = make_loss(loss_name)
    optimizer = SGD(learning_rate)
    fast = FastChain(Network(network.spec, network.parameters, network.dtype), loss, learning_rate)
    largest = 0.0
    for X, y in batches:
        expected = engine.gradients(X, y, loss)
        optimizer.update(engine.parameters, expected.parameters)
        fast.step(fast.prepare(X, y))
        assert np.isclose(fast.batch_loss(), expected.loss, rtol=1e-12, atol=1e-12)
        for name, params in fast.parameters().items():
            want = engine.parameters[name]
            assert np.allclose(params.W, want.W, rtol=1e-12, atol=1e-12), name
            largest = max(largest, float(np.max(np.abs(params.W - want.W))))
            if params.b is not None and want.b is not None:
                assert np.allclose(params.b, want.b, rtol=1e-12, atol=1e-12), name
                largest = max(largest, float(np.max(np.abs(params.b - want.b))))
    return largest


def main() -> None:
    # Imported here so that importing FastChain does not load the benchmark workloads.
    from workloads import all_workloads

    if "--calls" in sys.argv:
        for line in call_costs():
            print(line)
        return
    for workload in all_workloads():
        network = Network(workload.spec, workload.parameters())
        batches = [workload.batch(step) for step in range(12)]
        pairs = [(batch.X, batch.y) for batch in batches]
        largest = check_against_engine(network, workload.loss, workload.learning_rate, pairs)
        print(
            f"{workload.key} {workload.title}: float64 weights and batch losses agree with the "
            f"engine's for {len(pairs)} steps (largest weight difference {largest:.1e})"
        )

    # Layers without bias and identity units, which the workloads do not use.
    spec = chain(3, (5, "tanh"), (4, "identity"), (2, "identity"), bias=False)
    rng = np.random.default_rng(5)
    pairs = [(rng.normal(size=(size, 3)), rng.normal(size=(size, 2))) for size in (8, 8, 3)]
    largest = check_against_engine(
        Network(spec, initialize(spec, "xavier_normal", 5)), "mse", 0.05, pairs
    )
    print(f"3-5-4-2 without bias, identity output, mse: agree (largest difference {largest:.1e})")


def call_costs(repeats: int = 7, number: int = 20000) -> list[str]:
    """Time the NumPy call variants behind FastChain's choices, side by side, in nanoseconds."""
    import timeit

    rng = np.random.default_rng(0)
    a, b, out = rng.random((4, 5)), rng.random((5, 4)), np.empty((4, 4))
    small, small_out = rng.random((8, 32)), np.empty((8, 32))
    logits = rng.random((64, 10))
    logits_t = np.ascontiguousarray(logits.T)
    column = np.empty(64)
    hidden = rng.random((64, 64))
    strided = np.empty((64, 65))[:, :64]
    contiguous = np.empty((64, 64))
    ones, bias = np.ones(64), np.empty(64)
    half = np.array(0.5)
    pairs = {
        "4x5 @ 5x4 into out": ("np.matmul(a, b, out=out)", "np.dot(a, b, out)"),
        "8x32 times 0.5": (
            "np.multiply(small, 0.5, small_out)",
            "np.multiply(small, half, small_out)",
        ),
        "max over 10 classes, 64 samples": (
            "np.maximum.reduce(logits, axis=1, out=column)",
            "np.maximum.reduce(logits_t, axis=0, out=column)",
        ),
        "64x64 product into": (
            "np.multiply(hidden, hidden, strided)",
            "np.multiply(hidden, hidden, contiguous)",
        ),
        "bias gradient of 64x64": (
            "np.sum(hidden, axis=0, out=bias)",
            "np.dot(ones, hidden, bias)",
        ),
        "errstate block per step": ("with np.errstate(over='ignore'): pass", "pass"),
    }
    names = {"np": np, **locals()}
    lines = ["what: costlier variant ns | FastChain's choice ns"]
    for label, (before, after) in pairs.items():
        costs = [
            min(timeit.repeat(code, globals=names, number=number, repeat=repeats)) / number * 1e9
            for code in (before, after)
        ]
        lines.append(f"{label}: {before} {costs[0]:.0f} | {after} {costs[1]:.0f}")
    return lines


if __name__ == "__main__":
    main()
