"""The fast training step: the Trainer's path for the networks, losses and optimizers it covers.

``FastStep`` trains one network on one dataset with preallocated buffers and
compiled lists of NumPy calls (fast_plan.py, fast_kernels.py), with every
weight in one flat vector and every gradient in another (fast_update.py). Its
results equal those of Network.gradients followed by the optimizer's update up
to rounding: float64 weights agree to about 1e-13 after hundreds of steps.
With plain SGD the learning rate is folded into the output error, so the
gradient vector contains lr * g and the update is one subtraction. ``evaluate``
runs fast_eval.py's copy of the general forward pass, which gives the general
path's loss and accuracy bit for bit.

What it covers is in fast_coverage.py. Each epoch's batches are gathered once
(fast_epoch.py) when the caller passes the epoch's order to ``train_batch``.

The network's parameters stay the engine's Parameters: each layer's W and b
are views into the flat vector, so a caller reads the current weights and may
edit them in place between steps. A caller may also assign new arrays or a
new dict: before every step and evaluation FastStep checks that the network
still contains its views (identity checks, a few hundred nanoseconds), and if not
it copies the new values into the flat vector and puts its views back in
their place, in the dict the network then contains.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import numpy as np

from nnstudio.engine.errors import EngineError
from nnstudio.engine.fast_coverage import fast_path_problem, layer_blocks
from nnstudio.engine.fast_epoch import MAX_BATCHES, EpochBatches, Rows, batch_count
from nnstudio.engine.fast_eval import Evaluation
from nnstudio.engine.fast_kernels import Array, Call, Constants, make_kernel, scaled_targets
from nnstudio.engine.fast_plan import BufferPool, Plan, Slot, compile_plan
from nnstudio.engine.fast_update import FlatPenalty, make_flat_rule
from nnstudio.engine.losses import Loss
from nnstudio.engine.network import LayerParameters, Network, Parameters


class FastStep:
    """Train ``network`` on (X, y) one batch at a time.

    X and y are the training set, (samples, features) and (samples, outputs),
    in the network's dtype. ``train(rows, l1, l2)`` applies one update of the
    optimizer on the samples at ``rows`` (None for all of them, in order), and
    ``train_batch(order, size, index, l1, l2)`` one on a batch of an epoch.
    """

    def __init__(
        self,
        network: Network,
        loss: Loss,
        optimizer: Any,
        X: Array,
        y: Array,
    ) -> None:
        problem = fast_path_problem(network, loss, optimizer)
        if problem:
            raise EngineError(problem)
        self.network = network
        self.loss = loss
        self.optimizer = optimizer
        self.X, self.y = X, y
        self.from_logits = loss.logit_activation is not None
        self.constants = Constants(network.dtype)
        self.blocks = layer_blocks(network)
        size = self.blocks[-1].stop
        self.theta: Array = np.zeros(size, network.dtype)
        self.gradient: Array = np.zeros(size, network.dtype)
        self.backup: Array = np.zeros(size, network.dtype)
        self._backup_views = self._parameter_views(self.backup)
        spec = network.spec
        self.slots = [
            Slot(
                name,
                spec.layer(name).inputs,
                block.units,
                block.fan_in,
                block.has_bias,
                make_kernel(network.activations[name], self.constants),
                block.matrix(self.theta),
                block.matrix(self.gradient),
            )
            for name, block in zip(spec.order, self.blocks, strict=True)
        ]
        self.rule = make_flat_rule(optimizer, self.theta, self.gradient, self.constants)
        # SGD's learning rate, folded into the output error of every plan (ErrorScale)
        self._rate = self.rule.folded_rate
        self.rule.import_state(self.blocks)
        self.penalty = FlatPenalty(self.theta, self.gradient, self.blocks, self.constants)
        # (layer, the LayerParameters handed to the network, its W view, its b view)
        self._views: list[tuple[str, LayerParameters, Array, Array | None]] = []
        self._held: Parameters = {}
        self._reload()

        # the training set, (samples, features + 1) with ones, and y as (outputs, samples)
        self._X_ones, self._y_t = _prepared(X, y, network.dtype)
        self._plans: dict[int | None, Plan] = {}
        # (the dataset's X, its evaluation), by id(X)
        self._evaluations: dict[int, tuple[Array, Evaluation]] = {}
        # The targets each plan reads, as fast_kernels.scaled_targets, by batch size
        self._sources: dict[int | None, Array] = {}
        # the epoch that train_batch() arranged last
        self._epoch: EpochBatches | None = None
        self._last: Plan | None = None
        # the samples of the last step's batch: rows, or (epoch, batch index) after train_batch()
        self._last_rows: Rows | None | tuple[EpochBatches, int] = None
        self._run = _quiet_runner()

    def serves(self, network: Network, loss: Loss, optimizer: object, X: Array, y: Array) -> bool:
        """Return True when this FastStep was built for exactly these objects."""
        return (
            network is self.network
            and loss is self.loss
            and optimizer is self.optimizer
            and X is self.X
            and y is self.y
        )

    def train(self, rows: Rows | None, l1: float = 0.0, l2: float = 0.0) -> None:
        """Apply one update on the samples at ``rows``, or on every sample in order for None."""
        self._check_network()
        if rows is None:
            plan = self._plan(None)
        else:
            count = len(rows)
            plan = self._plan(count)
            # The method, not np.take: its wrapper costs four times the gathering.
            self._X_ones.take(rows, 0, plan.X, "clip")
            self._source(count).take(rows, 1, plan.y, "clip")
        self._apply(plan, l1, l2)
        self._last_rows = rows

    def train_batch(
        self, order: Rows, size: int, index: int, l1: float = 0.0, l2: float = 0.0
    ) -> None:
        """Apply one update on batch ``index`` of an epoch that visits the samples in ``order``.

        The batches have ``size`` samples, the last one the rest. The first call
        with a new ``order`` array gathers the whole training set in that order
        (fast_epoch.py), so that the steps on its batches gather nothing. The
        caller must therefore not change an order's contents after that call.
        """
        epoch = self._epoch
        if epoch is None or epoch.size != size:
            if batch_count(len(self._X_ones), size) > MAX_BATCHES:
                self.train(order[index * size : (index + 1) * size], l1, l2)
                return
            epoch = self._epoch = EpochBatches(self._X_ones, len(self._y_t), size, self._compile)
        self._check_network()
        if epoch.order is not order:
            epoch.arrange(order, self._source)
        self._apply(epoch.plans[index], l1, l2)
        self._last_rows = (epoch, index)

    def evaluate(self, X: Array, y: Array) -> tuple[float, float | None]:
        """Return the data loss and accuracy of the current weights on the dataset (X, y).

        The numbers equal Network.loss and training.accuracy bit for bit
        (fast_eval.py). The buffers for a dataset are kept while X is the same array.
        """
        if not self._holds_views():
            self._reload()
        kept = self._evaluations.get(id(X))
        if kept is None or kept[0] is not X:
            network = self.network
            evaluation = Evaluation(
                self.slots, network.activations, network.spec.input_name, self.loss, X, y
            )
            self._evaluations[id(X)] = (X, evaluation)
        else:
            evaluation = kept[1]
        result: tuple[float, float | None] = self._run(evaluation.evaluate)
        return result

    def batch_loss(self) -> float:
        """Return the data loss of the last training step's batch, before its update."""
        if self._last is None:
            raise EngineError("batch_loss() was called before any step; call train() first")
        rows = self._last_rows
        if isinstance(rows, tuple):
            rows = rows[0].rows(rows[1])
        y = self._y_t if rows is None else self._y_t[:, rows]
        return float(self._run(self._loss_value, self._last, y.T))

    def kept_parameters(self) -> Parameters:
        """Copy the weights into the backup vector and return them as Parameters views of it.

        The next call overwrites them, so a caller keeps them only until then.
        """
        if not self._holds_views():
            self._reload()
        np.copyto(self.backup, self.theta)
        return self._backup_views

    def export_state(self) -> None:
        """Hand the optimizer's state back to the engine optimizer object."""
        self.rule.export_state(self.blocks)

    def buffer_bytes(self) -> int:
        """Return the bytes of the flat vectors, the prepared data and every plan's buffers.

        Views count once, as the array that owns their memory.
        """
        arrays = [self.theta, self.gradient, self.backup, *self._flat_state()]
        arrays += [self._X_ones, self._y_t, *self._sources.values()]
        for plan in self._all_plans():
            arrays += [plan.X, plan.y, *plan.buffers]
        owners = {}
        for array in arrays:
            while isinstance(array.base, np.ndarray):
                array = array.base
            owners[id(array)] = array
        return sum(array.nbytes for array in owners.values())

    def _flat_state(self) -> list[Array]:
        return [value for value in vars(self.rule).values() if isinstance(value, np.ndarray)]

    def _check_network(self) -> None:
        """Take over replaced weight arrays and a changed learning rate before a step."""
        if not self._holds_views():
            self._reload()
        rate = self.rule.folded_rate
        if rate != self._rate:
            self._fold_rate(rate)

    def _apply(self, plan: Plan, l1: float, l2: float) -> None:
        """Run the plan's passes, the penalty and the optimizer's update."""
        update = self.rule.prepare()
        if l1 > 0 or l2 > 0:
            penalty = self.penalty.prepare(l1, l2, self._rate or 1.0)
            self._run(_run_calls, plan.forward, plan.backward, penalty, update)
        else:
            self._run(_run_calls, plan.calls_with(update))
        self._last = plan

    def _all_plans(self) -> list[Plan]:
        epoch_plans = [] if self._epoch is None else self._epoch.plans
        return [*self._plans.values(), *epoch_plans]

    def _fold_rate(self, rate: float | None) -> None:
        """Scale every plan's output error and the targets they read by a new folded rate."""
        self._rate = rate
        for plan in self._all_plans():
            plan.scale.set_rate(rate)
        for count, source in self._sources.items():
            targets = self._scaled_targets(count)
            if targets is not self._y_t:
                np.copyto(source, targets)
        if self._epoch is not None:
            self._epoch.gather_targets(self._source)

    def _scaled_targets(self, count: int | None) -> Array:
        size = len(self._X_ones) if count is None else count
        factor = (1.0 if self._rate is None else self._rate) / size
        return scaled_targets(self.loss.name, self._y_t, factor)

    def _source(self, count: int | None) -> Array:
        """Return the targets (outputs, samples) as plans of batches of ``count`` read them."""
        source = self._sources.get(count)
        if source is None:
            source = self._sources[count] = self._scaled_targets(count)
        return source

    def _plan(self, count: int | None) -> Plan:
        """Return the plan of batches of ``count`` samples, or of the whole training set."""
        plan = self._plans.get(count)
        if plan is None:
            if count is None:
                X, y = self._X_ones, self._source(None)
            else:
                X = np.ones((count, self._X_ones.shape[1]), self._X_ones.dtype)
                y = np.empty((len(self._y_t), count), self._y_t.dtype)
            plan = self._plans[count] = self._compile(X, y, BufferPool())
        return plan

    def _compile(self, X: Array, y: Array, pool: BufferPool) -> Plan:
        spec = self.network.spec
        return compile_plan(
            self.slots, spec.input_name, X, y, self.loss.name, self.from_logits,
            self.constants, self._rate, pool,
        )  # fmt: skip

    def _loss_value(self, plan: Plan, y: Array) -> float:
        if self.from_logits:
            return self.loss.value_from_logits(plan.logits.T, y)
        return self.loss.value(plan.output.T, y)

    def _holds_views(self) -> bool:
        held = self.network.parameters
        if held is not self._held:
            return False
        for name, layer, W, b in self._views:
            current = held.get(name)
            if current is not layer or current.W is not W or current.b is not b:
                return False
        return True

    def _reload(self) -> None:
        """Copy the network's current weights into the flat vector and hand it the views."""
        held = self.network.parameters
        for slot in self.slots:
            given = held.get(slot.name)
            if given is None:
                raise EngineError(f"the network's parameters lack layer {slot.name!r}")
            _copy_into(slot.W, given.W, slot.name, "W")
            if slot.has_bias:
                if given.b is None:
                    raise EngineError(f"layer {slot.name!r} has a bias, but its b is None")
                _copy_into(slot.weights[slot.fan_in], given.b, slot.name, "b")
        views = self._parameter_views(self.theta)
        held.update(views)
        self._held = held
        self._views = [(name, layer, layer.W, layer.b) for name, layer in views.items()]

    def _parameter_views(self, flat: Array) -> Parameters:
        views: Parameters = {}
        for block in self.blocks:
            matrix = block.matrix(flat)
            bias = matrix[block.fan_in] if block.has_bias else None
            views[block.name] = LayerParameters(matrix[: block.fan_in], bias)
        return views


