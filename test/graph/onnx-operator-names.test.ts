/**
 * ONNX operator names and the opsets that define them (graph/onnx/operator-names.ts, its table
 * schema/onnx/onnx-operators.json from ONNX's docs/Operators.md). A first-contact review found a
 * hand-written `Conv2D` listed as "convlens does not model ONNX Conv2D" (ONNX has no such operator:
 * onnxruntime refuses the file), and Range at opset 7 (Range is from 11) analysed silently. The
 * opsets each operator is from are ONNX's published ones (Operators.md): Range 11, Einsum 12.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { unsupportedReason } from '../../src/graph/graph.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { decodeModel, type GraphProto } from '../../src/graph/onnx/proto.js';
import { operatorBeforeOpset, operatorDeprecated, unknownOperatorReason } from '../../src/graph/onnx/operator-names.js';
import protobuf from 'protobufjs';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel, type Attr, type InitSpec } from './onnx-builder.js';

const i64 = (name: string, data: number[]): InitSpec => ({ name, dims: [], data, type: 'int64' });
const RUN = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };

/** x [1, 2, 4, 4] → one node of `op` → y. */
function single(op: string, opset: number, domain?: string, attrs?: Record<string, Attr>) {
  return onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y'], nodes: [{ name: 'n', op, inputs: ['x'], outputs: ['y'], ...(domain && { domain }), ...(attrs && { attrs }) }], opset });
}
const reasonOf = (op: string, opset = 13, domain?: string) => unsupportedReason(importOnnx(single(op, opset, domain)).graph.layers[0]);

describe('an ai.onnx op type ONNX has no operator of', () => {
  it.each([
    ['Conv2D', 'Conv'],
    ['conv', 'Conv'],
    ['Maxpool', 'MaxPool'],
    ['MaxPool2d', 'MaxPool'],
    ['Reul', 'Relu'],
  ])("%s: 'ONNX has no operator', did you mean %s", (op, near) => {
    expect(reasonOf(op)).toBe(`ONNX has no operator '${op}' (did you mean '${near}'?)`);
  });

  it('GeLU at opset 17: did you mean Gelu, which ONNX defines from opset 20 (Operators.md), after this model\'s opset', () => {
    expect(reasonOf('GeLU', 17)).toBe("ONNX has no operator 'GeLU' (did you mean 'Gelu'? ONNX defines it from opset 20; this model imports ai.onnx opset 17)");
  });

  it('GeLU at opset 20: did you mean Gelu, no opset remark (the answer depends on the opset, not on the first file asked)', () => {
    expect(reasonOf('GeLU', 17)).toContain('from opset 20');
    expect(reasonOf('GeLU', 20)).toBe("ONNX has no operator 'GeLU' (did you mean 'Gelu'?)");
  });

  it('a name near none of ONNX\'s (Frobnicate): no suggestion, the custom-domain remedy', () => {
    expect(reasonOf('Frobnicate')).toBe("ONNX has no operator 'Frobnicate' in its default domain (ai.onnx, opsets 1 to 28): a custom operator belongs in a domain of its own");
  });

  it('an ONNX operator convlens does not map (Hardmax) keeps "convlens does not model ONNX Hardmax"', () => {
    expect(reasonOf('Hardmax')).toBe('convlens does not model ONNX Hardmax');
  });

  it('a custom domain\'s Conv2D is not judged by ai.onnx\'s names', () => {
    expect(reasonOf('Conv2D', 13, 'acme')).toBe('domain acme');
  });

  it('at an opset later than the table covers (29), an unlisted name may be a newer operator: today\'s reason', () => {
    expect(unknownOperatorReason('Conv2D', 28)).not.toBeNull();
    expect(reasonOf('Conv2D', 29)).toBe('convlens does not model ONNX Conv2D');
  });
});

