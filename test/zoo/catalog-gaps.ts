/**
 * What differs from PyTorch for one catalog file (scripts/export_catalog.py), in the terms of
 * catalog.test.ts' KNOWN_GAPS: the ONNX op types left unsupported (sorted), else `params`, `macs` or
 * `outputs` where a total differs, or `import: <code>` when the file is refused.
 *
 * `npx tsx test/zoo/catalog-gaps.ts` prints the table for every file found here, to paste into the test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { ConvlensError } from '../../src/errors.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';

export interface OpsetTruth {
  file?: string;
  bytes?: number;
  committed?: boolean;
  constantFolding?: boolean;
  error?: string;
}
export interface ModelTruth {
  task?: string;
  input?: number[];
  params?: number;
  macs?: number;
  outputs?: number[][];
  opsets?: Record<string, OpsetTruth>;
  skipped?: string;
  error?: string;
}
export const FIXTURES = new URL('../fixtures/catalog/', import.meta.url);
const LOCAL = new URL('../../tmp/catalog/', import.meta.url);
export const truth = JSON.parse(readFileSync(new URL('truth.json', FIXTURES), 'utf8')) as { opsets: number[]; models: Record<string, ModelTruth> };

export interface Measured {
  gaps: string[];
  /** ONNX op types left unsupported (sorted): the analysis is complete when none. */
  unsupported: string[];
  params: number;
  macs: number;
  outputs: (number[] | null)[];
}

export function measure(bytes: Uint8Array, t: ModelTruth): Measured {
  let report;
  try {
    report = analyzeGraph(importOnnx(bytes, { inputShapes: { '': t.input! } }).graph, DEFAULTS);
  } catch (e) {
    if (e instanceof ConvlensError) return { gaps: [`import: ${e.code}`], unsupported: [], params: 0, macs: 0, outputs: [] };
    throw e;
  }
  const unsupported = report.totals.unsupported.map((u) => u.opType).sort();
  const outputs = report.outputs.map((o) => (o.shape ? [...o.shape] : null));
  const gaps = [...unsupported];
  if (gaps.length === 0) {
    if (report.totals.params !== t.params) gaps.push('params');
    if (report.totals.macs !== t.macs) gaps.push('macs');
    if (JSON.stringify(outputs) !== JSON.stringify(t.outputs)) gaps.push('outputs');
  }
  return { gaps, unsupported, params: report.totals.params, macs: report.totals.macs, outputs };
}

/** The file in the committed fixtures, else in tmp/catalog/ when the script ran here; null if neither. */
export function locate(file: string): URL | null {
  for (const dir of [FIXTURES, LOCAL]) {
    const url = new URL(file, dir);
    if (existsSync(url)) return url;
  }
  return null;
}

export const cases = Object.entries(truth.models).flatMap(([name, t]) => truth.opsets.map((opset) => ({ name, opset, key: `${name}@${opset}`, t, o: t.opsets?.[opset] })));

if (process.argv[1]?.endsWith('catalog-gaps.ts')) {
  for (const c of cases) {
    const url = c.o?.file ? locate(c.o.file) : null;
    if (!url) continue;
    const m = measure(readFileSync(url), c.t);
    if (m.gaps.length === 0) continue;
    const detail = m.gaps.includes('params') || m.gaps.includes('macs') ? ` // ${m.params.toLocaleString('en')} params (PyTorch ${c.t.params!.toLocaleString('en')}), ${m.macs.toLocaleString('en')} MACs (PyTorch ${c.t.macs!.toLocaleString('en')})` : '';
    console.log(`  '${c.key}': ${JSON.stringify(m.gaps).replace(/"/g, "'").replace(/,/g, ', ')},${detail}`);
  }
}
