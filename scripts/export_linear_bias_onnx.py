#!/usr/bin/env python3
"""nn.Linear on inputs of rank 3 and 4, as torch.onnx.export writes them (MatMul by the weight, then
an Add of the bias; a Gemm for a 2-D input), with what ptflops prints for the module (both
backends, run from source as scripts/convention_truth.py runs them).

  tokens   a 4×4 stride-4 conv patch embedding (3 → 32) of a 1×3×32×32 image, flattened to 64 tokens
           (N, T, C); an MLP on the tokens, Linear(32, 64), ReLU, Linear(64, 32) (3-D inputs:
           MatMul + Add); the tokens viewed back as an N, H, W, C map and Linear(32, 16) on it
           (4-D: MatMul + Add); the first position's 16 features, Linear(16, 10) (2-D: Gemm)

Truth (test/fixtures/onnx/linear-bias/truth.json): PyTorch's parameter count, and the totals of
  ptflops       get_model_complexity_info(backend='pytorch'): the linear hook counts in·out + out per
                row, the bias included, whatever the rank
  ptflops-aten  get_model_complexity_info(backend='aten'): aten::linear is addmm (bias counted) on
                2-D and contiguous 3-D inputs, matmul + add_ (bias not counted) on the 4-D one
Before convlens paired the MatMul with its Add, both presets left the 3-D linears' biases out (the
4-D one's too for ptflops). Weights stripped (only shapes matter).

Run: /usr/bin/python3 scripts/export_linear_bias_onnx.py --tools /tmp/tools   (folders as
scripts/convention_truth.py names them: sovrasov+flops-counter.pytorch)
"""
import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn

import convention_truth as ct
from golden_kit import strip_weights

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "linear-bias"


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(3, 32, 4, 4)
        self.fc1 = nn.Linear(32, 64)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(64, 32)
        self.proj = nn.Linear(32, 16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        t = self.embed(x)
        n, c, h, w = t.shape
        t = t.flatten(2).transpose(1, 2).contiguous()  # N, T, C (a transposed view would be matmul + add_ in aten)
        t = self.fc2(self.act(self.fc1(t)))        # 3-D
        m = self.proj(t.reshape(n, h, w, c))       # 4-D, channels last
        return self.head(m[:, 0, 0])               # 2-D


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", required=True)
    args = ap.parse_args()
    ct.prepare_imports(args.tools)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = Tokens().eval()
    x = torch.rand(1, 3, 32, 32)
    path = OUT / "tokens.onnx"
    torch.onnx.export(model, x, str(path), opset_version=17, input_names=["input"], output_names=["logits"])
    strip_weights(path)
    truth = {
        "torch": torch.__version__,
        "ptflopsCommit": ct.revision(args.tools, ct.REPOS["ptflops"]),
        "input": list(x.shape),
        "params": sum(p.numel() for p in model.parameters()),
        "ptflops": ct.run_ptflops(model, x)[0],
        "ptflops-aten": ct.run_ptflops_aten(model, x)[0],
    }
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(truth)


if __name__ == "__main__":
    main()
