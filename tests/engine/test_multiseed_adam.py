"""Adam's update shared by the single-network optimizer and the stacked many-seeds one.

A hand-worked pair of steps checks the arithmetic, and stacked copies must get
exactly, bit for bit, the numbers that one Adam per copy gets, because both
now call the same function with the same step count.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.engine.network import LayerParameters
from nnstudio.engine.optimizers import Adam, adam_update
from nnstudio.engine.stacked import StackedAdam

COPIES = 3


def test_adam_update_hand_worked() -> None:
    # lr 0.1, betas (0.9, 0.999), eps 1e-8, gradients 0.5 then -0.5, from w = 1.
    # Step 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25,
    #         w = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
    # Step 2: m = 0.045 - 0.05 = -0.005, v = 0.00024975 + 0.00025 = 0.00049975,
    #         m_hat = -0.005 / 0.19, v_hat = 0.00049975 / 0.001999,
    #         w -= 0.1 * m_hat / (sqrt(v_hat) + 1e-8).
    m, v, w = np.zeros(1), np.zeros(1), np.ones(1)

    adam_update(m, v, w, np.array([0.5]), 1, 0.1, (0.9, 0.999), 1e-8)

    assert m[0] == pytest.approx(0.05, rel=1e-15)
    assert v[0] == pytest.approx(0.00025, rel=1e-12)
    first = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    assert w[0] == pytest.approx(first, rel=1e-15)

    adam_update(m, v, w, np.array([-0.5]), 2, 0.1, (0.9, 0.999), 1e-8)

    assert m[0] == pytest.approx(-0.005, rel=1e-12)
    assert v[0] == pytest.approx(0.00049975, rel=1e-12)
    m_hat, v_hat = -0.005 / 0.19, 0.00049975 / 0.001999
    assert w[0] == pytest.approx(first - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stacked_adam_equals_one_adam_per_copy(dtype: type[np.floating]) -> None:
    rng = np.random.default_rng(4)
    W = rng.normal(size=(COPIES, 3, 2)).astype(dtype)
    b = rng.normal(size=(COPIES, 2)).astype(dtype)
    stacked = {"output": LayerParameters(W.copy(), b.copy())}
    alone = [{"output": LayerParameters(W[k].copy(), b[k].copy())} for k in range(COPIES)]
    stacked_rule = StackedAdam(0.05, (0.8, 0.99), 1e-6)
    rules = [Adam(0.05, (0.8, 0.99), 1e-6) for _ in range(COPIES)]

    for _ in range(6):
        dW = rng.normal(size=W.shape).astype(dtype)
        db = rng.normal(size=b.shape).astype(dtype)
        stacked_rule.update(stacked, {"output": LayerParameters(dW, db)})
        for k, rule in enumerate(rules):
            rule.update(alone[k], {"output": LayerParameters(dW[k].copy(), db[k].copy())})

    for k in range(COPIES):
        assert np.array_equal(stacked["output"].W[k], alone[k]["output"].W), f"W of copy {k}"
        assert np.array_equal(stacked["output"].b[k], alone[k]["output"].b), f"b of copy {k}"


def test_stacked_adam_after_dropping_copies() -> None:
    # Copies that stop early are dropped, and the others keep their moments and step count.
    rng = np.random.default_rng(8)
    W = rng.normal(size=(COPIES, 2, 1))
    stacked = {"output": LayerParameters(W.copy(), None)}
    alone = {"output": LayerParameters(W[2].copy(), None)}
    stacked_rule, rule = StackedAdam(0.1, (0.9, 0.999), 1e-8), Adam(0.1)

    for step in range(5):
        if step == 2:
            stacked_rule.keep(np.array([2]))
            stacked = {"output": LayerParameters(stacked["output"].W[[2]], None)}
        dW = rng.normal(size=stacked["output"].W.shape)
        stacked_rule.update(stacked, {"output": LayerParameters(dW, None)})
        rule.update(alone, {"output": LayerParameters(dW[-1].copy(), None)})

    assert np.array_equal(stacked["output"].W[0], alone["output"].W)
