/**
 * ONNX sequences resolved at import: a sequence whose elements and positions are known once If and
 * Loop are inlined (control-flow.ts) is a list of tensor names, and the nodes that read it become
 * tensor nodes. No sequence reaches the analysis.
 *
 * torch.onnx writes them for lists the trace cannot unpack: torch.tensor_split(x, (1,), dim) at
 * opset ≥ 13 is SequenceEmpty, a Loop over the indices (trip count a constant: the number of
 * indices) whose body Slices x and SequenceInserts the part, a last SequenceInsert of the rest, and a
 * SequenceAt per element read (torchvision's MViT separates its class token so, in every pooling).
 * Once the Loop is unrolled the sequence is built by constant steps:
 *
 *   SequenceEmpty                 []
 *   SequenceConstruct(a, b, …)    [a, b, …]
 *   SequenceInsert(S, t[, p])     S with t inserted at p (default: appended; p < 0 counts from the end)
 *   SequenceErase(S[, p])         S without element p (default: the last)
 *   SplitToSequence(x, split)     the parts of a Split of x by the constant 1-D `split`
 *   Identity(S)                   S (a Loop's final carried value, an If branch's output)
 *
 * and read by
 *
 *   SequenceAt(S, p)              Identity(S[p])
 *   SequenceLength(S)             the int64 scalar |S|, a constant
 *   ConcatFromSequence(S)         Concat(S…, axis); with new_axis = 1 each element Unsqueezed at axis first
 *
 * A position must be a constant, and `split` a constant 1-D tensor (a scalar or absent split makes
 * as many parts as the input's axis has room for, which the import does not know). A sequence that
 * cannot be resolved so, or that anything else reads (a graph output, a Loop kept whole, an If of a
 * computed condition), keeps its nodes, unsupported with the reason: the report is incomplete, not
 * failed.
 */
import type { AttributeProto, NodeProto, TensorProto } from './proto.js';
import type { DataType } from '../../tensor/dtype.js';

interface SequenceFlatNode {
  node: NodeProto;
  path: string;
  unsupported?: string;
}

/** What the resolution needs of the flattened graph. */
export interface SequenceContext<F extends SequenceFlatNode> {
  nodes: F[];
  initializers: TensorProto[];
  types: Map<string, DataType>;
  opset: number;
  /** The value of a constant scalar (or one-element) tensor by its final name, else undefined. */
  scalar(name: string): number | undefined;
  /** The values of a constant integer tensor of rank ≤ 1 by its final name, else undefined. */
  ints(name: string): { values: number[]; rank: number } | undefined;
  /** The graph's outputs: a sequence among them keeps its nodes. */
  outputs: readonly string[];
  /** An int64 tensor made here (constants the rewritten nodes read). */
  int64(name: string, dims: number[], values: number[]): TensorProto;
}

const isDefault = (d: string | null | undefined) => !d || d === 'ai.onnx';

/** ONNX sequence operators: those that make a sequence, and those that read one. */
const MAKES = new Set(['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceErase', 'SplitToSequence']);
const READS = new Set(['SequenceAt', 'SequenceLength', 'ConcatFromSequence']);

const node = (opType: string, input: string[], output: string[], name: string, attribute: AttributeProto[] = []): NodeProto =>
  ({ opType, input, output, name, domain: '', attribute }) as NodeProto;

const intAttr = (n: NodeProto, name: string, fallback: number): number => {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i ?? fallback) : fallback;
};

/** Whether the flattened graph holds a sequence operator at all (most do not: nothing to do). */
function hasSequences(nodes: readonly SequenceFlatNode[]): boolean {
  return nodes.some(({ node: n }) => isDefault(n.domain) && (MAKES.has(n.opType) || READS.has(n.opType)));
}

/**
 * Rewrites `ctx.nodes` in place: resolved sequence readers become tensor nodes (under the reader's
 * name and path), the nodes that only built resolved sequences go; what cannot be resolved stays,
 * unsupported with the reason.
 */
