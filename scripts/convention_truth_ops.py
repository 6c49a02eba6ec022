#!/usr/bin/env python3
"""Ground truth for the convention presets' rules on the newer operator families, op by op: one small
PyTorch model (GroupNorm, InstanceNorm2d with affine, PReLU, ELU, GELU, LogSoftmax, Softplus, Tanh,
LayerNorm on 1×8×4×4, each a module named as the spec layer in test/conventions/ops-truth.test.ts),
and an nn.MultiheadAttention(8, 2, batch_first=True) called positionally on the 16 tokens of a
1×8×4×4 map, counted by thop, ptflops, fvcore, torchinfo, calflops and onnx-tool exactly as
scripts/convention_truth.py runs them (same tool checkouts, same per-module attribution).

  /usr/bin/python3 scripts/convention_truth_ops.py --tools /tmp/tools

Writes test/fixtures/conventions/ops.json. thop's MultiheadAttention hook needs torch >= 2.0 and
onnx export of nn.MultiheadAttention needs the Python path (gradients on), both as in the main script.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convention_truth as ct  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

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


def measure(model, x):
    out = {}
    t, layers = ct.run_thop(model, x)
    out["thop"] = {"total": t, "layers": layers}
    t, layers = ct.run_ptflops(model, x)
    out["ptflops"] = {"total": t, "layers": layers}
    t, layers = ct.run_fvcore(model, x)
    out["fvcore"] = {"total": t, "layers": layers}
    t, layers = ct.run_torchinfo(model, x)
    out["torchinfo"] = {"total": t, "layers": layers}
    (f, fl), (m, ml) = ct.run_calflops(model, x)
    out["calflops"] = {"total": f, "layers": fl}
    out["calflops-macs"] = {"total": m, "layers": ml}
    t, layers, by_op, shape_arithmetic = ct.run_onnx_tool(model, x)
    out["onnx-tool"] = {"total": t, "layers": layers, "byOpType": by_op, "shapeArithmetic": shape_arithmetic}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", required=True)
    args = ap.parse_args()
    ct.prepare_imports(args.tools)
    torch.set_grad_enabled(True)
    torch.manual_seed(0)
    x = torch.ones(1, 8, 4, 4)
    out = {"torch": torch.__version__, "models": {"ops": measure(Ops().eval(), x), "attention": measure(Attention().eval(), x)}}
    OUT.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print({k: {t: v["total"] for t, v in m.items()} for k, m in out["models"].items()})


if __name__ == "__main__":
    main()
