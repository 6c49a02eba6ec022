"""Receptive fields of torchvision's video ResNets measured by autograd (the gradient footprint),
an independent check of convlens's per-axis algebra (test/analysis/receptive-nd-truth.test.ts).

As scripts/torchvision_truth.py does for 2-D nets: every conv keeps its geometry (kernel, stride,
padding, dilation) but reads and writes one channel with positive weights (the field does not
depend on widths), batch norms are identities, so no gradient path cancels; the input is all ones.
The footprint of the final map's central unit (the input voxels with a nonzero gradient) gives the
size per axis, the shift to the next unit the effective stride, and its start the effective padding.

    /usr/bin/python3 scripts/goldens_rf_nd.py > test/fixtures/rf-nd/video_resnets.json
"""
import json

import torch
import torch.nn as nn
import torchvision
import torchvision.models.video as tvv

# frames × height × width: larger than the final fields (109 × 219 × 219), so the central unit's
# footprint lies inside the input
FRAMES, SIZE = 128, 256


def single_channel(module):
    for name, child in module.named_children():
        if isinstance(child, nn.Conv3d):
            conv = nn.Conv3d(1, 1, child.kernel_size, child.stride, child.padding, child.dilation, bias=False)
            nn.init.constant_(conv.weight, 1.0 / conv.weight.numel())
            setattr(module, name, conv)
        elif isinstance(child, nn.BatchNorm3d):
            setattr(module, name, nn.Identity())
        else:
            single_channel(child)
    return module


def features(model):
    return nn.Sequential(model.stem, model.layer1, model.layer2, model.layer3, model.layer4)


def field(net):
    net = single_channel(net).double().eval()
    x = torch.ones(1, 1, FRAMES, SIZE, SIZE, dtype=torch.double, requires_grad=True)
    y = net(x)
    c = [s // 2 for s in y.shape[2:]]

    def region(at):
        g, = torch.autograd.grad(y[0, 0, at[0], at[1], at[2]], x, retain_graph=True)
        nz = (g[0, 0] != 0).nonzero()
        return [(nz[:, a].min().item(), nz[:, a].max().item()) for a in range(3)]

    r0 = region(c)
    r1 = region([v + 1 for v in c])
    stride = [r1[a][0] - r0[a][0] for a in range(3)]
    return {
        "output": list(y.shape),
        "size": [hi - lo + 1 for lo, hi in r0],
        "stride": stride,
        "padding": [c[a] * stride[a] - r0[a][0] for a in range(3)],
    }


def main():
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "frames": FRAMES, "size": SIZE, "models": {}}
    for name in ["r3d_18", "r2plus1d_18", "mc3_18"]:
        with torch.no_grad():
            model = getattr(tvv, name)()
        out["models"][name] = field(features(model))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
