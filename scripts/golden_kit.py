"""What every golden-fixture script writes the same way: tensors as JSON and seeded random inputs.

Imported by the scripts beside it (`python3 scripts/<name>.py` puts scripts/ on sys.path).
"""
import numpy as np
import torch


def enc(t):
    """A tensor as {"shape", "data"}, every value rounded to float32 and written exactly (repr)."""
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}


def rnd(*shape, scale=1.0):
    """Standard normal values times `scale`, as float32 (from torch's seeded generator)."""
    return (torch.randn(*shape) * scale).to(torch.float32)


def strip_weights(path):
    """Initializers over 64 elements keep their dims and type but lose their data (fixtures whose numbers need only shapes)."""
    import onnx

    m = onnx.load(str(path))
    for t in m.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if n > 64:
            t.ClearField("raw_data")
            t.ClearField("float_data")
    onnx.save(m, str(path))
