#!/usr/bin/env python3
"""PyTorch goldens for instanceNorm1d and instanceNorm3d (and instanceNorm2d on one unbatched sample) (ops/norm-group.ts: instanceNorm2d's kernel
under nn.InstanceNorm1d's and nn.InstanceNorm3d's names and rank checks), batched and unbatched
(the modules unsqueeze one sample to a batch of one), affine or not, on their own statistics, on
running statistics at inference, and in training with trackRunningStats (the input's statistics).

Writes test/fixtures/operators/instance_norm_nd.json in scripts/operator_goldens.py's format
(test/ops/golden-cases.ts reads every file there; test/ops/goldens.test.ts checks them, and
test/ops/vjp-adjoint.test.ts takes them as the ops' VJP instances). Outputs are the modules'.

Run: /usr/bin/python3 scripts/goldens_instance_norm_nd.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "instance_norm_nd.json"
torch.manual_seed(2027)
CASES = []


def rnd(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).to(torch.float32)


def case(name, op, module, attrs, x, training=False):
    """The module's output for x; its affine parameters and running statistics as the op's weights."""
    with torch.no_grad():
        if module.affine:
            module.weight.copy_(rnd(module.num_features, scale=0.5, shift=1))
            module.bias.copy_(rnd(module.num_features))
        if module.track_running_stats:
            module.running_mean.copy_(rnd(module.num_features))
            module.running_var.copy_(rnd(module.num_features).abs() + 0.5)
        weights = {}
        if module.affine:
            weights.update(weight=module.weight.clone(), bias=module.bias.clone())
        if module.track_running_stats:
            weights.update(runningMean=module.running_mean.clone(), runningVar=module.running_var.clone())
        module.train(training)
        y = module(x)
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(x)], "weights": {k: enc(v) for k, v in weights.items()}, "outputs": [enc(y)],
    })


def main():
    x = rnd(2, 3, 9, scale=2, shift=1)
    case("instanceNorm1d [2,3,9] affine=false", "instanceNorm1d", nn.InstanceNorm1d(3), {}, x)
    case("instanceNorm1d [2,3,9] affine=true eps=1e-3", "instanceNorm1d", nn.InstanceNorm1d(3, eps=1e-3, affine=True), {"affine": True, "eps": 1e-3}, x)
    case("instanceNorm1d unbatched (C, L) [3,9] affine=true (a batch of one)", "instanceNorm1d", nn.InstanceNorm1d(3, affine=True), {"affine": True, "numFeatures": 3}, x[0])
    case("instanceNorm1d [2,3,9] trackRunningStats=true at inference (running statistics)", "instanceNorm1d",
         nn.InstanceNorm1d(3, affine=True, track_running_stats=True), {"affine": True, "trackRunningStats": True}, x)
    case("instanceNorm1d unbatched [3,9] trackRunningStats=true in training (the input's statistics)", "instanceNorm1d",
         nn.InstanceNorm1d(3, track_running_stats=True), {"trackRunningStats": True}, x[1], training=True)
    x5 = rnd(2, 3, 2, 3, 4, scale=2, shift=-1)
    case("instanceNorm3d [2,3,2,3,4] affine=false", "instanceNorm3d", nn.InstanceNorm3d(3), {}, x5)
    case("instanceNorm3d [2,3,2,3,4] affine=true", "instanceNorm3d", nn.InstanceNorm3d(3, affine=True), {"affine": True}, x5)
    case("instanceNorm3d unbatched (C, D, H, W) [3,2,3,4] affine=true eps=1e-2", "instanceNorm3d", nn.InstanceNorm3d(3, eps=1e-2, affine=True), {"affine": True, "eps": 1e-2}, x5[1])
    case("instanceNorm3d [2,3,2,3,4] trackRunningStats=true at inference (running statistics)", "instanceNorm3d",
         nn.InstanceNorm3d(3, affine=True, track_running_stats=True), {"affine": True, "trackRunningStats": True}, x5)
    # nn.InstanceNorm2d on a 3-D tensor: one unbatched sample (C, H, W), each channel over H·W (drawn
    # last so the cases above keep their values)
    x3 = rnd(3, 4, 5, scale=2, shift=1)
    case("instanceNorm2d unbatched (C, H, W) [3,4,5] affine=true (a batch of one, not N, C, L)", "instanceNorm2d", nn.InstanceNorm2d(3, affine=True), {"affine": True, "numFeatures": 3}, x3)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
