"""The optimizers and the weight penalty of the fast step, on flat parameter vectors.

Every W and b of a network lives in one flat vector, and every gradient in
another of the same layout, so an update is a few NumPy calls however many
layers there are. Each rule repeats the operations of its counterpart in
optimizers.py (and regularization.py for the penalty) in the same order, with
the hyperparameters as 0-d arrays of the network's dtype, so both paths round
alike. The hyperparameters are read from the engine's optimizer object before
every step, so Trainer.change_settings acts on both paths the same way.

The optimizer's state (momentum's velocity, Adam's moments and step count) is
kept here in flat vectors while the fast step trains. ``import_state`` takes it
over from the engine's optimizer object and ``export_state`` hands it back,
keyed as the object keys it, so a run can move between the two paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.engine.fast_kernels import Array, Call, Constants
from nnstudio.engine.optimizers import SGD, Adam, Momentum, Optimizer


@dataclass(frozen=True)
class Block:
    """The location of one layer's [W; b] block in the flat vectors."""

    name: str
    start: int
    fan_in: int
    units: int
    has_bias: bool

    @property
    def stop(self) -> int:
        return self.start + (self.fan_in + self.has_bias) * self.units

    def matrix(self, flat: Array) -> Array:
        """Return the block as a (fan_in + has_bias, units) view of ``flat``."""
        return flat[self.start : self.stop].reshape(self.fan_in + self.has_bias, self.units)

    def arrays(self, flat: Array) -> dict[str, Array]:
        """Return views of W and b, keyed "name/W" and "name/b" as the optimizers key them."""
        matrix = self.matrix(flat)
        views = {f"{self.name}/W": matrix[: self.fan_in]}
        if self.has_bias:
            views[f"{self.name}/b"] = matrix[self.fan_in]
        return views


def keyed_views(flat: Array, blocks: list[Block]) -> dict[str, Array]:
    views: dict[str, Array] = {}
    for block in blocks:
        views.update(block.arrays(flat))
    return views


def optimizer_problem(optimizer: Optimizer, blocks: list[Block]) -> str:
    """Return "" when a flat rule can take over ``optimizer`` with its state, else why not."""
    if type(optimizer) not in (SGD, Momentum, Adam):
        return f"the {optimizer.name or type(optimizer).__name__} optimizer has no flat update"
    keys = {key for block in blocks for key in block.arrays(np.zeros(block.stop))}
    state: dict[str, object] = {}
    if isinstance(optimizer, Momentum):
        state = dict(optimizer._velocity)
    elif isinstance(optimizer, Adam):
        state = dict(optimizer._moments)
        if len({count[0] for _, _, count in optimizer._moments.values()}) > 1:
            return "the Adam optimizer's parameters have taken different numbers of steps"
    if state and set(state) != keys:
        return "the optimizer's state belongs to other parameters"
    return ""


class FlatRule:
    """SGD on the flat vectors: w -= lr * g, with lr folded into the gradient.

    The step scales the output error by lr / N (fast_kernels.ErrorScale), so the
    gradient vector already contains lr * g and the update is one subtraction.
    ``folded_rate`` is the learning rate to fold, None for rules that fold none.
    """

    def __init__(self, rule: Optimizer, theta: Array, gradient: Array, c: Constants) -> None:
        self.rule = rule
        self.theta = theta
        self.gradient = gradient
        self.c = c
        self.learning_rate = c.of(rule.learning_rate)
        self.temporary = np.empty_like(theta)
        self.calls: list[Call] = [(np.subtract, (theta, gradient, theta))]

    @property
    def folded_rate(self) -> float | None:
        # A rate of 0 cannot scale the error (softmax divides by it): no update then.
        rate = self.rule.learning_rate
        return rate if rate != 0 else None

    def prepare(self) -> list[Call]:
        """Read the rule's hyperparameters into the constants; return this step's calls."""
        return self.calls if self.rule.learning_rate != 0 else []

    def import_state(self, blocks: list[Block]) -> None:
        """Take over the engine optimizer's state, if it has any."""

    def export_state(self, blocks: list[Block]) -> None:
        """Write the state back into the engine optimizer, keyed as it keys it."""


class FlatMomentum(FlatRule):
    """v = momentum * v + g; w -= lr * v. v starts at 0, so the first step gives v = g exactly."""

    def __init__(self, rule: Momentum, theta: Array, gradient: Array, c: Constants) -> None:
        super().__init__(rule, theta, gradient, c)
        self.momentum_rule = rule
        self.momentum = c.of(rule.momentum)
        self.velocity: Array = np.zeros_like(theta)
        self.started = False
        v = self.velocity
        self.calls = [  # v = m v + g; w -= lr v
            (np.multiply, (v, self.momentum, v)),
            (np.add, (v, gradient, v)),
            (np.multiply, (v, self.learning_rate, self.temporary)),
            (np.subtract, (theta, self.temporary, theta)),
        ]

    @property
    def folded_rate(self) -> float | None:
        return None

    def prepare(self) -> list[Call]:
        self.learning_rate[...] = self.rule.learning_rate
        self.momentum[...] = self.momentum_rule.momentum
        self.started = True
        return self.calls

    def import_state(self, blocks: list[Block]) -> None:
        velocity = self.momentum_rule._velocity
        if not velocity:
            return
        for key, view in keyed_views(self.velocity, blocks).items():
            np.copyto(view, velocity[key])
        self.started = True

    def export_state(self, blocks: list[Block]) -> None:
        if self.started:
            views = keyed_views(self.velocity, blocks)
            self.momentum_rule._velocity = {key: view.copy() for key, view in views.items()}


