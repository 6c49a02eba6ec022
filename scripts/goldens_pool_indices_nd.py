#!/usr/bin/env python3
"""PyTorch goldens for max pooling's indices over 1 and 3 axes and for max unpooling there
(src/ops/pool-nd.ts maxPool1d/3d returnIndices, src/ops/pool-unpool-nd.ts maxUnpool1d/3d):
F.max_pool1d/3d(return_indices=True) with padding, dilation, ceil_mode, ties (values on a coarse
grid) and −∞; NaN windows; F.max_unpool1d/3d of those values and indices (output_size too);
autograd's input gradients of both. And torch.onnx's export of nn.MaxPool1d/3d(return_indices=True)
at opsets 13 and 17 (a MaxPool's Indices, over the whole tensor, minus a 1-wide MaxPool's sliced at
each plane's first element: PyTorch's plane offsets), no weights.

Writes
  test/fixtures/operators/pool_indices_nd.json  cases (values and indices as float; read by
                                                test/ops/goldens.test.ts) and edges: NaN and −∞
                                                inputs, written as the strings "nan", "-inf" (read by
                                                test/ops/pool-indices-nd.test.ts)
  test/fixtures/vjp/pool_indices_nd.json        autograd's input gradients (read by test/ops/vjp.test.ts)
  test/fixtures/onnx-nd/maxpool_indices_{1d,3d}_op{13,17}.onnx and .json (input, values, PyTorch's
                                                indices; read by test/graph/onnx-maxpool-indices-nd.test.ts)

Run: /usr/bin/python3 scripts/goldens_pool_indices_nd.py
"""
import io
import json
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(5101)
GRADS = torch.Generator().manual_seed(5102)
PICK = torch.Generator().manual_seed(5103)
CASES, VJPS, EDGES = [], [], []
POOL = {1: F.max_pool1d, 3: F.max_pool3d}
UNPOOL = {1: F.max_unpool1d, 3: F.max_unpool3d}


def attrs_of(k, s, p, d, ceil):
    return {"kernelSize": k, "stride": s, "padding": p, "dilation": d, "ceilMode": ceil, "returnIndices": True}


