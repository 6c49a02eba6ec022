#!/usr/bin/env python3
"""Ground truth for nn.MultiheadAttention's variants exported to ONNX (src/conventions/onnx-attention.ts,
onnx-attention-variants.ts): what the real tools print on the PyTorch modules, run from their sources as
scripts/convention_truth.py runs them (same `--tools` folder, same stubs, torch 1.13; totals and
per-module figures as convention_truth.measure, ptflops-aten included).

Writes test/fixtures/conventions/mha_variants.json and each model's export at opsets 13 and 17
(test/fixtures/conventions/mha_<name>.op13/op17.onnx, weights kept: a few KB) as
convention_truth.export_onnx writes them. Every model: a 1×8×4×4 map x (batch 2 for `batch2`), its
tokens t = x.flatten(2).transpose(1, 2) (16 of 8 channels; (L, N, E) order for batch_first=False),
a context c = Conv2d(8, kd, 2, stride 2)(x) as 4 tokens of kd channels, and one
nn.MultiheadAttention(8, 2, …) whose output the model returns:

  cross      kdim = vdim = 8, query t, key = value c (packed weight: q by W_q, k and v by W_kv)
  kdim       kdim = vdim = 6, query t, key = value c (q_proj_weight, k_proj_weight, v_proj_weight)
  kvdiff     kdim = 6, vdim = 4, key c, value a second context (Conv2d(8, 4, 2, 2))
  seqfirst   kdim = vdim = 6 as `kdim`, batch_first=False: t and c as (L, N, E)
  biaskv     add_bias_kv=True, self-attention (t, t, t): k and v get one more position
  zeroattn   add_zero_attn=True, self-attention: one more position of zeros
  biaskvzero both, bias=False
  batch2     `kdim` at batch 2 (2×8×4×4): ptflops through input_constructor (convention_truth_cases.run_ptflops_batched:
             its hooks divided by the batch, its patched functions not); ptflops-aten likewise (it divides by nothing)
  seqfirst2  `seqfirst` at batch 2: (L, N, E) tokens, where ptflops' and thop's hooks read the batch from axis 1

`thopHook`: thop's count_multihead_attention per module, called by hand (thop_hook; thop registers it on
torch >= 2.0 only, so the tool's own total on torch 1.13 leaves the module out).

And `crossmha`, scripts/export_modern_blocks.py's CrossMHA at 1×3×224×192 (its export
test/fixtures/onnx/modern/crossmha.onnx: a cross-attention of kdim = vdim = 48 and an add_bias_kv one).

  /usr/bin/python3 scripts/convention_truth_mha.py --tools /tmp/tools
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convention_truth as ct  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

OUT = ct.ROOT / "test" / "fixtures" / "conventions" / "mha_variants.json"


class Variant(nn.Module):
    def __init__(self, kd=8, vd=None, second=False, batch_first=True, self_attn=False, **mha):
        super().__init__()
        self.batch_first, self.self_attn = batch_first, self_attn
        if not self_attn:
            self.ctx = nn.Conv2d(8, kd, 2, 2)
            self.ctx2 = nn.Conv2d(8, vd, 2, 2) if second else None
        kw = {} if kd == 8 and (vd or kd) == 8 else {"kdim": kd, "vdim": vd or kd}
        self.mha = nn.MultiheadAttention(8, 2, batch_first=batch_first, **kw, **mha)

    def tokens(self, m):
        t = m.flatten(2)
        return t.transpose(1, 2) if self.batch_first else t.permute(2, 0, 1)

    def forward(self, x):
        t = self.tokens(x)
        if self.self_attn:
            return self.mha(t, t, t, need_weights=False)[0]
        c = self.tokens(self.ctx(x))
        v = self.tokens(self.ctx2(x)) if self.ctx2 is not None else c
        return self.mha(t, c, v, need_weights=False)[0]


VARIANTS = {
    "cross": (dict(), (1, 8, 4, 4)),
    "kdim": (dict(kd=6), (1, 8, 4, 4)),
    "kvdiff": (dict(kd=6, vd=4, second=True), (1, 8, 4, 4)),
    "seqfirst": (dict(kd=6, batch_first=False), (1, 8, 4, 4)),
    "biaskv": (dict(self_attn=True, add_bias_kv=True), (1, 8, 4, 4)),
    "zeroattn": (dict(self_attn=True, add_zero_attn=True), (1, 8, 4, 4)),
    "biaskvzero": (dict(self_attn=True, add_bias_kv=True, add_zero_attn=True, bias=False), (1, 8, 4, 4)),
    "batch2": (dict(kd=6), (2, 8, 4, 4)),
    "seqfirst2": (dict(kd=6, batch_first=False), (2, 8, 4, 4)),
}


def thop_hook(model, x):
    """thop's count_multihead_attention (registered on torch >= 2.0 only, where forward hooks see keyword
    inputs) called by hand from a forward hook on torch 1.13: what thop >= 2.0 charges each module."""
    from thop.vision.basic_hooks import count_multihead_attention
    counts, handles = {}, []
    for name, m in model.named_modules():
        if isinstance(m, nn.MultiheadAttention):
            def hook(m, inputs, output, name=name):
                m.total_ops = torch.zeros(1, dtype=torch.float64)
                count_multihead_attention(m, inputs, output)
                counts[name] = int(m.total_ops.item())
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return counts


def main():
    args = ct.start()
    out = json.loads(OUT.read_text()) if args.models and OUT.exists() else {"torch": torch.__version__, "models": {}}
    for name, (kw, shape) in VARIANTS.items():
        if args.models and name not in args.models:
            continue
        torch.manual_seed(0)
        model, x = Variant(**kw).eval(), torch.ones(*shape)
        files = []
        for opset in (13, 17):
            files.append(f"test/fixtures/conventions/mha_{name}.op{opset}.onnx")
            ct.export_onnx(model, x, ct.ROOT / files[-1], opset)
        out["models"][name] = {"input": list(shape), "files": files, **ct.measure(model, x, aten=True), "thopHook": thop_hook(model, x)}
        if shape[0] > 1:
            # convention_truth.run_ptflops and run_ptflops_aten give ptflops a 1-sample input: at batch N the
            # figures are x through input_constructor (convention_truth_cases.run_ptflops_batched; run_ptflops_aten batched)
            import convention_truth_cases as ctc
            r = ctc.run_ptflops_batched(model, x)
            out["models"][name]["ptflops"] = {"total": r["total"], "layers": {k: r["hooks"].get(k, 0) / r["batch"] + r["functions"].get(k, 0) for k in sorted({*r["hooks"], *r["functions"]})}}
            t, layers = ct.run_ptflops_aten(model, x, batched=True)
            out["models"][name]["ptflops-aten"] = {"total": t, "layers": layers}
        print(name, {t: r["total"] for t, r in out["models"][name].items() if isinstance(r, dict) and "total" in r}, flush=True)
    if not args.models or "crossmha" in args.models:
        from export_modern_blocks import CrossMHA
        torch.manual_seed(5)
        model, x = CrossMHA().eval(), torch.ones(1, 3, 224, 192)
        out["models"]["crossmha"] = {"input": list(x.shape), "files": ["test/fixtures/onnx/modern/crossmha.onnx"], **ct.measure(model, x, aten=True),
                                     "thopHook": thop_hook(model, x)}
        print("crossmha", {t: r["total"] for t, r in out["models"]["crossmha"].items() if isinstance(r, dict) and "total" in r}, flush=True)
    ct.write(OUT, out)


if __name__ == "__main__":
    main()