class FlatAdam(FlatRule):
    """Adam with bias correction, as optimizers.Adam computes it."""

    def __init__(self, rule: Adam, theta: Array, gradient: Array, c: Constants) -> None:
        super().__init__(rule, theta, gradient, c)
        self.adam = rule
        self.steps = 0
        self.m: Array = np.zeros_like(theta)
        self.v: Array = np.zeros_like(theta)
        self.m_hat: Array = np.empty_like(theta)
        self.beta1, self.beta2 = c.of(0.0), c.of(0.0)
        self.rest1, self.rest2 = c.of(0.0), c.of(0.0)  # 1 - beta
        self.correction1, self.correction2 = c.of(1.0), c.of(1.0)  # 1 - beta ** t
        self.eps = c.of(0.0)
        m, v, m_hat, t = self.m, self.v, self.m_hat, self.temporary
        self.calls = [
            (np.multiply, (m, self.beta1, m)),
            (np.multiply, (gradient, self.rest1, t)),
            (np.add, (m, t, m)),
            (np.multiply, (v, self.beta2, v)),
            (np.multiply, (gradient, self.rest2, t)),
            (np.multiply, (t, gradient, t)),
            (np.add, (v, t, v)),
            (np.divide, (m, self.correction1, m_hat)),
            (np.divide, (v, self.correction2, t)),
            (np.sqrt, (t, t)),
            (np.add, (t, self.eps, t)),
            (np.multiply, (m_hat, self.learning_rate, m_hat)),
            (np.divide, (m_hat, t, m_hat)),
            (np.subtract, (theta, m_hat, theta)),
        ]

    @property
    def folded_rate(self) -> float | None:
        return None

    def prepare(self) -> list[Call]:
        rule = self.adam
        beta1, beta2 = rule.betas
        self.steps += 1
        self.learning_rate[...] = rule.learning_rate
        self.beta1[...] = beta1
        self.beta2[...] = beta2
        # Python floats first, then the dtype, as the engine's scalar arithmetic rounds.
        self.rest1[...] = 1.0 - beta1
        self.rest2[...] = 1.0 - beta2
        self.correction1[...] = 1.0 - beta1**self.steps
        self.correction2[...] = 1.0 - beta2**self.steps
        self.eps[...] = rule.eps
        return self.calls

    def import_state(self, blocks: list[Block]) -> None:
        moments = self.adam._moments
        if not moments:
            return
        m_views, v_views = keyed_views(self.m, blocks), keyed_views(self.v, blocks)
        for key, (m, v, count) in moments.items():
            np.copyto(m_views[key], m)
            np.copyto(v_views[key], v)
            self.steps = count[0]

    def export_state(self, blocks: list[Block]) -> None:
        if not self.steps:
            return
        m_views, v_views = keyed_views(self.m, blocks), keyed_views(self.v, blocks)
        self.adam._moments = {
            key: (m_views[key].copy(), v_views[key].copy(), [self.steps]) for key in m_views
        }


def make_flat_rule(rule: Optimizer, theta: Array, gradient: Array, c: Constants) -> FlatRule:
    if isinstance(rule, Momentum):
        return FlatMomentum(rule, theta, gradient, c)
    if isinstance(rule, Adam):
        return FlatAdam(rule, theta, gradient, c)
    return FlatRule(rule, theta, gradient, c)


class FlatPenalty:
    """The L1 and L2 penalty's gradient, l1 sign(W) + l2 W, added to the flat gradient.

    Biases are not penalized: the coefficients live in flat masks that hold 0
    at every bias. sign(b) * 0 and b * 0 add 0 to a bias's gradient.
    """

    def __init__(self, theta: Array, gradient: Array, blocks: list[Block], c: Constants) -> None:
        self.theta = theta
        self.gradient = gradient
        self.blocks = blocks
        self.c = c
        self.coefficients = (0.0, 0.0, 1.0)
        self.calls: list[Call] = []

    def prepare(self, l1: float, l2: float, factor: float) -> list[Call]:
        """Return the calls that add ``factor`` times the penalty's gradient to the gradient.

        ``factor`` is SGD's folded learning rate, or 1.
        """
        if (l1, l2, factor) != self.coefficients:
            self.coefficients = (l1, l2, factor)
            self.calls = self._compile(factor * l1, factor * l2)
        return self.calls

    def _compile(self, l1: float, l2: float) -> list[Call]:
        theta, gradient = self.theta, self.gradient
        temporary = np.empty_like(theta)
        calls: list[Call] = []
        # The engine adds the l1 term, then the l2 term.
        if l1 > 0:
            calls += [
                (np.sign, (theta, temporary)),
                (np.multiply, (temporary, self._mask(l1), temporary)),
                (np.add, (gradient, temporary, gradient)),
            ]
        if l2 > 0:
            calls += [
                (np.multiply, (theta, self._mask(l2), temporary)),
                (np.add, (gradient, temporary, gradient)),
            ]
        return calls

    def _mask(self, value: float) -> Array:
        mask = np.zeros_like(self.theta)
        for block in self.blocks:
            mask[block.start : block.stop].reshape(-1, block.units)[: block.fan_in] = value
        return mask
