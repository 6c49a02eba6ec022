#!/usr/bin/env python3
"""A convlens client in Python (requests, numpy): analyse a zoo model, a JSON spec and an ONNX file,
and run one operator on a NumPy array.

    pip install requests numpy        # or Debian: apt-get install python3-requests python3-numpy
    python3 examples/client.py [http://localhost:3000] [model.onnx]
"""
import io
import json
import sys
from pathlib import Path

import numpy as np
import requests

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:3000"
HERE = Path(__file__).resolve().parent


def check(response):
    """Errors are JSON with a stable code, the JSONPath of the field at fault, and the layer."""
    if response.status_code >= 400:
        e = response.json()["error"]  # {"error": {"code", "message", "path", "layer", ...}, "requestId"}
        where = ", ".join(f"{k} {e[k]}" for k in ("path", "layer") if e.get(k) is not None)
        raise SystemExit(f"{response.status_code} {e['code']}: {e['message']}" + (f" (at {where})" if where else ""))
    return response


# 1. A built-in model by name: totals under the default FLOP convention (2·MACs + element-wise).
report = check(requests.post(f"{BASE}/v1/analyze", params={"model": "resnet50"})).json()
t = report["totals"]
print(f"resnet50: {t['params']:,} params, {t['macs'] / 1e9:.3f} GMACs, complete={t['complete']}")

# 2. A JSON spec (PyTorch's attribute names in camelCase), with options.
spec = json.loads((HERE / "specs" / "conv-then-pool.json").read_text())
report = check(requests.post(f"{BASE}/v1/analyze", json={"spec": spec, "options": {"flops": "macs"}})).json()
for layer in report["layers"]:
    print(f"  {layer['name']:6} {layer['outputShape']}  receptive field {layer['receptiveField']['size']}")

# 3. An ONNX file (exported with torch.onnx.export), with the shape of a dynamic input.
if len(sys.argv) > 2:
    with open(sys.argv[2], "rb") as f:
        r = check(requests.post(f"{BASE}/v1/analyze", params={"input": "1,3,224,224"}, files={"model": f}))
    print(f"{sys.argv[2]}: {r.json()['totals']['params']:,} params")

# 4. One operator on a NumPy array, sent and returned as .npy.
x = np.random.default_rng(0).standard_normal((1, 3, 8, 8), dtype=np.float32)
buf = io.BytesIO()
np.save(buf, x)
r = check(
    requests.post(
        f"{BASE}/v1/operators/maxPool2d",
        files={"x": ("x.npy", buf.getvalue(), "application/x-npy")},
        data={"request": json.dumps({"attributes": {"kernelSize": 2}, "format": "json"})},
    )
)
y = r.json()["outputs"][0]
print(f"maxPool2d: {list(x.shape)} -> {y['shape']}")
assert np.allclose(np.array(y["data"], dtype=np.float32).reshape(y["shape"]), x.reshape(1, 3, 4, 2, 4, 2).max(axis=(3, 5)))
