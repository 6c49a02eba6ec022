/**
 * A model of ai.onnx opset 99 or 1 was read as if its operators were opset 7–18's (found by fuzzing
 * the service). An opset before 7 is ONNX_INVALID; later ones than 27 (onnx 1.22's) are read by the
 * opset-27 definitions the importer follows, with a warning (graph/onnx/opsets.ts, whose header lists
 * what 22–27 changed; analysis/import-warnings.ts).
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

describe('the ai.onnx opset', () => {
  const relu = (opset: number) => onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], opset });
  const warnings = (opset: number) => analyzeGraph(importOnnx(relu(opset)).graph, DEFAULTS).warnings;

  it.each([1, 6])('opset %i (before 7: broadcasting by attribute) → ONNX_INVALID at $.opset_import', (opset) => {
    const e = errorOf(() => importOnnx(relu(opset)));
    expect(e).toMatchObject({ code: 'ONNX_INVALID', details: { path: '$.opset_import', opset } });
    expect(e.message).toContain(`the model declares ai.onnx opset ${opset}; convlens reads opsets from 7 (`);
  });

  it.each([7, 13, 21, 22, 23, 24, 25, 26, 27])('opset %i: read, no warning', (opset) => {
    expect(warnings(opset).map((w) => w.code)).not.toContain('ONNX_OPSET_NEWER_THAN_READ');
  });

  it.each([
    [28, 'opset 28'],
    [30, 'opsets 28 to 30'],
    [99, 'opsets 28 to 99'],
  ])('opset %i: read by the opset-27 definitions, with an ONNX_OPSET_NEWER_THAN_READ warning (changed in %s)', (opset, changed) => {
    const w = warnings(opset).find((x) => x.code === 'ONNX_OPSET_NEWER_THAN_READ');
    expect(w).toEqual({
      code: 'ONNX_OPSET_NEWER_THAN_READ',
      severity: 'warning',
      message: `the model declares ai.onnx opset ${opset}; convlens reads operators as opsets 7 to 27 define them, so an operator changed in ${changed} is read by its opset-27 definition (attributes added since are not read): check the layers against the model, or export at opset 27 or below`,
      opset,
      newestRead: 27,
    });
  });

  it('a graph of custom-domain nodes alone reads no ai.onnx operator: its opset is not judged', () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y'], nodes: [{ op: 'Mystery', inputs: ['x'], outputs: ['y'], name: 'm', domain: 'acme' }], opset: 99 });
    expect(importOnnx(bytes).graph.layers[0].op).toBe('Mystery');
  });
});
