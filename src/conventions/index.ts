/**
 * Counting conventions of other tools: named presets (one file per tool, each a table of per-op-
 * family rules with the tool's source cited) and countWith, which counts an analysed model under
 * one of them, layer by layer, beside convlens's own MACs, and says where the totals part.
 *
 *   countWith(thop, { inference, report })   →  total 4,133,742,592 for torchvision's ResNet-50,
 *   the README's figure; byFamily: batchNorm +44,558,336 ("batch norm: 2 per element, doubled
 *   with affine"), adaptiveAvgPool +102,400 ….
 *
 * The model is the inference (op objects, attributes, shapes, weights) plus the report built from
 * it (executed flags, convlens's MACs); layers that run for no declared output (a training-only
 * head) count in neither total, as in the report.
 */
import type { Inference } from '../analysis/infer.js';
import type { Report } from '../analysis/report.js';
import { ConvlensError } from '../errors.js';
import { closest } from '../suggest.js';
import { calflops, calflopsMacs } from './calflops.js';
import { layerFacts } from './families.js';
import { onnxTool } from './onnx-tool.js';
import { ptflops, ptflopsAten } from './ptflops.js';
import { thop } from './thop.js';
import { torchinfo } from './torchinfo.js';
import { fvcore, torchvision } from './torchvision-fvcore.js';
import { CountOptionsSchema } from './types.js';
import type { ConventionCount, ConventionFamily, ConventionLayer, ConventionPreset, CountOptions, Family, RuleContext } from './types.js';

export * from './types.js';
export { FAMILY_OF } from './families.js';

export const PRESETS: readonly ConventionPreset[] = [torchvision, fvcore, thop, ptflops, ptflopsAten, calflops, calflopsMacs, torchinfo, onnxTool];
export const PRESETS_BY_NAME: ReadonlyMap<string, ConventionPreset> = new Map(PRESETS.map((p) => [p.name, p]));

/** A preset by name; INVALID_OPTION naming the closest preset otherwise. */
export function presetNamed(name: string): ConventionPreset {
  const p = PRESETS_BY_NAME.get(name);
  if (p) return p;
  const names = PRESETS.map((x) => x.name);
  const near = closest(name, names);
  throw new ConvlensError('INVALID_OPTION', `unknown convention '${name}'${near ? ` (did you mean '${near}'?)` : ''}; one of ${names.join(', ')}`, {
    path: '$.convention',
    ...(near ? { suggestion: near } : {}),
    valid: names,
  });
}

export interface ConventionInput {
  inference: Inference;
  report: Report;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const signed = (n: number) => (n >= 0 ? '+' : '−') + fmt(Math.abs(n));

/** What the tool counts for a family it has no rule for. */
const NO_RULE = (preset: ConventionPreset, family: Family) => `${preset.tool} has no rule for ${family}: 0`;

export function countWith(preset: ConventionPreset, { inference, report }: ConventionInput, options: CountOptions = {}): ConventionCount {
  const parsed = CountOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConvlensError('INVALID_OPTION', `${issue.path.join('.') || 'options'}: ${issue.message}`, { path: `$.${issue.path.join('.')}` });
  }
  const opts = parsed.data;
  const reported = new Map(report.layers.map((l) => [l.name, l]));
  const functional = new Set(opts.functional ?? []);
  const layerNames = [...reported.keys()];
  for (const name of functional) {
    if (!reported.has(name)) {
      const near = closest(name, layerNames);
      throw new ConvlensError('INVALID_OPTION', `functional: no layer '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        path: '$.functional',
        ...(near ? { suggestion: near } : {}),
      });
    }
  }
  const ctx: RuleContext = opts.convTranspose ? { convTranspose: opts.convTranspose } : {};

  const layers: ConventionLayer[] = [];
  const unsupported: string[] = [];
  const families = new Map<Family, ConventionFamily>();
  for (const a of inference.analysed) {
    if (a.folded) continue;
    const r = reported.get(a.layer.name);
    if (!r || !r.executed) continue;
    const facts = layerFacts(a, functional.has(a.layer.name));
    if (!facts) {
      unsupported.push(a.layer.name);
      layers.push({ name: r.name, op: r.op, family: null, count: 0, convlensMacs: r.macs, difference: -r.macs });
      continue;
    }
    const rule = preset.rules[facts.family];
    const count = rule ? rule.count(facts, ctx) : 0;
    layers.push({ name: r.name, op: r.op, family: facts.family, count, convlensMacs: r.macs, difference: count - r.macs });
    const fam = families.get(facts.family) ?? {
      family: facts.family,
      layers: 0,
      count: 0,
      convlensMacs: 0,
      difference: 0,
      why: rule?.why ?? NO_RULE(preset, facts.family),
      source: rule?.source ?? '',
    };
    fam.layers += 1;
    fam.count += count;
    fam.convlensMacs += r.macs;
    fam.difference += count - r.macs;
    families.set(facts.family, fam);
  }
  const byFamily = [...families.values()].sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference) || x.family.localeCompare(y.family));
  const sum = layers.reduce((s, l) => s + l.count, 0);
  const total = preset.printedTotal ? preset.printedTotal(sum) : sum;
  const convlensMacs = report.totals.macs;
  const parts = byFamily.filter((f) => f.difference !== 0).map((f) => `${f.family} ${signed(f.difference)} (${f.why})`);
  const headline =
    `${preset.tool} counts ${fmt(total)} ${preset.unit} where convlens counts ${fmt(convlensMacs)} MACs` +
    (parts.length ? `: ${parts.join('; ')}` : ': the same count');
  return {
    preset: preset.name,
    tool: preset.tool,
    version: preset.version,
    unit: preset.unit,
    summary: preset.summary,
    source: [...preset.source],
    convTranspose: opts.convTranspose ?? 'tool',
    total,
    convlensMacs,
    difference: total - convlensMacs,
    headline,
    byFamily,
    layers,
    unsupported,
  };
}
