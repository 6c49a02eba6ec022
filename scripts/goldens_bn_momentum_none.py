#!/usr/bin/env python3
"""PyTorch goldens for batchNorm1d, batchNorm2d and batchNorm3d with momentum null: PyTorch's
nn.BatchNorm*d(momentum=None), the cumulative moving average of the running statistics (in training
each batch updates them by the factor 1/num_batches_tracked, torch/nn/modules/batchnorm.py). The
forward output does not depend on momentum: at inference it reads the running statistics, in
training the batch's (biased variance); momentum only sets how training updates the running
statistics, which convlens never does (ops/norm.ts). So the outputs here are those of the same
modules with momentum 0.1; the script checks both that and the update PyTorch makes (after one
batch the running mean is the batch's mean, the running variance its unbiased variance).

Writes test/fixtures/operators/bn_momentum_none.json in scripts/operator_goldens.py's format
(test/ops/golden-cases.ts reads every file there; test/ops/goldens.test.ts checks them, and
test/ops/vjp-adjoint.test.ts takes them as the ops' VJP instances). Outputs are the modules'.

Run: /usr/bin/python3 scripts/goldens_bn_momentum_none.py
"""
import copy
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "bn_momentum_none.json"
torch.manual_seed(2028)
CASES = []


def rnd(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).to(torch.float32)


def case(name, op, module, x, training):
    """The module's output for x (momentum None); its affine parameters and running statistics as the op's weights."""
    assert module.momentum is None
    c = module.num_features
    with torch.no_grad():
        module.weight.copy_(rnd(c, scale=0.5, shift=1))
        module.bias.copy_(rnd(c))
        module.running_mean.copy_(rnd(c))
        module.running_var.copy_(rnd(c).abs() + 0.5)
        weights = {"weight": module.weight.clone(), "bias": module.bias.clone(), "runningMean": module.running_mean.clone(), "runningVar": module.running_var.clone()}
        # the same module with PyTorch's default momentum gives the same output: momentum is only the update's
        default = copy.deepcopy(module)
        default.momentum = 0.1
        module.train(training)
        default.train(training)
        y = module(x)
        assert torch.equal(y, default(x)), name
        if training:
            # the cumulative average after one batch: that batch's statistics (unbiased variance)
            dims = [d for d in range(x.dim()) if d != 1]
            assert int(module.num_batches_tracked) == 1
            assert torch.allclose(module.running_mean, x.mean(dims), atol=1e-6), name
            assert torch.allclose(module.running_var, x.var(dims, unbiased=True), atol=1e-5), name
    CASES.append({
        "name": name, "op": op, "attributes": {"momentum": None}, "training": training,
        "inputs": [enc(x)], "weights": {k: enc(v) for k, v in weights.items()}, "outputs": [enc(y)],
    })


def main():
    x2 = rnd(2, 3, 4, 5, scale=2, shift=1)
    case("batchNorm2d [2,3,4,5] momentum=null at inference (running statistics), as nn.BatchNorm2d(3, momentum=None).eval()", "batchNorm2d", nn.BatchNorm2d(3, momentum=None), x2, False)
    case("batchNorm2d [2,3,4,5] momentum=null in training (the batch's statistics), as nn.BatchNorm2d(3, momentum=None).train()", "batchNorm2d", nn.BatchNorm2d(3, momentum=None), x2, True)
    x1 = rnd(4, 3, scale=2, shift=-1)
    case("batchNorm1d [4,3] momentum=null at inference", "batchNorm1d", nn.BatchNorm1d(3, momentum=None), x1, False)
    case("batchNorm1d [4,3] momentum=null in training", "batchNorm1d", nn.BatchNorm1d(3, momentum=None), x1, True)
    xl = rnd(2, 3, 6, scale=2, shift=1)
    case("batchNorm1d [2,3,6] momentum=null in training", "batchNorm1d", nn.BatchNorm1d(3, momentum=None), xl, True)
    x5 = rnd(2, 3, 2, 3, 4, scale=2, shift=-1)
    case("batchNorm3d [2,3,2,3,4] momentum=null at inference", "batchNorm3d", nn.BatchNorm3d(3, momentum=None), x5, False)
    case("batchNorm3d [2,3,2,3,4] momentum=null in training", "batchNorm3d", nn.BatchNorm3d(3, momentum=None), x5, True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
