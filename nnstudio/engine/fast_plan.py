"""The buffers and compiled NumPy calls of one batch size, for the fast training step.

A plan contains every array one forward and backward pass on ``count`` samples
needs, allocated once, and the calls of the pass with those arrays bound, so
the step runs them in a single loop and allocates nothing.

Layout, for a network that is any directed acyclic graph of dense layers:

- Every layer keeps W with b below it as one block of the flat weight vector,
  ``weights`` of shape (inputs + 1, units). Its input is feature-major,
  (inputs + 1, samples), with a last row of ones, so one product
  weights.T @ input gives z = W.T a + b, and one product input @ dz.T gives
  dLoss/dW with dLoss/db below it.
- A layer's activation lives in the top rows of a (units + 1, samples) buffer
  whose last row is ones. A layer fed by that layer alone reads the buffer as
  its input directly; a layer fed by several gets its own input buffer, into
  which the step copies each source's activation.
- The batch arrives sample-major as (samples, inputs + 1) with a column of
  ones, and its transpose is the input layer's buffer, because BLAS reads a
  transposed operand at no cost.
- A hidden layer's z is written where its activation goes and overwritten by
  it, because backward needs only a (and the mask or derivative the kernel
  keeps). The output layer keeps z, the logits its loss reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.engine.fast_kernels import (
    Array,
    Call,
    Constants,
    ErrorScale,
    IdentityKernel,
    Kernel,
    output_error,
)


class BufferPool:
    """Arrays handed out in order of request, so that plans of one batch size can share them.

    Plans never run at the same time and every step rewrites what it reads,
    except the rows of ones, which no call writes. So every plan compiled
    with the same pool, for the same network and batch size, requests the
    same shapes in the same order and gets the same arrays.
    """

    def __init__(self) -> None:
        self._arrays: list[Array] = []
        self._next = 0

    def rewind(self) -> None:
        """Start handing out the arrays from the first again, for the next plan."""
        self._next = 0

    def get(self, shape: tuple[int, ...], dtype: np.dtype[Any], fill: float | None) -> Array:
        """Return the next array: the one handed out before, or a new one filled with ``fill``.

        A new array is left uninitialized when ``fill`` is None.
        """
        if self._next < len(self._arrays):
            array = self._arrays[self._next]
            if array.shape != shape or array.dtype != dtype:
                raise ValueError(
                    f"pool array {self._next} is {array.shape} {array.dtype}, expected "
                    f"{shape} {dtype}: compile each batch size with its own BufferPool"
                )
        else:
            array = np.empty(shape, dtype)
            if fill is not None:
                array.fill(fill)
            self._arrays.append(array)
        self._next += 1
        return array


@dataclass
class Slot:
    """One layer's place in the flat vectors: views of its weights and their gradient."""

    name: str
    sources: tuple[str, ...]
    units: int
    fan_in: int
    has_bias: bool
    kernel: Kernel
    # (fan_in + has_bias, units): W, with b as the last row when the layer has one
    weights: Array
    gradient: Array

    @property
    def W(self) -> Array:
        return self.weights[: self.fan_in]


@dataclass
class Plan:
    """The buffers of one batch of ``count`` samples and the calls of its passes.

    ``X`` is the batch, sample-major with a column of ones, and ``y`` its
    targets as (outputs, samples); a step writes the batch into them unless
    they are a whole dataset. ``forward`` runs the network on ``X``;
    ``backward`` computes the output error and every gradient into the flat
    gradient vector. ``logits`` and ``output`` are the output layer's z and a.
    """

    count: int
    X: Array
    y: Array
    forward: list[Call]
    backward: list[Call]
    logits: Array
    output: Array
    buffers: list[Array]
    scale: ErrorScale
    # forward + backward + the update calls they were last joined with
    _joined: list[Call] = field(default_factory=list)
    _update: list[Call] | None = None

    def calls_with(self, update: list[Call]) -> list[Call]:
        """Return the forward, backward and ``update`` calls as one list, for one loop.

        The list is joined again only when ``update`` is another list than last time.
        """
        if update is not self._update:
            self._joined = self.forward + self.backward + update
            self._update = update
        return self._joined


