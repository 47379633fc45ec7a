"""Time the NumPy call variants behind the fast step's choices, side by side, in nanoseconds.

Run from the repository root: ``python benchmarks/call_costs.py``. Each line
gives the costlier form and the form nnstudio/engine/fast_*.py uses, as the
minimum of 7 repeats of 20,000 calls, float64. docs/benchmarks.md quotes them.
"""

from __future__ import annotations

import contextvars
import timeit

import numpy as np


def call_costs(repeats: int = 7, number: int = 20000) -> list[str]:
    rng = np.random.default_rng(0)
    a, b, out = rng.random((4, 5)), rng.random((5, 4)), np.empty((4, 4))
    small, small_out = rng.random((8, 32)), np.empty((8, 32))
    logits = rng.random((64, 10))
    logits_t = np.ascontiguousarray(logits.T)
    column = np.empty(64)
    hidden = rng.random((64, 64))
    strided = np.empty((64, 65))[:, :64]
    contiguous = np.empty((64, 64))
    bias = np.empty(64)
    ones = np.ones(64)
    half = np.array(0.5)
    data, rows, batch = rng.random((1000, 3)), rng.permutation(1000)[:32], np.empty((32, 3))
    quiet = contextvars.copy_context()
    quiet.run(np.seterr, over="ignore", invalid="ignore")

    def nothing() -> None:
        pass

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
        "gather 32 of 1000 rows": (
            "np.take(data, rows, 0, batch, 'clip')",
            "data.take(rows, 0, batch, 'clip')",
        ),
        "overflow guard around a step": (
            "with np.errstate(over='ignore', invalid='ignore'): pass",
            "quiet.run(nothing)",
        ),
    }
    names = {"np": np, **locals()}
    lines = ["what: costlier variant ns | fast step's choice ns"]
    for label, (before, after) in pairs.items():
        costs = [
            min(timeit.repeat(code, globals=names, number=number, repeat=repeats)) / number * 1e9
            for code in (before, after)
        ]
        lines.append(f"{label}: {before} {costs[0]:.0f} | {after} {costs[1]:.0f}")
    return lines


if __name__ == "__main__":
    print("\n".join(call_costs()))
