"""``nnstudio gradcheck``: compare a project's backpropagated gradients with finite differences.

The check runs nnstudio.engine.gradcheck on the project's current weights and
whole dataset, with the loss and the L1 and L2 penalty that training uses.
Nothing in this module imports Qt.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from nnstudio.cli_commands import EXIT_FAILED, EXIT_OK, CommandError, read_project
from nnstudio.cli_train_options import number
from nnstudio.engine.gradcheck import LayerCheck, check_gradients
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network
from nnstudio.engine.regularization import Regularization

DEFAULT_TOLERANCE = 1e-6
# Near the cube root of float64's eps, where the rounding error of central
# differences (about eps * loss / h) and their truncation error (about h^2)
# balance.
STEP = 1e-5


def add_gradcheck_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``gradcheck`` command and its options to the ``nnstudio`` parser."""
    checker = commands.add_parser(
        "gradcheck",
        prog="nnstudio gradcheck",
        help="compare backpropagation with finite differences, layer by layer",
        description="Compute dLoss/dW, dLoss/db and dLoss/dalpha of the project's current "
        "weights on its whole dataset by backpropagation and by central differences, and "
        "print the largest relative error of each layer. The loss includes the l1 and l2 "
        "penalty, and the check always computes in float64. Exits with status 1 when an "
        "error is above the tolerance.",
    )
    checker.add_argument("project", help="project file (.nnproj) to check")
    checker.add_argument(
        "--tolerance",
        type=number(0.0, math.inf),
        default=DEFAULT_TOLERANCE,
        metavar="T",
        help=f"largest relative error accepted (default: {DEFAULT_TOLERANCE:g})",
    )
    checker.add_argument("--json", action="store_true", help="print one JSON object")


def run_gradcheck(args: argparse.Namespace) -> int:
    """Check the gradients of the project in ``args.project``; return the exit status."""
    project = read_project(args.project)
    # Central differences in float32 reach a relative error of about eps^(2/3)
    # at best, an estimated 1e-5 to 1e-4, so the check runs in float64.
    trained = project.network()
    network = Network(trained.spec, trained.parameters, np.float64)
    settings = project.settings
    with np.errstate(over="ignore", invalid="ignore"):
        checks = check_gradients(
            network,
            project.dataset.network_inputs(),
            project.dataset.y,
            make_loss(settings.loss),
            STEP,
            Regularization(settings.l1, settings.l2),
        )

    worst = max(checks, key=lambda check: _sort_key(check.max_relative_error))
    passed = all(check.max_relative_error <= args.tolerance for check in checks)
    if args.json:
        print(json.dumps(_result(checks, args.tolerance, worst, passed)))
    else:
        _print_checks(checks, args.tolerance)
    if not passed:
        raise CommandError(_failure(worst, args.tolerance), EXIT_FAILED)
    return EXIT_OK


def _sort_key(error: float) -> float:
    # A NaN error (an overflowing loss) is the worst of all.
    return math.inf if math.isnan(error) else error


def _result(
    checks: list[LayerCheck], tolerance: float, worst: LayerCheck, passed: bool
) -> dict[str, Any]:
    return {
        "tolerance": tolerance,
        "step": STEP,
        "layers": [
            {"name": check.layer, "max_relative_error": _finite_or_none(check.max_relative_error)}
            for check in checks
        ],
        "max_relative_error": _finite_or_none(worst.max_relative_error),
        "passed": passed,
    }


def _finite_or_none(value: float) -> float | None:
    # JSON has no NaN or infinity.
    return value if math.isfinite(value) else None


def _print_checks(checks: list[LayerCheck], tolerance: float) -> None:
    print(f"largest relative error per layer (central differences, step {STEP:g}):")
    width = max(len(repr(check.layer)) for check in checks)
    for check in checks:
        verdict = "ok" if check.max_relative_error <= tolerance else "above the tolerance"
        print(f"  {check.layer!r:<{width}}  {check.max_relative_error:.3g}  {verdict}")
    if all(check.max_relative_error <= tolerance for check in checks):
        print(f"every layer is within the tolerance {tolerance:g}")


def _failure(worst: LayerCheck, tolerance: float) -> str:
    return (
        f"layer {worst.layer!r} has a relative error of {worst.max_relative_error:.3g}, above "
        f"the tolerance {tolerance:g}; rounding in the finite differences, or a value near "
        "the kink of relu, leaky_relu, prelu, abs or mae, can cause such an error, so retry "
        "with a larger --tolerance before suspecting backpropagation"
    )
