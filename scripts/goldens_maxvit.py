#!/usr/bin/env python3
"""PyTorch goldens for MaxViT (src/ops/relative-position-bias.ts, src/zoo/maxvit.ts).

1. relativePositionBias: the step of torchvision's RelativePositionalMultiHeadAttention between q·kᵀ
   and the softmax, y = scale·x + bias, the bias from the module's own get_relative_positional_bias()
   (square partitions: the module, its table drawn from N(0, 1)) or, for a wh×ww partition, from
   torchvision's _get_relative_position_index(wh, ww) and the table gathered as that method does.
   Writes test/fixtures/operators/maxvit.json and the input gradients (autograd) to
   test/fixtures/vjp/maxvit.json.
2. A reduced MaxVit (torchvision's class: stem 8, blocks of 8 and 16 channels with 2 and 1 layers,
   head_dim 4, partition 7, 10 classes, input 1×3×56×56: block maps 14 (4 windows; the grid's
   partitions 2 apart) and 7), every parameter and BN statistic drawn so that each matters; its
   state_dict under torchvision's own keys (the relative_position_index buffers too), its input
   and logits. Writes test/fixtures/networks/maxvit_tiny.json.

Run: nice -n 10 /usr/bin/python3 scripts/goldens_maxvit.py
"""
import json
from pathlib import Path

import torch
from torchvision.models.maxvit import MaxVit, RelativePositionalMultiHeadAttention, _get_relative_position_index

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
CONFIG = {"stem": 8, "channels": [8, 16], "layers": [2, 1], "headDim": 4, "partition": 7}
RES, CLASSES = 56, 10
torch.manual_seed(2026)
CASES = []
VJP = []


def bias_case(name, lead, heads, window, scale):
    wh, ww = window
    t = wh * ww
    if wh == ww:
        m = RelativePositionalMultiHeadAttention(heads * 4, 4, t)
        with torch.no_grad():
            m.relative_position_bias_table.normal_()
        table, index = m.relative_position_bias_table, m.relative_position_index
        bias = m.get_relative_positional_bias()[0]
    else:
        table = torch.randn((2 * wh - 1) * (2 * ww - 1), heads)
        index = _get_relative_position_index(wh, ww)
        bias = table[index.view(-1)].view(t, t, -1).permute(2, 0, 1)
    x = torch.randn(*lead, heads, t, t).requires_grad_()
    y = x * scale + bias
    attrs = {"window": [wh, ww], "scale": scale}
    w = {"relativePositionBiasTable": enc(table), "relativePositionIndex": enc(index.to(torch.float32))}
    CASES.append({"name": name, "op": "relativePositionBias", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": w, "outputs": [enc(y)]})
    g = torch.randn_like(y)
    y.backward(g)
    VJP.append({"name": name, "op": "relativePositionBias", "attributes": attrs, "inputs": [enc(x)], "weights": w, "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def network():
    m = MaxVit(input_size=(RES, RES), stem_channels=CONFIG["stem"], partition_size=CONFIG["partition"], block_channels=CONFIG["channels"],
               block_layers=CONFIG["layers"], head_dim=CONFIG["headDim"], stochastic_depth_prob=0.0, num_classes=CLASSES).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 1 or name.endswith("relative_position_bias_table"):
                p.normal_(0, 0.5)
                if name.endswith("weight"):
                    p.add_(1.0)
            else:
                p.normal_(0, 1.0 / p[0].numel() ** 0.5)
        for b in m.modules():
            if isinstance(b, torch.nn.BatchNorm2d):
                b.running_mean.normal_(0, 0.5)
                b.running_var.uniform_(0.5, 1.5)
                b.num_batches_tracked.fill_(7)
        x = torch.randn(1, 3, RES, RES)
        y = m(x)
    state = m.state_dict()
    out = ROOT / "networks" / "maxvit_tiny.json"
    out.write_text(json.dumps({"torch": torch.__version__, "config": CONFIG, "resolution": RES, "numClasses": CLASSES, "input": enc(x), "output": enc(y),
                               "stateDict": {k: enc(v.to(torch.float32)) for k, v in state.items()}}, separators=(",", ":")) + "\n")
    print(f"{len(state)} state_dict entries, {sum(v.numel() for v in state.values())} values → {out} ({out.stat().st_size} bytes)")


def main():
    bias_case("relativePositionBias x=[1,2,2,9,9] window=3 scale=0.25 (the module's bias)", (1, 2), 2, (3, 3), 0.25)
    bias_case("relativePositionBias x=[2,3,4,4] window=2 scale=1/sqrt(24)", (2,), 3, (2, 2), 24 ** -0.5)
    bias_case("relativePositionBias x=[1,1,2,6,6] window=[2,3] scale=1 (rectangular: _get_relative_position_index(2, 3))", (1, 1), 2, (2, 3), 1.0)
    (ROOT / "operators" / "maxvit.json").write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    (ROOT / "vjp" / "maxvit.json").write_text(json.dumps({"torch": torch.__version__, "cases": VJP}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases, {len(VJP)} VJP cases")
    network()


if __name__ == "__main__":
    main()
