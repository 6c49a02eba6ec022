/**
 * An analysis rendered as a Netron attachment reads the file's nodes (analysis/formats/netron.ts
 * onnxNodes): from the model the analysis decoded, within its decode scope (runtime/tasks.ts,
 * graph/onnx/proto.ts withDecodeBudget). Before, the attachment decoded the file a second time after
 * the scope had ended: judged again (graph/onnx/census.ts checkDecode, 2 calls for one request)
 * against the environment's budget only, its memory not charged to the request, a refusal without
 * the file's path.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { analyzeTask } from '../../src/runtime/tasks.js';
import { decodeModel, withDecodeBudget } from '../../src/graph/onnx/proto.js';
import { AnalyzeOptionsSchema } from '../../src/analysis/report.js';

const census = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/graph/onnx/census.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/graph/onnx/census.js')>();
  return {
    ...original,
    checkDecode: (...args: Parameters<typeof original.checkDecode>) => {
      census.calls++;
      return original.checkDecode(...args);
    },
  };
});

const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url)));
const source = { kind: 'onnx' as const, bytes, inputShapes: { '': [1, 3, 224, 224] }, at: 'body' };

describe('format netron decodes the ONNX file once', () => {
  it('analyze rendered as netron: one decode judged (was 2), the attachment naming the nodes as before', () => {
    census.calls = 0;
    const result = analyzeTask({ source, options: AnalyzeOptionsSchema.parse({}), render: { formats: ['netron'] } });
    expect(census.calls).toBe(1);
    const attachment = JSON.parse(result.renderings!.netron!);
    expect(attachment.metrics.length + attachment.metadata.length).toBeGreaterThan(0);
    expect(result.renderings!.netron).toContain('/conv1/Conv');
  });

  it('analyze without a rendering: one decode, as before', () => {
    census.calls = 0;
    analyzeTask({ source, options: AnalyzeOptionsSchema.parse({}) });
    expect(census.calls).toBe(1);
  });
});

describe('withDecodeBudget nested for the same bytes', () => {
  it('an inner scope counting no more imports reads the outer scope\'s model (one decode judged); one counting more is judged on its own', () => {
    census.calls = 0;
    const [outer, inner] = withDecodeBudget(bytes, { maxWork: 600_000, times: 2 }, () => [decodeModel(bytes), withDecodeBudget(bytes, { maxWork: 600_000, times: 2 }, () => decodeModel(bytes))]);
    expect(inner).toBe(outer);
    expect(census.calls).toBe(1);
    census.calls = 0;
    expect(() => withDecodeBudget(bytes, { maxWork: 600_000 }, () => withDecodeBudget(bytes, { maxWork: 1, times: 3 }, () => decodeModel(bytes)))).toThrow(expect.objectContaining({ code: 'ANALYSIS_TOO_LARGE', details: expect.objectContaining({ times: 3, limit: 1 }) }));
    expect(census.calls).toBe(1);
  });
});