def compile_plan(
    slots: list[Slot],
    input_name: str,
    X: Array,
    y: Array,
    loss_name: str,
    from_logits: bool,
    constants: Constants,
    rate: float | None,
    pool: BufferPool | None = None,
) -> Plan:
    """Allocate the buffers for the batch ``X`` (samples, inputs + 1), ``y`` (outputs, samples).

    ``y`` contains fast_kernels.scaled_targets. With a learning ``rate`` the output
    error, and so every gradient, is scaled by it (ErrorScale), for SGD's folded
    update. Plans compiled with one ``pool`` share their buffers (BufferPool).
    """
    count = len(X)
    dtype = X.dtype
    if pool is None:
        pool = BufferPool()
    pool.rewind()
    output_slot = slots[-1]
    inputs_of = {slot.name: slot.sources for slot in slots}
    consumers: dict[str, list[str]] = {input_name: []}
    for slot in slots:
        consumers[slot.name] = []
        for source in slot.sources:
            consumers[source].append(slot.name)

    # Where each layer's activation lives: (units + 1, samples), ones in the last row.
    homes: dict[str, Array] = {input_name: X.T}
    buffers: list[Array] = []
    for slot in slots[:-1]:
        home = pool.get((slot.units + 1, count), dtype, 1.0)
        homes[slot.name] = home
        buffers.append(home)
    logits = pool.get((output_slot.units, count), dtype, None)
    buffers.append(logits)
    # A loss from the logits computes its output activation inside its error.
    if from_logits or isinstance(output_slot.kernel, IdentityKernel):
        output = logits
    else:
        output = pool.get(logits.shape, dtype, None)
        buffers.append(output)

    def activation(name: str) -> Array:
        units = X.shape[1] - 1 if name == input_name else _units(slots, name)
        return homes[name][:units]

    # Each layer's input: the home of its only source, or a buffer of its own.
    layer_inputs: dict[str, Array] = {}
    gathers: dict[str, list[Call]] = {}
    for slot in slots:
        if len(slot.sources) == 1:
            home = homes[slot.sources[0]]
            layer_inputs[slot.name] = home if slot.has_bias else home[: slot.fan_in]
            continue
        joined = pool.get((slot.fan_in + slot.has_bias, count), dtype, 1.0)
        buffers.append(joined)
        layer_inputs[slot.name] = joined
        calls: list[Call] = []
        start = 0
        for source in slot.sources:
            part = activation(source)
            calls.append((np.copyto, (joined[start : start + len(part)], part)))
            start += len(part)
        gathers[slot.name] = calls

    scratch = {slot.name: pool.get((slot.units, count), dtype, None) for slot in slots}
    buffers += scratch.values()

    forward: list[Call] = []
    for slot in slots:
        forward += gathers.get(slot.name, [])
        z = logits if slot is output_slot else activation(slot.name)
        a = output if slot is output_slot else z
        forward.append((np.dot, (slot.weights.T, layer_inputs[slot.name], z)))
        if not (from_logits and slot is output_slot):
            forward += slot.kernel.forward(z, a, scratch[slot.name])

    scale = ErrorScale(count, constants, rate)
    backward, grad_buffers = _backward_calls(
        slots, input_name, layer_inputs, activation, scratch, logits, output, y, loss_name,
        from_logits, scale, inputs_of, pool,
    )  # fmt: skip
    buffers += grad_buffers
    return Plan(count, X, y, forward, backward, logits, output, buffers, scale)


def _backward_calls(
    slots: list[Slot],
    input_name: str,
    layer_inputs: dict[str, Array],
    activation: Callable[[str], Array],
    scratch: dict[str, Array],
    logits: Array,
    output: Array,
    y: Array,
    loss_name: str,
    from_logits: bool,
    scale: ErrorScale,
    inputs_of: dict[str, tuple[str, ...]],
    pool: BufferPool,
) -> tuple[list[Call], list[Array]]:
    """Return the calls from the output error to the first layer's gradient, and their buffers.

    A layer fed by several layers sends each of them its share of
    W @ dz, and a layer fed by several consumers adds their shares in the
    order the engine's Network.backward adds them: the consumer latest in
    the network's order first.
    """
    dtype = output.dtype
    count_samples = output.shape[1]
    output_slot = slots[-1]
    # dLoss/da of every hidden layer, turned into dLoss/dz in place by its kernel
    grads = {slot.name: pool.get((slot.units, count_samples), dtype, None) for slot in slots[:-1]}
    grads[output_slot.name] = pool.get(output.shape, dtype, None)
    buffers = list(grads.values())

    error = grads[output_slot.name]
    calls = output_error(loss_name, logits, output, y, scale, error)
    if not from_logits:
        out = output_slot.name
        calls += output_slot.kernel.backward(output, grads[out], scratch[out])

    reached: set[str] = set()
    for index in range(len(slots) - 1, -1, -1):
        slot = slots[index]
        dz = grads[slot.name]
        if slot is not output_slot:
            calls += slot.kernel.backward(activation(slot.name), dz, scratch[slot.name])
        calls.append((np.dot, (layer_inputs[slot.name], dz.T, slot.gradient)))

        hidden = [source for source in inputs_of[slot.name] if source != input_name]
        if not hidden:
            continue
        if len(slot.sources) == 1 and slot.sources[0] not in reached:
            # The only consumer so far of its only source: the product goes straight there.
            calls.append((np.dot, (slot.W, dz, grads[slot.sources[0]])))
            reached.add(slot.sources[0])
            continue
        product = pool.get((slot.fan_in, count_samples), dtype, None)
        buffers.append(product)
        calls.append((np.dot, (slot.W, dz, product)))
        start = 0
        for source in slot.sources:
            width = len(activation(source))
            part = product[start : start + width]
            start += width
            if source == input_name:
                continue
            if source in reached:
                calls.append((np.add, (grads[source], part, grads[source])))
            else:
                calls.append((np.copyto, (grads[source], part)))
                reached.add(source)
    return calls, buffers


def _units(slots: list[Slot], name: str) -> int:
    for slot in slots:
        if slot.name == name:
            return slot.units
    raise KeyError(name)
