/**
 * Swin V2's window attention (torchvision 0.14's ShiftedWindowAttentionV2, family windowAttentionV2)
 * as the module-reading tools see it. Its forward is v1's shifted_window_attention with logit_scale
 * (torchvision swin_transformer.py l. 116-236, 318-398), and two differences reach the counts:
 *
 * - the continuous position bias runs as modules: `self.cpb_mlp(self.relative_coords_table)`, an
 *   nn.Sequential of nn.Linear(2, 512), nn.ReLU and nn.Linear(512, h, bias=False) over the table
 *   [1, 2wh − 1, 2ww − 1, 2], once per forward whatever the batch. Each tool counts those three as it
 *   counts any nn.Linear and nn.ReLU module on a 4-D input: cpbModules builds their facts from the
 *   ops themselves (linear, relu) and a preset applies its own linear and relu rules to them;
 * - cosine attention: `F.normalize(q) @ F.normalize(k).transpose(-2, -1)` is the `@` operator
 *   (Tensor.__matmul__), which ptflops and calflops do not patch (they patch torch.matmul and
 *   Tensor.matmul), so q·kᵀ counts only where aten::matmul is read (fvcore, ptflops-aten, torchvision);
 *   attn·v is still Tensor.matmul. F.normalize, the clamp and exp of the logit scale, `attn * scale`,
 *   torch.sigmoid and `16 * …` reach no tool's table.
 *
 * Measured on swin_v2_t at 256 (scripts/convention_truth.py, test/fixtures/conventions/truth.json):
 * features.1.1.attn (64 windows of 64 tokens, C 96, 3 heads; the table 15×15) ptflops its F.softmax and
 * attn.matmul(v) 25,952,256 + cpb_mlp.0 345,600, .1 230,400, .2 345,600; calflops 353,107,968 + 460,800
 * + 115,200 + 691,200; thop and fvcore cpb_mlp.0 230,400, .2 345,600; torchinfo 345,600 and 345,600.
 * torch.onnx (1.13) cannot export the module (the forward's qkv_bias[C:2C].zero_() is aten::zero,
 * which has no symbolic), so onnx-tool, reading the export, has no count for it: not supported.
 */
import { linear } from '../ops/linear.js';
import { relu } from '../ops/activation.js';
import { CPB_HIDDEN, cpbTableShape } from '../ops/window-attention-v2.js';
import type { WindowPlan } from '../ops/window-attention.js';
import type { Family, LayerFacts, Rule, RuleContext } from './types.js';
import { innerCallFacts } from './inner-calls.js';

/** The window's dims: S windows of T tokens, C channels, h heads, R relative offsets (the CPB table's rows). */
export function v2Dims(f: LayerFacts): { s: number; t: number; c: number; h: number; tokens: number; scores: number; r: number; bias: boolean } {
  const p = f.plan as WindowPlan;
  const r = (2 * p.win[0] - 1) * (2 * p.win[1] - 1);
  const bias = f.weights.some((w) => w.name === 'qkvBias');
  return { s: p.s, t: p.t, c: p.c, h: p.heads, tokens: p.s * p.t, scores: p.s * p.heads * p.t * p.t, r, bias };
}

/** The window attention's own MACs: qkv and proj (tokens·4C²) and both score products (2·tokens·T·C); the CPB MLP apart. */
export function windowMacs(f: LayerFacts): number {
  const d = v2Dims(f);
  return d.tokens * (4 * d.c * d.c + 2 * d.t * d.c);
}

/** cpb_mlp's three modules over the table [1, 2wh − 1, 2ww − 1, 2], as the ops convlens has for them. */
export function cpbModules(f: LayerFacts): LayerFacts[] {
  const p = f.plan as WindowPlan;
  // the op's own shapes: the table (width 2) and cpb_mlp.0's output (512), which .1 and .2 read
  const hidden = cpbTableShape(p.win, CPB_HIDDEN);
  return [
    innerCallFacts(`${f.name}.cpb_mlp.0`, 'linear', linear, [cpbTableShape(p.win, 2)], { outFeatures: CPB_HIDDEN, bias: true }),
    innerCallFacts(`${f.name}.cpb_mlp.1`, 'relu', relu, [hidden], {}),
    innerCallFacts(`${f.name}.cpb_mlp.2`, 'linear', linear, [hidden], { outFeatures: p.heads, bias: false }),
  ];
}

/**
 * A preset's windowAttentionV2 rule: its count (and hook) of the attention's own calls, plus what its
 * linear and relu rules (read when counting: the preset's own table) count for cpb_mlp's modules (a hook part divided by the batch as the tool
 * divides any module hook: the MLP runs once per forward).
 */
export function withCpb(rules: () => Readonly<Partial<Record<Family, Rule>>>, own: { count: (f: LayerFacts, ctx: RuleContext) => number; hook?: (f: LayerFacts, ctx: RuleContext) => number }, why: string, source: string): Rule {
  const sum = (f: LayerFacts, ctx: RuleContext, part: 'count' | 'hook') =>
    cpbModules(f).reduce((s, m) => {
      const rule = rules()[m.family];
      const fn = rule?.[part];
      return s + (fn ? fn(m, ctx) : 0);
    }, 0);
  return {
    count: (f, ctx) => own.count(f, ctx) + sum(f, ctx, 'count'),
    hook: (f, ctx) => (own.hook ? own.hook(f, ctx) : 0) + sum(f, ctx, 'hook'),
    why,
    source,
  };
}
