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


def footprint_boxes(run, shape):
    """Each output unit's input footprint per axis, by autograd (the receptive-field goldens): `run`
    maps an input batch to the last layer's output. Positive inputs (uniform in [0.5, 1.5)) and the
    callers' positive weights, so no gradient cancels: a unit's footprint (the input pixels of
    nonzero gradient, over every input channel) is what it reads. Batch row t holds output unit t
    on every axis (the last one where an axis is shorter), over every channel of the output; each
    axis's box is the footprint projected on it, [lo, hi], or None for a unit that reads no input
    pixel (all padding). Returns the output's spatial size and the boxes, per axis and unit.
    """
    with torch.no_grad():
        out = list(run(torch.ones(shape, dtype=torch.double)).shape[2:])
    rank, units = len(out), max(out)
    torch.manual_seed(0)
    x = (torch.rand([units] + list(shape[1:]), dtype=torch.double) + 0.5).requires_grad_(True)
    y = run(x)
    sel = torch.zeros_like(y)
    for t in range(units):
        sel[(t, slice(None)) + tuple(min(t, n - 1) for n in out)] = 1.0
    g, = torch.autograd.grad((y * sel).sum(), x)
    nz = (g != 0).any(1)
    boxes = []
    for a in range(rank):
        other = tuple(d for d in range(1, rank + 1) if d != a + 1)
        proj = nz.amax(dim=other) if other else nz
        boxes.append([[int(proj[t].nonzero().min()), int(proj[t].nonzero().max())] if proj[t].any() else None for t in range(out[a])])
    return out, boxes


def write_cases(draw, count=150):
    """The random goldens' command line, `[SEED] [N]` (seed 0, N = count when absent): draw(rng, name)
    returns a case or None (drawn again); the N cases, named `seed S case i`, as one JSON line on stdout."""
    import json, random, sys
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    count = int(sys.argv[2]) if len(sys.argv) > 2 else count
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        case = draw(rng, f'seed {seed} case {len(cases)}')
        if case is not None:
            cases.append(case)
    print(json.dumps({'torch': torch.__version__, 'seed': seed, 'cases': cases}, separators=(',', ':')))
