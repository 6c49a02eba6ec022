#!/usr/bin/env python3
"""PyTorch goldens for the element-wise math, logic, index-arithmetic and reduction operators
(src/ops/math.ts, logic.ts, sequence.ts, reduction.ts, scatter.ts).

Writes test/fixtures/operators/math.json in the format of scripts/operator_goldens.py: each case
names the convlens operator and attributes, the inputs (rounded to float32 before PyTorch sees
them) and PyTorch's outputs. Inputs after the first of rank <= 1 are constants in
runOperator (they fold), so those cases also check the folding path.

Run: /usr/bin/python3 scripts/goldens_math.py
"""
import json
from pathlib import Path

import numpy as np
import torch

from golden_kit import rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "math.json"
torch.manual_seed(2026)
CASES = []


def enc(t):
    dtype = None if t.dtype.is_floating_point else ("bool" if t.dtype == torch.bool else str(t.dtype).replace("torch.", ""))
    t = t.detach().to(torch.float32).contiguous()
    w = {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}
    if dtype:
        w["dtype"] = dtype
    return w


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape)


def case(name, op, attrs, inputs, outputs):
    CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(t) for t in inputs], "outputs": [enc(t) for t in outputs]})


def main():
    # --- unary math
    x = rnd(2, 3, 4)
    pos = x.abs() + 0.1
    case("sqrt x=[2,3,4] positive", "sqrt", {}, [pos], [torch.sqrt(pos)])
    case("exp x=[2,3,4]", "exp", {}, [x], [torch.exp(x)])
    case("log x=[2,3,4] positive", "log", {}, [pos], [torch.log(pos)])
    case("neg x=[2,3,4]", "neg", {}, [x], [torch.neg(x)])
    case("abs x=[2,3,4]", "abs", {}, [x], [torch.abs(x)])
    away = torch.where(x.abs() < 0.2, torch.full_like(x, 0.5), x)
    case("reciprocal x=[2,3,4] away from 0", "reciprocal", {}, [away], [torch.reciprocal(away)])
    # fractional parts in [0.25, 0.75]: a step function is checked away from its steps (the VJP
    # dot-product test perturbs these inputs)
    y = (torch.randint(-4, 4, (2, 3, 4)) + 0.25 + 0.5 * torch.rand(2, 3, 4)).to(torch.float32)
    case("floor x=[2,3,4] scale 3", "floor", {}, [y], [torch.floor(y)])
    case("ceil x=[2,3,4] scale 3", "ceil", {}, [y], [torch.ceil(y)])

    # --- binary and variadic math with broadcasting
    e = rnd(2, 3, 4, scale=0.5)
    case("pow x=[2,3,4] positive, exponent=[2,3,4]", "pow", {}, [pos, e], [torch.pow(pos, e)])
    case("pow x=[2,3,4], scalar exponent 2 (a constant)", "pow", {}, [x, torch.tensor(2.0)], [torch.pow(x, 2.0)])
    e4 = torch.tensor([0.5, 1.0, 2.0, 3.0])
    case("pow x=[2,3,4] positive, exponent=[4] broadcast", "pow", {}, [pos, e4], [torch.pow(pos, e4)])
    # quotients a/b with fractional parts in [0.3, 0.7], away from the remainder's jumps
    b = torch.tensor([2.5, -3.0, 1.5, -1.75])
    a = ((torch.randint(-3, 3, (2, 3, 4)) + 0.3 + 0.4 * torch.rand(2, 3, 4)) * b).to(torch.float32)
    case("mod x=[2,3,4] by [4] mixed signs (remainder: divisor's sign)", "mod", {}, [a, b], [torch.remainder(a, b)])
    case("mod x=[2,3,4] by [4] mixed signs fmod (dividend's sign)", "mod", {"fmod": True}, [a, b], [torch.fmod(a, b)])
    bi = torch.tensor([3.0, -4.0, 5.0, -7.0])
    ai = ints(-20, 20, 3, 4).float()
    ai = torch.where(torch.remainder(ai, bi) == 0, ai + 1, ai)  # no exact multiples: the remainder jumps there
    case("mod integers [3,4] by [4] (ONNX int64 Mod)", "mod", {}, [ai, bi], [torch.remainder(ai, bi)])
    p, q = rnd(2, 3, 4), rnd(3, 1)
    case("minimum [2,3,4] and [3,1] broadcast", "minimum", {}, [p, q], [torch.minimum(p, q)])
    case("maximum [2,3,4] and [3,1] broadcast", "maximum", {}, [p, q], [torch.maximum(p, q)])
    r = rnd(4)
    case("minimum of three: [2,3,4], [3,1], [4]", "minimum", {}, [p, q, r], [torch.minimum(torch.minimum(p, q), r)])
    case("maximum of three: [2,3,4], [3,1], [4]", "maximum", {}, [p, q, r], [torch.maximum(torch.maximum(p, q), r)])
    case("maximum of one input is the input", "maximum", {}, [p], [p])

    # --- comparisons and logic (ties on purpose: small integers)
    u, v = ints(0, 3, 2, 3, 4).float(), ints(0, 3, 3, 4).float()
    case("equal [2,3,4] and [3,4] integers", "equal", {}, [u, v], [torch.eq(u, v)])
    case("less [2,3,4] and [3,4]", "less", {}, [u, v], [torch.lt(u, v)])
    case("greater [2,3,4] and [3,4]", "greater", {}, [u, v], [torch.gt(u, v)])
    case("lessOrEqual [2,3,4] and [3,4]", "lessOrEqual", {}, [u, v], [torch.le(u, v)])
    case("greaterOrEqual [2,3,4] and [3,4]", "greaterOrEqual", {}, [u, v], [torch.ge(u, v)])
    case("equal [2,3,4] and scalar 1 (a constant)", "equal", {}, [u, torch.tensor(1.0)], [torch.eq(u, 1.0)])
    s, t = ints(0, 2, 2, 3, 4).float(), ints(0, 2, 4).float()
    case("logicalAnd [2,3,4] and [4]", "logicalAnd", {}, [s, t], [torch.logical_and(s, t)])
    case("logicalOr [2,3,4] and [4]", "logicalOr", {}, [s, t], [torch.logical_or(s, t)])
    case("logicalXor [2,3,4] and [4]", "logicalXor", {}, [s, t], [torch.logical_xor(s, t)])
    case("logicalNot [2,3,4]", "logicalNot", {}, [s], [torch.logical_not(s)])
    c = ints(0, 2, 2, 1, 4).float()
    wx, wy = rnd(2, 3, 4), rnd(3, 1)
    case("where condition [2,1,4], x [2,3,4], y [3,1]", "where", {}, [c, wx, wy], [torch.where(c != 0, wx, wy)])
    case("where condition [2,3,4], x [2,3,4], y scalar -1 (a constant)", "where", {}, [s, wx, torch.tensor(-1.0)], [torch.where(s != 0, wx, torch.tensor(-1.0))])

    # --- tile, cumSum, trilu
    tx = rnd(2, 3)
    case("tile [2,3] repeats [2,3]", "tile", {}, [tx, torch.tensor([2.0, 3.0])], [tx.repeat(2, 3)])
    t4 = rnd(1, 2, 2, 3)
    case("tile [1,2,2,3] repeats [2,1,3,1] (attribute)", "tile", {"repeats": [2, 1, 3, 1]}, [t4], [t4.repeat(2, 1, 3, 1)])
    cx = rnd(2, 3, 4)
    case("cumSum [2,3,4] axis 1 (a constant input)", "cumSum", {}, [cx, torch.tensor(1.0)], [torch.cumsum(cx, 1)])
    case("cumSum [2,3,4] dim -1 exclusive", "cumSum", {"dim": -1, "exclusive": True}, [cx], [torch.cumsum(cx, -1) - cx])
    case("cumSum [2,3,4] dim 2 reverse", "cumSum", {"dim": 2, "reverse": True}, [cx], [torch.flip(torch.cumsum(torch.flip(cx, [2]), 2), [2])])
    case("cumSum [2,3,4] dim 0 exclusive reverse", "cumSum", {"dim": 0, "exclusive": True, "reverse": True},
         [cx], [torch.flip(torch.cumsum(torch.flip(cx, [0]), 0), [0]) - cx])
    m = rnd(2, 4, 5)
    case("trilu upper [2,4,5] diagonal 0", "trilu", {}, [m], [torch.triu(m)])
    case("trilu upper [2,4,5] diagonal 2", "trilu", {"diagonal": 2}, [m], [torch.triu(m, 2)])
    case("trilu lower [2,4,5] diagonal -1", "trilu", {"upper": False, "diagonal": -1}, [m], [torch.tril(m, -1)])
    case("trilu lower [4,5] k=1 from a constant input", "trilu", {"upper": False}, [m[0], torch.tensor(1.0)], [torch.tril(m[0], 1)])

    # --- reductions
    rx = rnd(2, 3, 4, 5)
    case("reduceSum [2,3,4,5] axes [1] keepDims", "reduceSum", {"axes": [1]}, [rx], [rx.sum(1, keepdim=True)])
    case("reduceSum [2,3,4,5] axes [2,3] from a constant input, keepDims false", "reduceSum", {"keepDims": False},
         [rx, torch.tensor([2.0, 3.0])], [rx.sum((2, 3))])
    case("reduceSum [2,3,4,5] all axes", "reduceSum", {}, [rx], [rx.sum().reshape(1, 1, 1, 1)])
    case("reduceSum [2,3,4,5] empty axes with noopWithEmptyAxes: the input", "reduceSum", {"axes": [], "noopWithEmptyAxes": True}, [rx], [rx])
    case("reduceMax [2,3,4,5] axes [-1] keepDims false", "reduceMax", {"axes": [-1], "keepDims": False}, [rx], [torch.amax(rx, -1)])
    case("reduceMin [2,3,4,5] axes [0, 2]", "reduceMin", {"axes": [0, 2]}, [rx], [torch.amin(rx, (0, 2), keepdim=True)])
    case("reduceL2 [2,3,4,5] axes [2,3]", "reduceL2", {"axes": [2, 3]}, [rx], [torch.linalg.vector_norm(rx, 2, (2, 3), keepdim=True)])
    case("reduceMean [2,3,4,5] axes [1] from a constant input", "reduceMean", {}, [rx, torch.tensor([1.0])], [rx.mean(1, keepdim=True)])
    ti = ints(0, 4, 3, 6).float()
    case("argMax [2,3,4,5] dim 1", "argMax", {"dim": 1}, [rx], [torch.argmax(rx, 1)])
    case("argMax [2,3,4,5] dim -1 keepDim", "argMax", {"dim": -1, "keepDim": True}, [rx], [torch.argmax(rx, -1, keepdim=True)])
    case("argMin [2,3,4,5] flattened", "argMin", {}, [rx], [torch.argmin(rx)])
    case("argMax [3,6] integers with ties: the first", "argMax", {"dim": 1}, [ti], [torch.argmax(ti, 1)])
    case("argMin [3,6] integers with ties, selectLastIndex: the last", "argMin", {"dim": 1, "selectLastIndex": True},
         [ti], [5 - torch.argmin(torch.flip(ti, [1]), 1)])

    # --- gatherElements, scatterND
    gx = rnd(3, 4)
    gi = ints(0, 3, 2, 4)
    case("gatherElements data [3,4] indices [2,4] dim 0", "gatherElements", {}, [gx, gi.float()], [torch.gather(gx, 0, gi)])
    gi1 = ints(0, 4, 3, 2)
    case("gatherElements data [3,4] indices [3,2] dim 1", "gatherElements", {"dim": 1}, [gx, gi1.float()], [torch.gather(gx, 1, gi1)])
    g3 = rnd(2, 3, 4)
    gi3 = ints(0, 3, 2, 2, 4)
    case("gatherElements data [2,3,4] indices [2,2,4] dim -2", "gatherElements", {"dim": -2}, [g3, gi3.float()], [torch.gather(g3, 1, gi3)])
    sd = rnd(4, 5)
    si = torch.tensor([[3], [0], [2]])
    su = rnd(3, 5)
    out = sd.clone()
    out[si[:, 0]] = su
    case("scatterND data [4,5] indices [3,1] updates [3,5] (rows)", "scatterND", {}, [sd, si.float(), su], [out])
    si2 = torch.tensor([[0, 1], [3, 4], [0, 1], [2, 2]])
    su2 = rnd(4)
    out = sd.clone()
    out.index_put_((si2[:, 0], si2[:, 1]), su2, accumulate=True)
    case("scatterND data [4,5] indices [4,2] updates [4] reduction add (a repeated index adds twice)", "scatterND", {"reduction": "add"},
         [sd, si2.float(), su2], [out])
    s3 = rnd(2, 3, 4)
    si3 = torch.tensor([[[1, 2]], [[0, 0]]])
    su3 = rnd(2, 1, 4)
    out = s3.clone()
    out[si3[..., 0], si3[..., 1]] = su3
    case("scatterND data [2,3,4] indices [2,1,2] updates [2,1,4]", "scatterND", {}, [s3, si3.float(), su3], [out])

    # --- scatterElements (torch.scatter / scatter_add / scatter_reduce)
    se = rnd(3, 4)
    sidx = torch.tensor([[2, 0, 1, 2], [0, 1, 2, 0]])
    su = rnd(2, 4)
    case("scatterElements data [3,4] indices [2,4] dim 0 (distinct per column)", "scatterElements", {}, [se, sidx.float(), su], [se.scatter(0, sidx, su)])
    sidx1 = torch.tensor([[1, 1, 3], [0, 2, 2], [3, 0, 0]])
    su1 = rnd(3, 3)
    case("scatterElements data [3,4] indices [3,3] dim 1 reduction add (repeats add)", "scatterElements", {"dim": 1, "reduction": "add"},
         [se, sidx1.float(), su1], [se.scatter_add(1, sidx1, su1)])
    case("scatterElements data [3,4] indices [3,3] dim -1 reduction max", "scatterElements", {"dim": -1, "reduction": "max"},
         [se, sidx1.float(), su1], [se.scatter_reduce(1, sidx1, su1, reduce="amax")])
    case("scatterElements data [3,4] indices [3,3] dim 1 reduction mul", "scatterElements", {"dim": 1, "reduction": "mul"},
         [se, sidx1.float(), su1], [se.scatter_reduce(1, sidx1, su1, reduce="prod")])

    # --- reduceProd, nonZero, gatherND (detection post-processing)
    px = (torch.rand(2, 3, 4) + 0.5).to(torch.float32)
    case("reduceProd [2,3,4] axes [1]", "reduceProd", {"axes": [1]}, [px], [px.prod(1, keepdim=True)])
    case("reduceProd [2,3,4] all axes, keepDims false", "reduceProd", {"keepDims": False}, [px], [px.prod()])
    nz = rnd(2, 3, 4)
    case("nonZero [2,3,4] with no zeros: every coordinate, row-major (the analysed bound is exact)", "nonZero", {}, [nz], [torch.nonzero(nz).t()])
    gd = rnd(2, 3, 4)
    gi = torch.tensor([[1, 2], [0, 1], [1, 0]])
    case("gatherND data [2,3,4] indices [3,2]: three rows of 4", "gatherND", {}, [gd, gi.float()], [gd[gi[:, 0], gi[:, 1]]])
    gi3 = torch.tensor([[[0, 1, 2], [1, 2, 3]]])
    case("gatherND data [2,3,4] indices [1,2,3]: two scalars", "gatherND", {}, [gd, gi3.float()], [gd[gi3[..., 0], gi3[..., 1], gi3[..., 2]]])
    gb = torch.tensor([[2], [0]])
    case("gatherND data [2,3,4] indices [2,1] batchDims 1: row idx[b] of batch b", "gatherND", {"batchDims": 1}, [gd, gb.float()],
         [gd[torch.arange(2), gb[:, 0]]])

    OUT.parent.mkdir(parents=True, exist_ok=True)
    # --- sin, cos (appended: no random draws, so the cases above keep their values); arguments to
    # 4,000 radians as a sinusoidal position code computes them (position · frequency)
    case("sin x=[2,3,4]", "sin", {}, [x], [torch.sin(x)])
    case("cos x=[2,3,4]", "cos", {}, [x], [torch.cos(x)])
    big = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * 173.37
    case("sin x=[2,3,4] up to 3,988 radians", "sin", {}, [big], [torch.sin(big)])
    case("cos x=[2,3,4] up to 3,988 radians", "cos", {}, [big], [torch.cos(big)])
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
