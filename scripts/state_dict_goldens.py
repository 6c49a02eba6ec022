#!/usr/bin/env python3
"""Weights given by their PyTorch state_dict names (src/graph/given-weights.ts), from PyTorch.

Writes
  test/fixtures/state-dicts/nets.json            small modules named as a spec names its layers,
      each with its spec, an input, its whole state_dict (BN statistics randomised and
      num_batches_tracked 7, as a trained model carries them) and PyTorch's output in eval mode:
        bn        conv1 (no bias) → bn1 → relu → layer_scale (a bare [C, 1, 1] parameter, as
                  ConvNeXt's CNBlock holds it) → flatten → fc
        tokens    class_token → pos_embedding (ViT's) → attn, an nn.MultiheadAttention whose
                  state_dict has in_proj_weight and out_proj.weight (a module inside the op)
  test/fixtures/torchvision/state-dict-keys.json.gz   for each zoo model torchvision has (the 92 of
      torchvision_truth.py's MODELS and VIDEO and the 3 video ResNets), its state_dict's keys and
      shapes, with the auxiliary heads the zoo builds (inception_v3's AuxLogits, the fcn_* and
      deeplabv3_* aux_classifier) and without those it leaves out (googlenet's aux1/aux2)

Run: /usr/bin/python3 scripts/state_dict_goldens.py   (Debian python3-torch, python3-torchvision)
     /usr/bin/python3 scripts/state_dict_goldens.py swin_v2_t …   (only those models' keys, updated in
     the existing file; nets.json is left as it is)
"""
import gzip
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models.video as tvv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torchvision_truth import MODELS, VIDEO  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"


def tensor(t):
    t = t.detach().float()
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


class Bn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.layer_scale = nn.Parameter(torch.rand(4, 1, 1) + 0.5)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.layer_scale * self.relu(self.bn1(self.conv1(x))), 1))


BN_SPEC = {
    "name": "bn",
    "inputs": [{"name": "x", "shape": [1, 3, 4, 4]}],
    "layers": [
        {"name": "conv1", "op": "conv2d", "outChannels": 4, "kernelSize": 3, "bias": False},
        {"name": "bn1", "op": "batchNorm2d"},
        {"name": "relu", "op": "relu"},
        {"name": "layer_scale", "op": "layerScale"},
        {"name": "flatten", "op": "flatten"},
        {"name": "fc", "op": "linear", "outFeatures": 5},
    ],
}


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.class_token = nn.Parameter(torch.randn(1, 1, 8))
        self.pos_embedding = nn.Parameter(torch.randn(1, 5, 8))
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        return self.attn(x, x, x, need_weights=False)[0]


TOKENS_SPEC = {
    "name": "tokens",
    "inputs": [{"name": "x", "shape": [1, 4, 8]}],
    "layers": [
        {"name": "class_token", "op": "classToken"},
        {"name": "pos_embedding", "op": "positionEmbedding"},
        {"name": "attn", "op": "multiHeadAttention", "numHeads": 2},
    ],
}


def net(module, spec, shape):
    m = module.eval()
    with torch.no_grad():
        for b in m.modules():
            if isinstance(b, nn.BatchNorm2d):
                b.running_mean.copy_(torch.randn(b.num_features) * 0.5)
                b.running_var.copy_(torch.rand(b.num_features) + 0.5)
                b.weight.copy_(torch.rand(b.num_features) + 0.5)
                b.bias.copy_(torch.randn(b.num_features) * 0.5)
                b.num_batches_tracked.fill_(7)
        x = torch.randn(*shape)
        y = m(x)
    return {"spec": spec, "input": tensor(x), "stateDict": {k: tensor(v) for k, v in m.state_dict().items()}, "output": tensor(y)}


# zoo name → (constructor, keyword arguments giving the modules the zoo builds): every zoo model with a
# torchvision builder, as torchvision_truth.py builds it (the same list, so a model added there is here)
TORCHVISION = {
    **{n: (ctor, kw) for n, (ctor, _, kw) in MODELS.items()},
    **{n: (ctor, {}) for n, (ctor, _, _) in VIDEO.items()},
    "r3d_18": (tvv.r3d_18, {}),
    "mc3_18": (tvv.mc3_18, {}),
    "r2plus1d_18": (tvv.r2plus1d_18, {}),
}


def main():
    """With model names as arguments, writes only those models' keys into the existing keys file."""
    only = set(sys.argv[1:])
    unknown = only - set(TORCHVISION)
    if unknown:
        sys.exit(f"not in TORCHVISION: {sorted(unknown)}")
    path = ROOT / "torchvision" / "state-dict-keys.json.gz"
    keys = {}
    if only:
        keys = json.loads(gzip.decompress(path.read_bytes()))
    else:
        torch.manual_seed(0)
        nets = {"bn": net(Bn(), BN_SPEC, [1, 3, 4, 4]), "tokens": net(Tokens(), TOKENS_SPEC, [1, 4, 8])}
        out = ROOT / "state-dicts"
        out.mkdir(exist_ok=True)
        (out / "nets.json").write_text(json.dumps(nets) + "\n")
    for name, (build, kw) in TORCHVISION.items():
        if only and name not in only:
            continue
        model = build(weights=None, **kw)
        keys[name] = [[k, list(v.shape)] for k, v in model.state_dict().items()]
        del model
    text = json.dumps(keys, separators=(",", ":")).encode()
    # mtime 0: the same bytes from the same keys
    path.write_bytes(gzip.compress(text, 9, mtime=0))
    print({k: len(v) for k, v in keys.items() if not only or k in only})


if __name__ == "__main__":
    main()
