"""Time the NumPy call variants behind the fast step's choices, side by side, in nanoseconds.

Run from the repository root: ``python benchmarks/call_costs.py``. Each line
gives the costlier form and the form nnstudio/engine/fast_*.py uses, as the
minimum of 7 repeats of 20,000 calls: first in float64 on the small arrays of
W1 and W2, then in float32 on the shapes of W3 (64-64-10, batches of 64), for
the alternatives tried there. docs/benchmarks.md quotes them.
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
    return compare(pairs, {"np": np, **locals()}, repeats, number)


def w3_alternatives(repeats: int = 7, number: int = 5000) -> list[str]:
    """Time, in float32 on W3's shapes, the forms tried for its step against the ones it uses."""
    rng = np.random.default_rng(1)
    f32 = np.float32
    z, grad, a, mask = (rng.standard_normal((64, 64)).astype(f32) for _ in range(4))
    zero, zeros = np.zeros((), f32), np.zeros((64, 64), f32)
    bits, a_bits, grad_bits = np.empty((64, 64), np.int32), a.view(np.int32), grad.view(np.int32)
    shift = np.int32(31)
    # the first layer: W with b (65, 64), the batch (64 samples, 65), dz (64, 64)
    weights = rng.standard_normal((65, 64)).astype(f32)
    batch = rng.standard_normal((64, 65)).astype(f32)
    dz = rng.standard_normal((64, 64)).astype(f32)
    weights_t = np.ascontiguousarray(weights.T)
    gathered_t = rng.standard_normal((65, 1797)).astype(f32)
    batch_t = gathered_t[:, 64:128]
    z_out = np.empty((64, 64), f32)
    gradient, gradient_t = np.empty((65, 64), f32), np.empty((64, 65), f32)
    logits, shifted = rng.standard_normal((10, 64)).astype(f32), np.empty((10, 64), f32)
    column = np.empty(64, f32)

    pairs = {
        "ReLU forward and backward": (
            "np.maximum(z, zero, out=a); np.negative(a_bits, out=bits); "
            "np.right_shift(bits, shift, out=bits); np.bitwise_and(grad_bits, bits, out=grad_bits)",
            "np.greater(z, zero, mask); np.multiply(z, mask, a); np.multiply(grad, mask, grad)",
        ),
        "ReLU forward and backward, with np.maximum": (
            "np.maximum(z, zeros, out=a); np.greater(a, zero, mask); np.multiply(grad, mask, grad)",
            "np.greater(z, zero, mask); np.multiply(z, mask, a); np.multiply(grad, mask, grad)",
        ),
        "np.maximum against a 0-d zero or an array of zeros": (
            "np.maximum(z, zero, out=a)",
            "np.maximum(z, zeros, out=a)",
        ),
        "first layer's products, weights stored transposed": (
            "np.dot(weights_t, batch.T, z_out); np.dot(dz, batch, gradient_t)",
            "np.dot(weights.T, batch.T, z_out); np.dot(batch.T, dz.T, gradient)",
        ),
        "first layer's products, batch stored feature-major": (
            "np.dot(weights.T, batch_t, z_out); np.dot(batch_t, dz.T, gradient)",
            "np.dot(weights.T, batch.T, z_out); np.dot(batch.T, dz.T, gradient)",
        ),
        "softmax: check of the sums against the shift by the max": (
            "float(np.minimum.reduce(column)); float(np.maximum.reduce(column))",
            "np.maximum.reduce(logits, 0, None, column); np.subtract(logits, column, shifted)",
        ),
    }
    return compare(pairs, {"np": np, **locals()}, repeats, number)


def compare(
    pairs: dict[str, tuple[str, str]], names: dict[str, object], repeats: int, number: int
) -> list[str]:
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
    print()
    print("\n".join(w3_alternatives()))
