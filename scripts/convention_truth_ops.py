#!/usr/bin/env python3
"""Ground truth for the convention presets' rules on the newer operator families, op by op: one small
PyTorch model (GroupNorm, InstanceNorm2d with affine, PReLU, ELU, GELU, LogSoftmax, Softplus, Tanh,
LayerNorm on 1×8×4×4, each a module named as the spec layer in test/conventions/ops-truth.test.ts),
and an nn.MultiheadAttention(8, 2, batch_first=True) called positionally on the 16 tokens of a
1×8×4×4 map, counted by thop, ptflops (the attention model: both backends), fvcore, torchinfo, calflops and onnx-tool exactly as
scripts/convention_truth.py runs them (same tool checkouts, same per-module attribution).
And resampling over 1 and 3 axes (`resample1d`, `resample3d`: nn.Upsample nearest, linear and
trilinear on 3-D and 5-D tensors, by scale, non-integer scale and size, and an F.interpolate inside
a module of no hook, `interp`; `nearest_exact1d`, `nearest_exact3d`: mode nearest-exact, which
torch 1.13 cannot export, so onnx-tool records the export's error), counted by those tools and
ptflops' aten backend too. And the same over 2 axes (`resample2d`: nn.Upsample bilinear ×1.5, nearest
to an int size, bicubic ×2 align_corners, and `interp` bilinear to a size tuple, on 1×2×5×5;
`nearest_exact2d`: nearest-exact on 1×2×5×5, which fvcore traces to aten::_upsample_nearest_exact2d).

  /usr/bin/python3 scripts/convention_truth_ops.py --tools /tmp/tools               # every model
  /usr/bin/python3 scripts/convention_truth_ops.py --tools /tmp/tools resample1d    # only these, merged
  /usr/bin/python3 scripts/convention_truth_ops.py --tools /tmp/tools resample2d nearest_exact2d

Writes test/fixtures/conventions/ops.json. thop's MultiheadAttention hook needs torch >= 2.0 and
onnx export of nn.MultiheadAttention needs the Python path (gradients on), both as in the main script.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convention_truth as ct  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT = ct.ROOT / "test" / "fixtures" / "conventions" / "ops.json"


class Ops(nn.Module):
    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(4, 8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.prelu = nn.PReLU(8)
        self.elu = nn.ELU()
        self.gelu = nn.GELU()
        self.ls = nn.LogSoftmax(dim=1)
        self.sp = nn.Softplus()
        self.tanh = nn.Tanh()
        self.ln = nn.LayerNorm(4)

    def forward(self, x):
        return self.ln(self.tanh(self.sp(self.ls(self.gelu(self.elu(self.prelu(self.inorm(self.gn(x)))))))))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        t = x.flatten(2).transpose(1, 2)
        return self.mha(t, t, t, need_weights=False)[0]


class LinearStrided(nn.Module):
    """nn.Linear on 3-D views, 1×4×5 in: fc1 on x.transpose(1, 2) (1×5×4, strides (20, 1, 5): not
    contiguous, so aten::linear is matmul + add_), fc2 on fc1's output (contiguous: addmm), fc3 on that
    transposed (0, 1) (5×1×6: contiguous by torch's rule, which skips size-1 dims: addmm)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 6)
        self.fc3 = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc3(self.fc2(self.fc1(x.transpose(1, 2))).transpose(0, 1))


class Interp(nn.Module):
    """F.interpolate in a module no tool has a hook for: what each tool sees of a functional call, attributed to a name."""

    def __init__(self, **kw):
        super().__init__()
        self.kw = kw

    def forward(self, x):
        return F.interpolate(x, **self.kw)


def anchored(module):
    """An unused parameter: calflops' calculate_flops reads the device of the model's first parameter
    (calflops/flops_counter.py l. 121) and raises StopIteration on a model without one. It costs nothing."""
    module.anchor = nn.Parameter(torch.zeros(1))
    return module


class Resample1d(nn.Module):
    """On 1×2×5: linear ×1.5 (→ 7), nearest to size 12, linear ×2 align_corners (→ 24), F.interpolate nearest ×2 (→ 48)."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.Upsample(scale_factor=1.5, mode="linear")
        self.up2 = nn.Upsample(size=12, mode="nearest")
        self.up3 = nn.Upsample(scale_factor=2, mode="linear", align_corners=True)
        self.interp = Interp(scale_factor=2, mode="nearest")

    def forward(self, x):
        return self.interp(self.up3(self.up2(self.up1(x))))


class Resample3d(nn.Module):
    """On 1×2×3×2×2: trilinear ×1.5 (→ 4×3×3), nearest to size (4, 6, 6), trilinear ×2 align_corners, F.interpolate trilinear to size (9, 13, 13)."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.Upsample(scale_factor=1.5, mode="trilinear")
        self.up2 = nn.Upsample(size=(4, 6, 6), mode="nearest")
        self.up3 = nn.Upsample(scale_factor=2, mode="trilinear", align_corners=True)
        self.interp = Interp(size=(9, 13, 13), mode="trilinear")

    def forward(self, x):
        return self.interp(self.up3(self.up2(self.up1(x))))


class Resample2d(nn.Module):
    """On 1×2×5×5: bilinear ×1.5 (→ 7×7: ptflops' F.interpolate counts 50·1.5² = 112.5, a float), nearest to size 12
    (an int: calflops counts 12), bicubic ×2 align_corners (→ 24×24), F.interpolate bilinear to size (30, 28)."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.Upsample(scale_factor=1.5, mode="bilinear")
        self.up2 = nn.Upsample(size=12, mode="nearest")
        self.up3 = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)
        self.interp = Interp(size=(30, 28), mode="bilinear")

    def forward(self, x):
        return self.interp(self.up3(self.up2(self.up1(x))))


class NearestExact(nn.Module):
    """nearest-exact ×1.5, then F.interpolate nearest-exact ×2 (torch 1.13 cannot export either to ONNX)."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.Upsample(scale_factor=1.5, mode="nearest-exact")
        self.interp = Interp(scale_factor=2, mode="nearest-exact")

    def forward(self, x):
        return self.interp(self.up1(x))


measure = ct.measure  # every tool on one model (convention_truth.py), as convention_truth_cases.py and _mha.py call it


def main():
    args = ct.start()
    torch.manual_seed(0)
    x = torch.ones(1, 8, 4, 4)
    models = {
        "ops": lambda: measure(Ops().eval(), x),
        "attention": lambda: measure(Attention().eval(), x, aten=True),
        "resample1d": lambda: measure(anchored(Resample1d()).eval(), torch.ones(1, 2, 5), aten=True),
        "resample3d": lambda: measure(anchored(Resample3d()).eval(), torch.ones(1, 2, 3, 2, 2), aten=True),
        "nearest_exact1d": lambda: measure(anchored(NearestExact()).eval(), torch.ones(1, 2, 5), aten=True),
        "nearest_exact3d": lambda: measure(anchored(NearestExact()).eval(), torch.ones(1, 2, 3, 2, 2), aten=True),
        "resample2d": lambda: measure(anchored(Resample2d()).eval(), torch.ones(1, 2, 5, 5), aten=True),
        "nearest_exact2d": lambda: measure(anchored(NearestExact()).eval(), torch.ones(1, 2, 5, 5), aten=True),
    }
    out = json.loads(OUT.read_text()) if args.models and OUT.exists() else {"torch": torch.__version__, "models": {}}
    for name, run in models.items():
        if args.models and name not in args.models:
            continue
        out["models"][name] = run()
    ct.write(OUT, out)
    print({k: {t: v["total"] for t, v in m.items()} for k, m in out["models"].items()})


if __name__ == "__main__":
    main()