def _run_calls(*lists: list[Call]) -> None:
    for calls in lists:
        for function, arguments in calls:
            function(*arguments)


def _quiet_runner() -> Callable[..., Any]:
    """Return run(function, *args), which calls it with overflow and invalid warnings off.

    A diverging run overflows on its way to inf, and the Trainer reports that
    itself. Since NumPy 2 the error state is a context variable, so a context
    copied once with the state set costs about 0.06 µs per call, against about
    0.9 µs for a new np.errstate block. Older NumPy keeps the state per thread,
    and gets the np.errstate block.
    """
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        context = contextvars.copy_context()
        context.run(np.seterr, over="ignore", invalid="ignore")
        return context.run

    def run(function: Callable[..., Any], *arguments: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            return function(*arguments)

    return run


def _prepared(X: Array, y: Array, dtype: type) -> tuple[Array, Array]:
    """Return X with a column of ones, (samples, features + 1), and y as (outputs, samples)."""
    count, features = X.shape
    X_ones = np.ones((count, features + 1), dtype)
    X_ones[:, :features] = X
    return X_ones, np.ascontiguousarray(np.asarray(y, dtype).T)


def _copy_into(view: Array, values: Array, name: str, part: str) -> None:
    values = np.asarray(values)
    if values.shape != view.shape:
        raise EngineError(f"layer {name!r}: {part} has shape {values.shape}, expected {view.shape}")
    np.copyto(view, values, casting="unsafe")
