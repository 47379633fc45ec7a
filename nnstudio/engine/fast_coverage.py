"""The coverage of the fast training step: the networks, losses and optimizers it trains.

It covers any graph of dense layers with the hidden activations identity,
sigmoid, tanh, relu, leaky_relu and abs. The losses it covers are mse and mae
on any of those output activations, binary cross-entropy on a sigmoid output
and cross-entropy on a softmax output. It covers the optimizers sgd, momentum
and adam, the L1 and L2 penalty, and float32 and float64. For anything else
(step, prelu, an activation without a kernel) ``fast_path_problem`` returns
the reason, and the Trainer takes the engine's general path.
"""

from __future__ import annotations

import numpy as np

from nnstudio.engine.fast_kernels import ACTIVATION_LOSSES, HIDDEN_KERNELS, LOGIT_OUTPUTS
from nnstudio.engine.fast_update import Block, optimizer_problem
from nnstudio.engine.losses import LOSSES, Loss
from nnstudio.engine.network import Network
from nnstudio.engine.optimizers import Optimizer


def fast_path_problem(network: Network, loss: Loss, optimizer: object) -> str:
    """Return "" when FastStep can train this network, loss and optimizer, else the reason."""
    if np.dtype(network.dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"the fast step has no {np.dtype(network.dtype).name} kernels"
    if LOSSES.get(loss.name) is not type(loss):
        return f"the fast step does not know the loss {loss.name or type(loss).__name__!r}"
    spec = network.spec
    for name in spec.order:
        activation = network.activations[name]
        if network.parameters[name].alpha is not None:
            return f"layer {name!r} has a learned alpha, which the fast step does not update"
        if name == spec.output_name:
            continue
        if type(activation) not in HIDDEN_KERNELS:
            return f"hidden layer {name!r} uses {activation.name}, which the fast step lacks"
    output = network.activations[spec.output_name]
    if loss.name in LOGIT_OUTPUTS:
        if type(output) is not LOGIT_OUTPUTS[loss.name]:
            return f"{loss.name} needs its own output activation, not {output.name}"
    elif loss.name not in ACTIVATION_LOSSES or type(output) not in HIDDEN_KERNELS:
        return f"the fast step has no output error for {loss.name} on a {output.name} output"
    if not isinstance(optimizer, Optimizer):
        return "the optimizer is not one of the engine's"
    return optimizer_problem(optimizer, layer_blocks(network))


def layer_blocks(network: Network) -> list[Block]:
    """Return where each layer's [W; b] block lies in the flat vectors, in the network's order."""
    spec = network.spec
    blocks = []
    start = 0
    for name in spec.order:
        layer = spec.layer(name)
        block = Block(name, start, spec.fan_in(name), layer.units, layer.bias)
        blocks.append(block)
        start = block.stop
    return blocks
