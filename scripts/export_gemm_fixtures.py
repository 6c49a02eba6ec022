#!/usr/bin/env python3
"""ONNX Gemm nodes that are linear layers with α, β and the bias C in its allowed shapes, built
with onnx.helper (one Gemm over the graph input A [3, 5], B and C initializers with their data,
N = 4 outputs), and PyTorch's torch.addmm as the golden: addmm(C, A', B', beta=β, alpha=α) is
β·C + α·(A'·B'), ONNX's Gemm, C broadcast as NumPy broadcasts it.

  alpha_beta_b0      α 0.5, β 2, transB 0 (B [5, 4]), C [4]
  alpha_beta_b1      α 0.5, β 2, transB 1 (B [4, 5]: torch's Linear), C [4]
  c_one_b1           α 1, β 2, transB 1, C [1] (one bias value for every output)
  c_scalar_b0        α 0.5, β 1, transB 0, C [] (a scalar)
  c_row_b1           α 1, β 2, transB 1, C [1, 4]
  alpha_no_c_b0      α 0.5, transB 0, no C (opset 13 lets it be omitted)
  trans_a_b1         transA 1 (A given as [5, 3], read as Aᵀ), transB 1, C [4]
  c_per_row_b0       α 0.5, β 2, transB 0, C [3, 4] (one per row and output: a constant add after the linear layer)
  c_column_b1        β 2, transB 1, C [3, 1] (one per row)
  trans_a_c_per_row  transA 1, α 0.5, β 2, transB 0, C [3, 4]

Writes test/fixtures/onnx/gemm/<case>.onnx and truth.json: per case the attributes, B's and C's
shapes and element counts, and {input, output}. Run: /usr/bin/python3 scripts/export_gemm_fixtures.py
"""
import json
from pathlib import Path

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "gemm"
M, K, N = 3, 5, 4

CASES = {
    "alpha_beta_b0": dict(alpha=0.5, beta=2.0, transB=0, c=[N]),
    "alpha_beta_b1": dict(alpha=0.5, beta=2.0, transB=1, c=[N]),
    "c_one_b1": dict(alpha=1.0, beta=2.0, transB=1, c=[1]),
    "c_scalar_b0": dict(alpha=0.5, beta=1.0, transB=0, c=[]),
    "c_row_b1": dict(alpha=1.0, beta=2.0, transB=1, c=[1, N]),
    "alpha_no_c_b0": dict(alpha=0.5, beta=1.0, transB=0, c=None),
    "trans_a_b1": dict(alpha=1.0, beta=1.0, transB=1, c=[N], transA=1),
    "c_per_row_b0": dict(alpha=0.5, beta=2.0, transB=0, c=[M, N]),
    "c_column_b1": dict(alpha=1.0, beta=2.0, transB=1, c=[M, 1]),
    "trans_a_c_per_row": dict(alpha=0.5, beta=2.0, transB=0, c=[M, N], transA=1),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(3)
    a = torch.randn(M, K)
    truth = {"torch": torch.__version__, "onnx": onnx.__version__, "input": enc(a), "cases": {}}
    for name, case in CASES.items():
        b = torch.randn(N, K) if case["transB"] else torch.randn(K, N)
        c = torch.randn(tuple(case["c"])) if case["c"] is not None else None
        inits = [numpy_helper.from_array(b.numpy(), "B")] + ([numpy_helper.from_array(c.numpy(), "C")] if c is not None else [])
        attrs = {"alpha": case["alpha"], "beta": case["beta"], "transB": case["transB"], **({"transA": 1} if case.get("transA") else {})}
        # transA: the graph's A is [K, M], read as its transpose
        a_in = a.t().contiguous() if case.get("transA") else a
        node = helper.make_node("Gemm", ["A", "B"] + (["C"] if c is not None else []), ["Y"], name="gemm", **attrs)
        graph = helper.make_graph([node], name, [helper.make_tensor_value_info("A", TensorProto.FLOAT, list(a_in.shape))], [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [M, N])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="export_gemm_fixtures.py")
        onnx.checker.check_model(model)
        onnx.save(model, str(OUT / f"{name}.onnx"))
        bb = b.t() if case["transB"] else b
        y = torch.addmm(c if c is not None else torch.zeros(()), a, bb, beta=case["beta"], alpha=case["alpha"])
        truth["cases"][name] = {**attrs, **({"input": enc(a_in)} if case.get("transA") else {}), "B": {"shape": list(b.shape), "numel": b.numel()}, "C": {"shape": list(c.shape), "numel": c.numel()} if c is not None else None, "output": enc(y)}
        print(name, list(y.shape))
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
