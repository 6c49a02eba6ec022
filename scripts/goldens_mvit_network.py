#!/usr/bin/env python3
"""Whole-network goldens for the MViT specs (src/zoo/mvit.ts): torchvision's own MViT (0.14) at a small
size, v1 and v2, each with its state_dict as is (keys as torchvision names them: the test binds them
through graph/given-weights.ts), its input clip and logits.

Both take 1×3×4×32×32 (grid 2×8×8 after conv_proj), 3 blocks, 10 classes:
  v1: [1 head, 8 → 16, q unpooled, kv stride 1×4×4], [2, 16 → 16, q and kv stride 1×2×2], [2, 16 → 32, kv kernel 3 stride 1]:
      position tables, the projection after norm2 where the width changes, pool_skip (max pool 1×3×3)
  v2: [1, 8 → 8, q kernel 3 stride 1, kv stride 1×4×4], [2, 8 → 16, q and kv stride 1×2×2], [2, 16 → 16, kv stride 1]:
      relative positions (the 15-row tables of block 0 against kv 2×2), residual pooling, the projection
      of norm1's output where the width changes
and mvit_v1_odd, v1 on 1×3×4×24×20 (grid 2×6×5): [1, 8 → 16, kv stride 1×2×2], [2, 16 → 16, q and kv stride
  1×2×2], [2, 16 → 32, q stride 1×2×2]: grids 6×5 → 3×3 → 2×2, sides that pool to ⌈S/2⌉ (torchvision sizes only
  pos_encoding by the clip divided by the strides)
and mvit_v2_odd, v2 on 1×3×4×20×28 (grid 2×5×7): [1, 8 → 8, kv stride 1×2×2], [2, 8 → 16, q and kv stride 1×2×2],
  [2, 16 → 16, kv stride 1]: grids 5×7 → 3×4; the relative tables sized as torchvision sizes them, from its
  input_size (⌊S/s⌋: 5×7 → 2×3), so every block interpolates one at forward (block 0 rel_pos_h 13 → 9 rows,
  blocks 1 and 2 rel_pos_w 5 → 7)
Biases, LayerNorm affines, the position and relative tables are drawn from N(0, 0.5²) so that each matters.
Writes test/fixtures/networks/mvit_v1_tiny.json, mvit_v2_tiny.json, mvit_v1_odd.json and mvit_v2_odd.json:
  {"torch", "config": {"blocks", "v2", "frames"}, "resolution", "numClasses", "input", "output", "stateDict": {...}}
Run: cd scripts && nice -n 10 /usr/bin/python3 goldens_mvit_network.py
"""
import json
import re
from pathlib import Path

import torch
from torchvision.models.video.mvit import MSBlockConfig, MViT

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "networks"
RES, FRAMES, CLASSES = 32, 4, 10
ONE = [1, 1, 1]
K3 = [3, 3, 3]


def blocks(rows):
    return [{"heads": h, "in": i, "out": o, "kernelQ": kq, "kernelKv": K3, "strideQ": sq, "strideKv": skv} for h, i, o, kq, sq, skv in rows]


NETS = {
    "mvit_v1_tiny": (False, blocks([(1, 8, 16, ONE, ONE, [1, 4, 4]), (2, 16, 16, K3, [1, 2, 2], [1, 2, 2]), (2, 16, 32, ONE, ONE, ONE)]), RES),
    "mvit_v2_tiny": (True, blocks([(1, 8, 8, K3, ONE, [1, 4, 4]), (2, 8, 16, K3, [1, 2, 2], [1, 2, 2]), (2, 16, 16, K3, ONE, ONE)]), RES),
    "mvit_v1_odd": (False, blocks([(1, 8, 16, ONE, ONE, [1, 2, 2]), (2, 16, 16, K3, [1, 2, 2], [1, 2, 2]), (2, 16, 32, K3, [1, 2, 2], ONE)]), [24, 20]),
    "mvit_v2_odd": (True, blocks([(1, 8, 8, K3, ONE, [1, 2, 2]), (2, 8, 16, K3, [1, 2, 2], [1, 2, 2]), (2, 16, 16, K3, ONE, ONE)]), [20, 28]),
}


def main():
    for seed, (name, (v2, rows, res)) in enumerate(NETS.items()):
        h, w = (res, res) if isinstance(res, int) else res
        torch.manual_seed(30 + seed)
        # torchvision's Python lists: [] where q has no pool (its kernel and stride all 1), as mvit_v1_b writes it
        setting = [MSBlockConfig(r["heads"], r["in"], r["out"], [] if r["kernelQ"] == ONE and r["strideQ"] == ONE else r["kernelQ"], r["kernelKv"],
                                 [] if r["kernelQ"] == ONE and r["strideQ"] == ONE else r["strideQ"], r["strideKv"]) for r in rows]
        m = MViT(spatial_size=(h, w), temporal_size=FRAMES, block_setting=setting, residual_pool=v2, residual_with_cls_embed=False,
                 rel_pos_embed=v2, proj_after_attn=v2, dropout=0.0, num_classes=CLASSES).eval()
        with torch.no_grad():
            for key, p in m.named_parameters():
                if re.search(r"(bias|rel_pos_[hwt]|pos_encoding\..*)$", key) or (p.dim() == 1 and "norm" in key):
                    p.copy_(torch.randn(p.shape) * 0.5 + (1.0 if p.dim() == 1 and "norm" in key and key.endswith("weight") else 0.0))
            x = torch.randn(1, 3, FRAMES, h, w)
            y = m(x)
        state = m.state_dict()
        out = OUT / f"{name}.json"
        out.write_text(json.dumps({"torch": torch.__version__, "config": {"blocks": rows, "v2": v2, "frames": FRAMES}, "resolution": res, "numClasses": CLASSES,
                                   "input": enc(x), "output": enc(y), "stateDict": {k: enc(v.to(torch.float32)) for k, v in state.items()}},
                                  separators=(",", ":")) + "\n")
        print(f"{name}: {len(state)} keys, {sum(v.numel() for v in state.values())} values → {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