describe('an ai.onnx operator at an opset before the one that defines it', () => {
  /** y = x + Range(0, 4, 1): Range is from opset 11. */
  const withRange = (opset: number) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      initializers: [i64('zero', [0]), i64('four', [4]), i64('one', [1])],
      nodes: [
        { name: 'seq', op: 'Range', inputs: ['zero', 'four', 'one'], outputs: ['r'] },
        { name: 'rf', op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: { i: 1 } } },
        { name: 'add', op: 'Add', inputs: ['x', 'rf'], outputs: ['y'] },
      ],
      opset,
    });
  const warningsOf = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes).graph, DEFAULTS).warnings.filter((w) => w.code === 'ONNX_OPERATOR_BEFORE_OPSET');

  it('Range at opset 7 (Range is from 11): analysed, with an ONNX_OPERATOR_BEFORE_OPSET warning naming the node, the op and both opsets', () => {
    const bytes = withRange(7);
    const report = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    expect(report.layers.find((l) => l.name === 'add')!.outputShape).toEqual([1, 2, 4, 4]);
    expect(warningsOf(bytes)).toEqual([
      {
        code: 'ONNX_OPERATOR_BEFORE_OPSET',
        severity: 'warning',
        message: "node 'seq' uses Range, which ai.onnx defines from opset 11, but the model declares opset 7: onnxruntime refuses such a file; convlens reads Range by its opset-11 definition, the first there is. Declare ai.onnx opset 11 or later (and check the model's other operators at it)",
        layer: 'seq',
        layers: ['seq'],
        opType: 'Range',
        opset: 7,
        since: 11,
      },
    ]);
  });

  it('Range at opset 11: no warning', () => {
    expect(warningsOf(withRange(11))).toEqual([]);
  });

  it.each([
    [11, [{ opType: 'Einsum', opset: 11, since: 12, layers: ['n'] }]],
    [12, []],
  ])('Einsum at opset %i (Einsum is from 12)', (opset, expected) => {
    const w = warningsOf(single('Einsum', opset, undefined, { equation: { s: 'nchw->nhwc' } }));
    expect(w.map(({ opType, opset, since, layers }) => ({ opType, opset, since, layers }))).toEqual(expected);
  });

  it('two Range nodes at opset 7: one warning for the op type, naming both', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      initializers: [i64('zero', [0]), i64('four', [4]), i64('one', [1])],
      nodes: [
        { name: 'a', op: 'Range', inputs: ['zero', 'four', 'one'], outputs: ['ra'] },
        { name: 'b', op: 'Range', inputs: ['zero', 'four', 'one'], outputs: ['rb'] },
        { name: 's', op: 'Add', inputs: ['ra', 'rb'], outputs: ['r'] },
        { name: 'rf', op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: { i: 1 } } },
        { name: 'add', op: 'Add', inputs: ['x', 'rf'], outputs: ['y'] },
      ],
      opset: 7,
    });
    expect(warningsOf(bytes).map((w) => [w.layers, w.message.slice(0, 28)])).toEqual([[['a', 'b'], "2 nodes ('a', 'b') use Range"]]);
  });

  it("a Loop kept whole (torchvision heatmaps_to_keypoints, opset 17) whose body applies Gelu (from 20) to each heatmap: the body's node is warned of too", () => {
    const Model = protobuf.loadSync(path.join(import.meta.dirname, '..', '..', 'schema', 'onnx', 'onnx.proto')).lookupType('onnx.ModelProto');
    type Node = { name: string; opType: string; input: string[]; output: string[]; attribute: { g?: { node: Node[] } }[] };
    const model = Model.toObject(Model.decode(readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'onnx', 'detection', 'heatmaps_to_keypoints.onnx'))), { arrays: true }) as { graph: { node: Node[] } };
    const body = model.graph.node.find((n) => n.opType === 'Loop')!.attribute[0].g!;
    // the heatmap of iteration i ('32' = Gather(maps, i)) through Gelu before its readers
    for (const n of body.node) n.input = n.input.map((i) => (i === '32' ? '32g' : i));
    body.node.splice(1, 0, { name: 'gelu', opType: 'Gelu', input: ['32'], output: ['32g'], attribute: [] });
    const graph = importOnnx(Model.encode(Model.fromObject(model)).finish()).graph;
    expect(graph.layers.filter((l) => l.op === 'loop').map((l) => l.name)).toEqual(['Loop_20']);
    expect(graph.onnxOperatorOpsetNotes).toEqual([{ layer: 'gelu', opType: 'Gelu', since: 20 }]);
  });

  it('a com.microsoft or custom node of an ai.onnx name (Gelu, ai.onnx from 20) is not judged', () => {
    expect(importOnnx(single('Gelu', 17, 'acme')).graph.onnxOperatorOpsetNotes).toBeUndefined();
    expect(importOnnx(single('Gelu', 17)).graph.onnxOperatorOpsetNotes).toEqual([{ layer: 'n', opType: 'Gelu', since: 20 }]);
  });
});

