/**
 * What one torchvision detection export (scripts/export_detection_catalog.py) measures against
 * PyTorch's truth (test/fixtures/detection-catalog/truth.json), in the terms of
 * detection-catalog.test.ts' KNOWN_GAPS: ONNX op types left unsupported, else `params`, `macs`
 * (the independent part or a head at its bound), `outputs`, or `import: <code>`.
 *
 * MACs are split as the truth splits them: layers whose ONNX name starts with a RoI head's scope
 * (`/roi_heads/box_head/`, …) form that head's part, counted at the stated row bound; every other
 * layer is the data-independent part (backbone, FPN, RPN head, single-stage heads).
 *
 * `npx tsx test/zoo/detection-catalog-measure.ts` prints the table for every file found here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { ConvlensError } from '../../src/errors.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';

export interface PartTruth {
  module: string;
  onnxScope: string;
  rows: 'proposals' | 'detections';
  bound: number;
  perRow: number;
  macs: number;
}
export interface DetectionTruth {
  builder: string;
  input: number[];
  params: number;
  transformedSize: number[] | null;
  macs: { independent: number; parts: PartTruth[]; total: number; eagerHooks: number; eagerAten: number | null; atenMatches: boolean | null };
  outputs: { names: string[]; bounds: Record<string, number[]>; eager: Record<string, number[]> };
  opsets: Record<string, { file?: string; bytes?: number; committed?: boolean; error?: string }>;
  error?: string;
}

export const FIXTURES = new URL('../fixtures/detection-catalog/', import.meta.url);
export const LOCAL = new URL('../../tmp/detection/', import.meta.url);
export const truth = JSON.parse(readFileSync(new URL('truth.json', FIXTURES), 'utf8')) as { image: number[]; opsets: number[]; models: Record<string, DetectionTruth> };

export interface Measured {
  gaps: string[];
  unsupported: string[];
  params: number;
  macs: { independent: number; parts: Record<string, number>; total: number };
  /** rows entering each head's first MAC layer (its stated bound). */
  rows: Record<string, number>;
  outputs: Record<string, number[] | null>;
  /** layers named by DATA_DEPENDENT_SHAPE warnings, with their ops. */
  dataDependent: { layer: string; op: string }[];
}

export function measure(bytes: Uint8Array, t: DetectionTruth): Measured {
  let r;
  try {
    r = analyzeGraph(importOnnx(bytes, { inputShapes: { image: t.input } }).graph, DEFAULTS);
  } catch (e) {
    if (e instanceof ConvlensError) return { gaps: [`import: ${e.code}`], unsupported: [], params: 0, macs: { independent: 0, parts: {}, total: 0 }, rows: {}, outputs: {}, dataDependent: [] };
    throw e;
  }
  const unsupported = [...new Set(r.totals.unsupported.map((u) => u.opType))].sort();
  const parts: Record<string, number> = {};
  const rows: Record<string, number> = {};
  let independent = 0;
  for (const l of r.layers) {
    const part = t.macs.parts.find((p) => l.name.startsWith(p.onnxScope));
    if (!part) {
      independent += l.macs;
      continue;
    }
    parts[part.module] = (parts[part.module] ?? 0) + l.macs;
    if (l.macs > 0 && !(part.module in rows)) rows[part.module] = l.inputShapes[0]?.[0] ?? NaN;
  }
  const outputs = Object.fromEntries(r.outputs.map((o) => [o.name, o.shape ? [...o.shape] : null]));
  const ops = new Map(r.layers.map((l) => [l.name, l.op]));
  const dataDependent = r.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE').map((w) => ({ layer: w.layer ?? '', op: ops.get(w.layer ?? '') ?? '?' }));
  const gaps = [...unsupported];
  if (gaps.length === 0) {
    if (r.totals.params !== t.params) gaps.push('params');
    if (independent !== t.macs.independent) gaps.push('macs: independent');
    for (const p of t.macs.parts) if (parts[p.module] !== p.macs) gaps.push(`macs: ${p.module}`);
    if (JSON.stringify(Object.keys(outputs)) !== JSON.stringify(t.outputs.names) || t.outputs.names.some((n) => JSON.stringify(outputs[n]) !== JSON.stringify(t.outputs.bounds[n]))) gaps.push('outputs');
  }
  return { gaps, unsupported, params: r.totals.params, macs: { independent, parts, total: r.totals.macs }, rows, outputs, dataDependent };
}

/** The file in the committed fixtures, else in tmp/detection/ when the script ran here; null if neither. */
export function locate(file: string): URL | null {
  for (const dir of [FIXTURES, LOCAL]) {
    const url = new URL(file, dir);
    if (existsSync(url)) return url;
  }
  return null;
}

export const cases = Object.entries(truth.models).flatMap(([name, t]) => truth.opsets.map((opset) => ({ name, opset, key: `${name}@${opset}`, t, o: t.opsets?.[opset] })));

if (process.argv[1]?.endsWith('detection-catalog-measure.ts')) {
  for (const c of cases) {
    const url = c.o?.file ? locate(c.o.file) : null;
    if (!url) {
      console.log(`  // ${c.key}: ${c.t.error ?? c.o?.error ?? 'no file'}`);
      continue;
    }
    const t0 = Date.now();
    const m = measure(readFileSync(url), c.t);
    const fig = `params ${m.params.toLocaleString('en')} (PyTorch ${c.t.params.toLocaleString('en')}), independent MACs ${m.macs.independent.toLocaleString('en')} (PyTorch ${c.t.macs.independent.toLocaleString('en')}), parts ${JSON.stringify(m.macs.parts)} rows ${JSON.stringify(m.rows)} (PyTorch ${JSON.stringify(c.t.macs.parts.map((p) => [p.module, p.macs, p.bound]))}), total ${m.macs.total.toLocaleString('en')}, outputs ${JSON.stringify(m.outputs)}, ${Date.now() - t0} ms`;
    console.log(`  '${c.key}': ${JSON.stringify(m.gaps).replace(/"/g, "'").replace(/,/g, ', ')}, // ${fig}; data-dependent ${[...new Set(m.dataDependent.map((d) => d.op))].join(',')}`);
  }
}