def pool_case(name, x, k, s, p=0, d=1, ceil=False):
    """Values and plane indices; autograd's input gradient through the values (the indices none)."""
    rank = x.dim() - 2
    attrs = attrs_of(k, s, p, d, ceil)
    y, idx = POOL[rank](x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    CASES.append({"name": name, "op": f"maxPool{rank}d", "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(y), enc(idx.float())]})
    xg = x.detach().clone().requires_grad_(True)
    out = POOL[rank](xg, k, s, p, d, ceil_mode=ceil)
    g = torch.randn(out.shape, generator=GRADS)
    (gx,) = torch.autograd.grad(out, xg, g)
    VJPS.append({"name": name, "op": f"maxPool{rank}d", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                 "gradOutputs": [enc(g), None], "gradInputs": [enc(gx)]})
    return y, idx


def unpool_case(name, x, k, s, p=0, output_size=None, vjp=True):
    """maxPool's values and indices of x put back by max_unpool (windows that do not overlap: no index twice)."""
    rank = x.dim() - 2
    v, i = POOL[rank](x, k, s, p, return_indices=True)
    attrs = {"kernelSize": k, "stride": s, "padding": p, **({"outputSize": output_size} if output_size is not None else {})}
    y = UNPOOL[rank](v, i, k, s, p, output_size=output_size)
    CASES.append({"name": name, "op": f"maxUnpool{rank}d", "attributes": attrs, "inputs": [enc(v), enc(i.float())], "outputs": [enc(y)]})
    if vjp:
        vg = v.detach().clone().requires_grad_(True)
        out = UNPOOL[rank](vg, i, k, s, p, output_size=output_size)
        g = torch.randn(out.shape, generator=GRADS)
        (gv,) = torch.autograd.grad(out, vg, g)
        VJPS.append({"name": name, "op": f"maxUnpool{rank}d", "attributes": attrs, "training": False, "inputs": [enc(v), enc(i.float())], "weights": {},
                     "gradOutputs": [enc(g)], "gradInputs": [enc(gv), None]})


def grid(*shape):
    """Integers in [−2, 2]: windows full of ties."""
    return torch.randint(-2, 3, shape, generator=PICK).to(torch.float32)


# hand-checkable: 1-D [1, 5, 2, 8, 3, 0] k=2 → values [5, 8, 3] at [1, 3, 4]; ties keep the first
pool_case("maxPool1d [1,1,6] k=2 s=2 hand-worked: [5, 8, 3] at [1, 3, 4]", torch.tensor([[[1.0, 5, 2, 8, 3, 0]]]), 2, 2)
pool_case("maxPool1d [1,1,6] k=3 s=1 ties [2, 2, 1, 2, 2, 0]: the first of equal maxima", torch.tensor([[[2.0, 2, 1, 2, 2, 0]]]), 3, 1)
# 3-D 2×2×2 of 0…7 with 7 moved to the front: k=2 → value 7 at offset 0; k=(1,2,2) → per slice
x = torch.arange(8.0).view(1, 1, 2, 2, 2)
x[0, 0, 0, 0, 0], x[0, 0, 1, 1, 1] = 7.0, 0.0
pool_case("maxPool3d [1,1,2,2,2] k=2 hand-worked: 7 at t·H·W + h·W + w = 0", x, 2, 2)
pool_case("maxPool3d [1,1,2,2,2] k=(1,2,2): slice 0's 7 at 0, slice 1's 6 at 1·4 + 1·2 + 0 = 6", x, (1, 2, 2), (1, 2, 2))

# ties across planes and batch, padding, dilation, ceil mode
pool_case("maxPool1d [2,3,11] k=3 s=2 p=1 ties", grid(2, 3, 11), 3, 2, 1)
pool_case("maxPool1d [1,2,13] k=3 s=2 d=2 ceil", rnd(1, 2, 13), 3, 2, 0, 2, True)
pool_case("maxPool1d [1,2,10] k=4 s=3 p=2 d=1 ceil ties", grid(1, 2, 10), 4, 3, 2, 1, True)
pool_case("maxPool3d [1,2,4,5,6] k=2 s=2", rnd(1, 2, 4, 5, 6), 2, 2)
pool_case("maxPool3d [2,2,3,5,5] k=3 s=2 p=1 ties", grid(2, 2, 3, 5, 5), 3, 2, 1)
pool_case("maxPool3d [1,1,5,6,7] k=(2,3,3) s=(1,2,2) p=(1,1,0) d=(1,1,2) ceil", rnd(1, 1, 5, 6, 7), (2, 3, 3), (1, 2, 2), (1, 1, 0), (1, 1, 2), True)
pool_case("maxPool3d [1,2,4,4,4] k=(3,1,3) s=(2,1,2) p=(1,0,1) ceil ties", grid(1, 2, 4, 4, 4), (3, 1, 3), (2, 1, 2), (1, 0, 1), 1, True)

# random geometries PyTorch accepts
n = 0
while n < 8:
    rank = 1 if n % 2 == 0 else 3
    spatial = [int(v) for v in torch.randint(3, 9 if rank == 1 else 6, (rank,), generator=PICK)]
    k = [int(v) for v in torch.randint(1, 4, (rank,), generator=PICK)]
    s = [int(v) for v in torch.randint(1, 4, (rank,), generator=PICK)]
    d = [int(v) for v in torch.randint(1, 3, (rank,), generator=PICK)]
    p = [int(torch.randint(0, kk // 2 + 1, (1,), generator=PICK)) for kk in k]
    ceil = bool(torch.randint(0, 2, (1,), generator=PICK))
    x = grid(2, 2, *spatial) if n % 3 == 0 else rnd(2, 2, *spatial)
    try:
        POOL[rank](x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    except RuntimeError:
        continue
    pool_case(f"maxPool{rank}d random {list(x.shape)} k={k} s={s} p={p} d={d}{' ceil' if ceil else ''}{' ties' if n % 3 == 0 else ''}", x, k, s, p, d, ceil)
    n += 1

# NaN: every NaN takes the window, so its last one is the argmax (PyTorch's CPU kernel: val > maxval || isnan(val))
def edge(name, x, k, s, p=0, d=1, ceil=False):
    rank = x.dim() - 2
    y, idx = POOL[rank](x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    text = lambda t: ["nan" if math.isnan(v) else ("-inf" if v == -math.inf else v) for v in t.flatten().tolist()]
    EDGES.append({"name": name, "op": f"maxPool{rank}d", "attributes": attrs_of(k, s, p, d, ceil), "input": {"shape": list(x.shape), "data": text(x)},
                  "values": {"shape": list(y.shape), "data": text(y)}, "indices": [int(v) for v in idx.flatten().tolist()]})


nan = math.nan
edge("maxPool1d [1,1,6] k=6 [1, NaN, 2, NaN, 0.5, −1]: the last NaN, index 3", torch.tensor([[[1.0, nan, 2, nan, 0.5, -1]]]), 6, 6)
edge("maxPool3d [1,1,1,2,3] k=(1,2,3) [1, NaN, 3, NaN, 5, 0]: the last NaN, index 3", torch.tensor([1.0, nan, 3, nan, 5, 0]).view(1, 1, 1, 2, 3), (1, 2, 3), 1)
# −∞ (JSON has no infinities: the string "-inf"): a window of −∞ points at its first tap inside the input
edge("maxPool3d [1,1,2,2,2] of −∞ k=2 p=1: every window at its first tap inside the input, 0…7", torch.full((1, 1, 2, 2, 2), -math.inf), 2, 2, 1)
edge("maxPool1d [1,1,5] of −∞ k=3 s=2 p=1 ceil: first taps 0, 1, 3", torch.full((1, 1, 5), -math.inf), 3, 2, 1, 1, True)
xe = torch.tensor([2.0, 9, nan, 4, 4, 1, 0, nan]).view(1, 1, 2, 2, 2)
edge("maxPool3d [1,1,2,2,2] k=(1,2,1) s=1 p=(0,1,0): NaN windows in the padded height", xe, (1, 2, 1), 1, (0, 1, 0))

# max unpooling (non-overlapping windows: stride = kernel)
unpool_case("maxUnpool1d [1,2,4] k=2 of maxPool1d(2) on [1,2,8]", rnd(1, 2, 8), 2, 2)
unpool_case("maxUnpool1d [2,1,3] k=3 s=3 p=1 outputSize [8] of maxPool1d on [2,1,8]", rnd(2, 1, 8), 3, 3, 1, output_size=[8])
unpool_case("maxUnpool1d [1,1,3] k=2 s=2 outputSize [1,1,7] (input.size()) of maxPool1d on [1,1,7]", rnd(1, 1, 7), 2, 2, 0, output_size=[1, 1, 7])
unpool_case("maxUnpool3d [1,2,2,2,3] k=2 of maxPool3d(2) on [1,2,4,4,6]", rnd(1, 2, 4, 4, 6), 2, 2)
unpool_case("maxUnpool3d [1,1,2,3,3] k=(1,2,2) s=(2,2,2) outputSize (3,5,5) of maxPool3d on [1,1,3,5,5]", rnd(1, 1, 3, 5, 5), (1, 2, 2), (2, 2, 2), 0, output_size=[3, 5, 5])
unpool_case("maxUnpool3d [2,1,2,2,2] k=3 s=3 p=1 outputSize [2,1,4,5,4] of maxPool3d on [2,1,4,5,4]", rnd(2, 1, 4, 5, 4), 3, 3, 1, output_size=[2, 1, 4, 5, 4])

# one unbatched sample [C, …spatial], as PyTorch's modules take it (unbatched.ts): values, indices, unpooled
def unbatched(name, pool, unpool, attrs, unattrs, x):
    rank = x.dim() - 1
    v, i = pool(x)
    CASES.append({"name": f"maxPool{rank}d unbatched {name}", "op": f"maxPool{rank}d", "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(v), enc(i.float())]})
    CASES.append({"name": f"maxUnpool{rank}d unbatched {name}", "op": f"maxUnpool{rank}d", "attributes": unattrs, "inputs": [enc(v), enc(i.float())], "outputs": [enc(unpool(v, i))]})


unbatched("[2,9] k=3 s=3 p=1", nn.MaxPool1d(3, 3, 1, return_indices=True), nn.MaxUnpool1d(3, 3, 1),
          {"kernelSize": 3, "stride": 3, "padding": 1, "returnIndices": True}, {"kernelSize": 3, "stride": 3, "padding": 1}, grid(2, 9))
# H 5 pools to 2 (its last row dropped): the unpooled volume needs output_size (4, 5, 6) to hold every index
unbatched("[2,4,5,6] k=2 (outputSize [4,5,6])", nn.MaxPool3d(2, return_indices=True), lambda v, i: nn.MaxUnpool3d(2)(v, i, output_size=[4, 5, 6]),
          {"kernelSize": 2, "returnIndices": True}, {"kernelSize": 2, "outputSize": [4, 5, 6]}, rnd(2, 4, 5, 6))

HEADER = torch.__version__
(ROOT / "operators" / "pool_indices_nd.json").write_text(json.dumps({"torch": HEADER, "cases": CASES, "edges": EDGES}) + "\n")
(ROOT / "vjp" / "pool_indices_nd.json").write_text(json.dumps({"torch": HEADER, "cases": VJPS}) + "\n")
print(len(CASES), "cases,", len(EDGES), "edges,", len(VJPS), "gradients")


# torch.onnx's export of return_indices: a MaxPool with Indices, a 1-wide MaxPool's Indices sliced, Sub
class Pool(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return self.pool(x)


EXPORTS = {
    "1d": (nn.MaxPool1d(3, 2, 1, ceil_mode=True, return_indices=True), (2, 3, 10)),
    "3d": (nn.MaxPool3d((2, 3, 3), (1, 2, 2), (1, 1, 1), ceil_mode=True, return_indices=True), (2, 2, 3, 5, 6)),
}
for tag, (pool, shape) in EXPORTS.items():
    x = grid(*shape) if tag == "1d" else rnd(*shape)
    y, idx = pool(x)
    for opset in (13, 17):
        f = io.BytesIO()
        torch.onnx.export(Pool(pool), x, f, opset_version=opset, input_names=["x"], output_names=["y", "indices"])
        (ROOT / "onnx-nd" / f"maxpool_indices_{tag}_op{opset}.onnx").write_bytes(f.getvalue())
        golden = {"torch": HEADER, "module": repr(pool), "input": enc(x), "values": enc(y), "indices": [int(v) for v in idx.flatten().tolist()]}
        (ROOT / "onnx-nd" / f"maxpool_indices_{tag}_op{opset}.json").write_text(json.dumps(golden) + "\n")
print("ONNX:", ", ".join(f"maxpool_indices_{t}_op{o}" for t in EXPORTS for o in (13, 17)))
