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
import { linearBiases } from './linear-bias.js';
import { decomposedModules } from './decomposed.js';
import { onnxTool } from './onnx-tool.js';
import { ptflops, ptflopsAten } from './ptflops.js';
import { thop } from './thop.js';
import { torchinfo } from './torchinfo.js';
import { unbatchedSample, withUnbatchedConvs } from './unbatched-convs.js';
import { fvcore, torchvision } from './torchvision-fvcore.js';
import { CountOptionsSchema } from './types.js';
import type { ConventionCount, ConventionFamily, ConventionLayer, ConventionPreset, CountOptions, DefectInput, Family, RuleContext } from './types.js';

export * from './types.js';
export { FAMILY_OF } from './families.js';

// each conv family's rule reads an unbatched sample [C, …spatial] as its tool does (unbatched-convs.ts)
export const PRESETS: readonly ConventionPreset[] = [torchvision, fvcore, thop, ptflops, ptflopsAten, calflops, calflopsMacs, torchinfo, onnxTool].map(withUnbatchedConvs);
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

/** The layer names an option lists, each checked against the report (INVALID_OPTION naming the closest otherwise). */
function namedLayers(names: readonly string[] | undefined, option: 'functional' | 'subclassed', reported: ReadonlyMap<string, unknown>): Set<string> {
  const set = new Set(names ?? []);
  for (const name of set) {
    if (!reported.has(name)) {
      const near = closest(name, [...reported.keys()]);
      throw new ConvlensError('INVALID_OPTION', `${option}: no layer '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        path: `$.${option}`,
        ...(near ? { suggestion: near } : {}),
      });
    }
  }
  return set;
}

export function countWith(preset: ConventionPreset, { inference, report }: ConventionInput, options: CountOptions = {}): ConventionCount {
  const parsed = CountOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConvlensError('INVALID_OPTION', `${issue.path.join('.') || 'options'}: ${issue.message}`, { path: `$.${issue.path.join('.')}` });
  }
  const opts = parsed.data;
  const reported = new Map(report.layers.map((l) => [l.name, l]));
  const functional = namedLayers(opts.functional, 'functional', reported);
  const subclassed = namedLayers(opts.subclassed, 'subclassed', reported);
  const ctx: RuleContext = opts.convTranspose ? { convTranspose: opts.convTranspose } : {};
  // what a rule's hook is divided by: the first input's first dimension (ptflops' batch counter, pytorch_engine.py batch_counter_hook l. 267-277)
  const batch = report.inputs[0]?.shape[0] ?? 1;

  const layers: ConventionLayer[] = [];
  const counted: DefectInput['layers'][number][] = [];
  const unsupported: string[] = [];
  const families = new Map<Family, ConventionFamily>();
  let hooks = 0;
  let rest = 0;
  const biases = linearBiases(inference, report);
  let biasAdds = 0;
  const modules = decomposedModules(inference, report, biases);
  const modulePieces = new Map<Family, string[]>();
  // the families a layer of which read one sample without its batch axis: their rules' unbatched notes are said
  const unbatched = new Set<Family>();
  for (const a of inference.analysed) {
    if (a.folded) continue;
    const r = reported.get(a.layer.name);
    if (!r || !r.executed) continue;
    const found = layerFacts(a, { functional: functional.has(a.layer.name), subclassed: subclassed.has(a.layer.name) });
    // an nn.Linear exported as MatMul + Add: the linear counts with its bias, the add not (linear-bias.ts)
    const bias = biases.biasOf.get(a.layer.name);
    const withBias = found && bias ? { ...found, weights: [...found.weights, { name: 'bias', shape: bias, trainable: true }], ...(biases.strided.has(a.layer.name) ? { strided: true } : {}) } : found;
    // a module written as several nodes (report.patterns, nn.MultiheadAttention, LayerNorm2d: decomposed.ts), for a preset that reads the module: one layer of its family
    const pattern = preset.readsExport ? undefined : modules.anchors.get(a.layer.name);
    const part = preset.readsExport ? undefined : modules.members.get(a.layer.name);
    const facts = withBias && pattern ? pattern(withBias) : withBias;
    if (!facts) {
      unsupported.push(a.layer.name);
      layers.push({ name: r.name, op: r.op, family: null, count: 0, convlensMacs: r.macs, difference: -r.macs });
      continue;
    }
    const rule = preset.rules[facts.family];
    // a family (or, by a function, a layer) the tool has no figure for (Rule.unsupported): 0, and listed
    const cannot = typeof rule?.unsupported === 'function' ? rule.unsupported(facts) : rule?.unsupported === true;
    if (cannot) unsupported.push(a.layer.name);
    const biasAdd = !part && biases.addOf.has(a.layer.name);
    if (biasAdd) biasAdds += 1;
    if (part) modulePieces.set(facts.family, [...(modulePieces.get(facts.family) ?? []), part]);
    const counts = rule && !biasAdd && !part && !cannot;
    const own = counts ? rule.count(facts, ctx) : 0;
    const hook = counts && rule.hook ? rule.hook(facts, ctx) : 0;
    hooks += hook;
    rest += own;
    const count = own + hook / batch;
    counted.push({ facts, count, hook });
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
    if (unbatchedSample(facts)) unbatched.add(facts.family);
    fam.layers += 1;
    fam.count += count;
    fam.convlensMacs += r.macs;
    fam.difference += count - r.macs;
    families.set(facts.family, fam);
  }
  // what the tool does of an unbatched sample (Rule.unbatched), only where a layer of the family read one
  for (const family of unbatched) {
    const fam = families.get(family);
    const note = preset.rules[family]?.unbatched;
    if (fam && note) {
      fam.why = `${fam.why}; ${note.why}`;
      fam.source = `${fam.source}; ${note.source}`;
    }
  }
  const unbatchedInput = inference.imageInputs?.includes(report.inputs[0]?.name ?? '') === true;
  const defects = preset.defects?.({ batch, unbatchedInput, ctx, layers: counted, rules: preset.rules }) ?? {};
  for (const [family, note] of Object.entries(defects) as [Family, string][]) {
    const fam = families.get(family);
    if (fam) fam.why = `${fam.why}. ${note}`;
  }
  const adds = families.get('add');
  if (adds && biasAdds > 0) adds.why = `${adds.why}. ${biasAdds} of these ${adds.layers} adds are the bias of an nn.Linear exported as MatMul + Add: counted with the linear, 0 here`;
  for (const [family, kinds] of modulePieces) {
    const fam = families.get(family);
    if (fam) fam.why = `${fam.why}. ${kinds.length} of these ${fam.layers} are parts of a module exported decomposed (${[...new Set(kinds)].join(', ')}; src/conventions/decomposed.ts): counted as the module, 0 here`;
  }
  const byFamily = [...families.values()].sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference) || x.family.localeCompare(y.family));
  // the module hooks' sum divided once (as the tool divides it), then the rest added
  const sum = hooks / batch + rest;
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
