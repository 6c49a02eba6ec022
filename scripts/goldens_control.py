#!/usr/bin/env python3
"""Goldens for ifSelect and loopContinue (src/ops/control.ts), the selections ONNX If/Loop inlining
writes: torch.where with a scalar condition, and the identity while the condition holds.
Writes test/fixtures/operators/control.json. Run: /usr/bin/python3 scripts/goldens_control.py
"""
import json
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "control.json"
torch.manual_seed(3)


def enc(t):
    t = torch.as_tensor(t).to(torch.float32)
    return {"shape": list(t.shape), "data": [float(np.float32(v)) for v in t.flatten().tolist()]}


def main():
    a, b, c, d = torch.randn(2, 3), torch.randn(2, 3), torch.randn(4), torch.randn(4)
    cases = []
    for cond in (1.0, 0.0):
        cond_t = torch.tensor(cond)
        outs = [torch.where(cond_t != 0, a, b), torch.where(cond_t != 0, c, d)]
        cases.append({"name": f"ifSelect cond={int(cond)} two outputs (torch.where, scalar condition)", "op": "ifSelect", "attributes": {"outputs": 2},
                      "inputs": [enc(cond_t.reshape(1)), enc(a), enc(c), enc(b), enc(d)], "outputs": [enc(o) for o in outs]})
    cases.append({"name": "loopContinue cond=1 passes its values on", "op": "loopContinue", "attributes": {"outputs": 1, "iteration": 0, "tripCount": 3},
                  "inputs": [enc(torch.ones(1)), enc(a)], "outputs": [enc(a)]})
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")
    print(len(cases), "cases →", OUT)


if __name__ == "__main__":
    main()