export function resolveSequences<F extends SequenceFlatNode>(ctx: SequenceContext<F>): void {
  if (!hasSequences(ctx.nodes)) return;
  /** a sequence's elements by its name; null: a sequence that cannot be resolved (why in `unknown`) */
  const seqs = new Map<string, string[] | null>();
  const unknown = new Map<string, string>();
  /** per node index: its replacement (resolved readers), or 'drop' (resolved builders) */
  const plan = new Map<number, F[] | 'drop'>();
  /** the nodes that built each sequence, to keep them when a reader cannot be resolved */
  const builders = new Map<string, number[]>();
  /** elements that resolved readers read */
  const taken = new Set<string>();
  const position = (name: string | undefined, length: number, insert: boolean, fallback: number): number | string => {
    if (!name) return fallback;
    const p = ctx.scalar(name);
    if (p === undefined || !Number.isInteger(p)) return `its position '${name}' is computed, not a constant`;
    const at = p < 0 ? p + length : p;
    const top = insert ? length : length - 1;
    if (at < 0 || at > top) return `position ${p} is outside a sequence of ${length} element${length === 1 ? '' : 's'}`;
    return at;
  };
  /** why a node's sequence cannot be resolved, by the node's index */
  const failed = new Map<number, string>();
  const fail = (i: number, out: string, why: string) => {
    seqs.set(out, null);
    unknown.set(out, why);
    builders.set(out, [i]);
    failed.set(i, why);
  };
  const made = (i: number, out: string, elements: string[], from: string[]) => {
    seqs.set(out, elements);
    builders.set(out, [...from.flatMap((s) => builders.get(s) ?? []), i]);
    plan.set(i, 'drop');
  };

  ctx.nodes.forEach((f, i) => {
    const n = f.node;
    if (!isDefault(n.domain) || f.unsupported) return;
    const out = n.output[0] ?? '';
    const seqIn = n.input[0] !== undefined && seqs.has(n.input[0]) ? n.input[0] : null;
    const elements = seqIn ? seqs.get(seqIn)! : null;
    if (n.opType === 'Identity' && seqIn) {
      if (elements) made(i, out, [...elements], [seqIn]);
      else fail(i, out, unknown.get(seqIn)!);
      return;
    }
    if (MAKES.has(n.opType)) {
      switch (n.opType) {
        case 'SequenceEmpty':
          return made(i, out, [], []);
        case 'SequenceConstruct':
          return made(i, out, [...n.input], []);
        case 'SplitToSequence': {
          const split = n.input[1] ? ctx.ints(n.input[1]) : undefined;
          if (!split || split.rank !== 1) return fail(i, out, `SplitToSequence '${n.name}' ${n.input[1] ? 'with a scalar or computed split' : 'without a split'}: the number of parts depends on the input's shape, which the import does not know`);
          const parts = split.values.map((_, k) => `${out}/${k}`);
          const axis = intAttr(n, 'axis', 0);
          const attrs = [{ name: 'axis', type: 2, i: axis }] as unknown as AttributeProto[];
          let inputs = [n.input[0]];
          if (ctx.opset >= 13) inputs = [n.input[0], n.input[1]];
          else attrs.push({ name: 'split', type: 7, ints: split.values } as unknown as AttributeProto);
          made(i, out, parts, []);
          parts.forEach((p) => ctx.types.set(p, ctx.types.get(n.input[0]) ?? 'float32'));
          plan.set(i, [{ ...f, node: node('Split', inputs, parts, n.name, attrs) }]);
          return;
        }
        case 'SequenceInsert':
        case 'SequenceErase': {
          if (!seqIn) return fail(i, out, `${n.opType} '${n.name}' reads '${n.input[0]}', which is not a sequence built by constant steps`);
          if (!elements) return fail(i, out, unknown.get(seqIn)!);
          const insert = n.opType === 'SequenceInsert';
          const at = position(n.input[insert ? 2 : 1], elements.length, insert, insert ? elements.length : elements.length - 1);
          if (typeof at === 'string') return fail(i, out, `${n.opType} '${n.name}': ${at}`);
          const next = [...elements];
          if (insert) next.splice(at, 0, n.input[1]);
          else next.splice(at, 1);
          return made(i, out, next, [seqIn]);
        }
      }
    }
    if (!READS.has(n.opType)) return;
    if (!seqIn) return void failed.set(i, `'${n.input[0]}' is not a sequence built by constant steps`);
    if (!elements) return void failed.set(i, unknown.get(seqIn)!);
    if (n.opType === 'SequenceAt') {
      const at = position(n.input[1], elements.length, false, 0);
      if (typeof at === 'string') return void failed.set(i, `SequenceAt '${n.name}': ${at}`);
      ctx.types.set(out, ctx.types.get(elements[at]) ?? 'float32');
      taken.add(elements[at]);
      plan.set(i, [{ ...f, node: node('Identity', [elements[at]], [out], n.name) }]);
    } else if (n.opType === 'SequenceLength') {
      ctx.initializers.push(ctx.int64(out, [], [elements.length]));
      ctx.types.set(out, 'int64');
      plan.set(i, []);
    } else {
      if (elements.length === 0) return void failed.set(i, `ConcatFromSequence '${n.name}' of an empty sequence`);
      const axis = intAttr(n, 'axis', 0);
      const concatAttrs = [{ name: 'axis', type: 2, i: axis }] as unknown as AttributeProto[];
      const rewritten: F[] = [];
      let parts = elements;
      if (intAttr(n, 'new_axis', 0) === 1) {
        const axes = ctx.int64(`${out}/axes`, [1], [axis]);
        if (ctx.opset >= 13) ctx.initializers.push(axes);
        parts = elements.map((e, k) => {
          const u = `${out}/${k}`;
          const attr = ctx.opset >= 13 ? [] : ([{ name: 'axes', type: 7, ints: [axis] }] as unknown as AttributeProto[]);
          rewritten.push({ ...f, node: node('Unsqueeze', ctx.opset >= 13 ? [e, axes.name] : [e], [u], `${n.name}/unsqueeze${k}`, attr) });
          ctx.types.set(u, ctx.types.get(e) ?? 'float32');
          return u;
        });
      }
      rewritten.push({ ...f, node: node('Concat', parts, [out], n.name, concatAttrs) });
      elements.forEach((e) => taken.add(e));
      ctx.types.set(out, ctx.types.get(elements[0]) ?? 'float32');
      plan.set(i, rewritten);
    }
  });

  // a sequence read by a node that is not resolved, or a graph output: its builders stay
  const kept = new Set<string>();
  for (const o of ctx.outputs) if (seqs.has(o)) keep(o, unknown.get(o) ?? `the sequence '${o}' is a graph output: convlens analyses tensors`);
  ctx.nodes.forEach((f, i) => {
    const own = failed.get(i);
    if (own !== undefined && !f.unsupported) f.unsupported = `a sequence convlens cannot resolve: ${own}`;
    if (plan.has(i)) return;
    f.node.input.forEach((r, k) => {
      if (!seqs.has(r)) return;
      const reader = `'${f.node.name}' (${f.node.opType}${k > 0 ? `, input ${k}` : ''})`;
      keep(r, unknown.get(r) ?? `the sequence '${r}' is read by ${reader}, ${own ? `which cannot be resolved: ${own}` : 'which convlens does not resolve'}`);
    });
  });
  function keep(seq: string, why: string): void {
    if (kept.has(seq)) return;
    kept.add(seq);
    for (const b of builders.get(seq) ?? []) {
      const f = ctx.nodes[b];
      const p = plan.get(b);
      if (!f.unsupported) f.unsupported = `a sequence convlens cannot resolve: ${why}`;
      // a SplitToSequence kept: its Split still writes the parts where resolved readers took one
      if (p === 'drop') plan.delete(b);
      else if (p && !p.includes(f)) plan.set(b, seqs.get(f.node.output[0])!.some((e) => taken.has(e)) ? [...p, f] : [f]);
      // the sequences this builder read are still needed
      for (const r of f.node.input) if (seqs.has(r) && r !== seq) keep(r, why);
    }
  }
  const rewritten: F[] = [];
  ctx.nodes.forEach((f, i) => {
    const p = plan.get(i);
    if (p === 'drop') return;
    if (p) rewritten.push(...p);
    else rewritten.push(f);
  });
  ctx.nodes.splice(0, ctx.nodes.length, ...rewritten);
}