describe('a deprecated operator at or past the opset that deprecates it (Upsample from 10, Scatter from 11: Operators.md "(deprecated)")', () => {
  // x [1, 1, 2, 2] = [1, 2, 3, 4], Upsample nearest ×2: scales an attribute before 9, input 1 from 9
  const upsample = (opset: number) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      outputs: ['y'],
      initializers: opset < 9 ? [] : [{ name: 's', dims: [4], data: [1, 1, 2, 2] }],
      nodes: [{ name: 'up', op: 'Upsample', inputs: opset < 9 ? ['x'] : ['x', 's'], outputs: ['y'], ...(opset < 9 && { attrs: { scales: { floats: [1, 1, 2, 2] } } }) }],
      opset,
    });
  const deprecations = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes).graph, DEFAULTS).warnings.filter((w) => w.code === 'ONNX_OPERATOR_DEPRECATED');
  const NEAREST = [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4];

  it('Upsample at opset 13 (onnx.checker and onnxruntime 1.30 refuse: "Op registered for Upsample is deprecated in domain_version of 13"): read as Upsample-9, nearest ×2 as at 9 (onnxruntime 1.30 at 9: the same 16 values), with an ONNX_OPERATOR_DEPRECATED warning naming Resize', () => {
    const graph = importOnnx(upsample(13)).graph;
    expect(graph.onnxOperatorOpsetNotes).toEqual([{ layer: 'up', opType: 'Upsample', deprecated: 10, readAs: 9, successor: 'Resize' }]);
    expect(Array.from(runGraph(graph, { x: tensor([1, 1, 2, 2], [1, 2, 3, 4]) }, RUN).outputs.y.data)).toEqual(NEAREST);
    expect(deprecations(upsample(13))).toEqual([
      {
        code: 'ONNX_OPERATOR_DEPRECATED',
        severity: 'warning',
        message:
          "node 'up' uses Upsample, which ai.onnx deprecates from opset 10, but the model declares opset 13: onnx.checker and onnxruntime refuse such a file (\"Op registered for Upsample is deprecated in domain_version of 13\"); convlens reads Upsample by its opset-9 definition, the last before. Export it as Resize, which takes its place from opset 10 (onnx.version_converter rewrites it so)",
        layer: 'up',
        layers: ['up'],
        opType: 'Upsample',
        opset: 13,
        deprecated: 10,
        readAs: 9,
        successor: 'Resize',
      },
    ]);
  });

  it.each([7, 8, 9])('Upsample at opset %i (before its deprecation; onnxruntime 1.30 runs it): no note, no warning, nearest ×2', (opset) => {
    const graph = importOnnx(upsample(opset)).graph;
    expect([graph.onnxOperatorOpsetNotes, deprecations(upsample(opset))]).toEqual([undefined, []]);
    expect(Array.from(runGraph(graph, { x: tensor([1, 1, 2, 2], [1, 2, 3, 4]) }, RUN).outputs.y.data)).toEqual(NEAREST);
  });

  it('Upsample at 10 and 17, Scatter at 11 (onnxruntime 1.30 refuses, runs it at 10): warned of, read as their opset-9 definitions; Scatter at 10 not', () => {
    expect([10, 17].map((o) => deprecations(upsample(o)).map((w) => [w.opset, w.readAs, w.successor]))).toEqual([[[10, 9, 'Resize']], [[17, 9, 'Resize']]]);
    const scatter = (opset: number) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        initializers: [{ name: 'i', dims: [1, 1], data: [2], type: 'int64' }, { name: 'u', dims: [1, 1], data: [9] }],
        nodes: [{ name: 'sc', op: 'Scatter', inputs: ['x', 'i', 'u'], outputs: ['y'], attrs: { axis: { i: 1 } } }],
        opset,
      });
    expect(deprecations(scatter(11)).map((w) => [w.layers, w.deprecated, w.readAs, w.successor])).toEqual([[['sc'], 11, 9, 'ScatterElements']]);
    expect(deprecations(scatter(10))).toEqual([]);
    // [1, 2, 3] with 9 scattered to column 2: onnxruntime 1.30 at opset 10 gives [1, 2, 9]
    expect(Array.from(runGraph(importOnnx(scatter(11)).graph, { x: tensor([1, 3], [1, 2, 3]) }, RUN).outputs.y.data)).toEqual([1, 2, 9]);
  });
});

describe('every committed ONNX fixture', () => {
  const root = path.join(import.meta.dirname, '..', 'fixtures');
  const files = execSync(`find ${JSON.stringify(root)} -name '*.onnx'`).toString().trim().split('\n').sort();

  /** Every default-domain node of a graph and the subgraphs its attributes hold (If's branches, Loop's body). */
  function* nodes(g: GraphProto): Generator<{ opType: string; domain: string }> {
    for (const n of g.node) {
      yield n;
      for (const a of n.attribute as unknown as { g?: GraphProto; graphs?: GraphProto[] }[]) for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) yield* nodes(sub);
    }
  }

  it('uses only operators ONNX has, at opsets that define them and have not deprecated them: no new reason or warning', () => {
    expect(files.length).toBeGreaterThan(200);
    const found: string[] = [];
    for (const f of files) {
      const model = decodeModel(readFileSync(f));
      const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1);
      for (const n of nodes(model.graph!)) {
        if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
        const problem =
          unknownOperatorReason(n.opType, opset) ?? (operatorBeforeOpset(n.opType, opset) !== null ? `${n.opType} before its opset` : operatorDeprecated(n.opType, opset) !== null ? `${n.opType} deprecated at ${opset}` : null);
        if (problem) found.push(`${path.relative(root, f)}: ${problem}`);
      }
    }
    expect(found).toEqual([]);
  });
});
