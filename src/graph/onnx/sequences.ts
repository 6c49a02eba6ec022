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
 *
 * Bounded and linear: a sequence is a view (the first `length` entries of a list it may share with
 * the sequence it came from), so Identity shares, appending to the longest view of a list or erasing
 * its last element is O(1), and only an insertion or erasure elsewhere (or an append to a shorter
 * view) copies. The elements those lists hold, summed over every sequence, may not pass
 * MAX_SEQUENCE_ELEMENTS; the nodes resolution writes (each Unsqueeze of ConcatFromSequence's
 * new_axis, each Concat input) count against what is left of the import's MAX_INLINED_NODES. Past
 * either, the step that would pass it (and what reads its sequence) stays unsupported, naming the limit.
 */
import type { AttributeProto, NodeProto, TensorProto } from './proto.js';
import type { DataType } from '../../tensor/dtype.js';
import type { FieldSource } from './file-fields.js';
import { attributesOf } from './attributes.js';

interface SequenceFlatNode {
  node: NodeProto;
  path: string;
  /** The file's node at `path` when `node` is written in its place (control-flow.ts FlatNode.file). */
  file?: NodeProto;
  unsupported?: string;
  /** The input of the node its own reason is about (a computed position), where a run refuses it (control-flow.ts FlatNode.unsupportedAt). */
  unsupportedAt?: FieldSource;
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
  /** The import's node limit and what is left of it once If and Loop are inlined: the nodes resolution writes count against it. */
  nodeBudget: { limit: number; left: number };
}

/** Elements written into sequences' lists, summed over the import (copies included). */
export const MAX_SEQUENCE_ELEMENTS = 100_000;

/** A sequence: the first `length` entries of `list` (shared with the sequences it came from). */
interface Seq {
  list: string[];
  length: number;
}
/** a copy: a list may grow after (an append to the sequence), and a node must not see it */
const elementsOf = (s: Seq): string[] => s.list.slice(0, s.length);

const isDefault = (d: string | null | undefined) => !d || d === 'ai.onnx';

/** ONNX sequence operators: those that make a sequence, and those that read one. */
const MAKES = new Set(['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceErase', 'SplitToSequence']);
const READS = new Set(['SequenceAt', 'SequenceLength', 'ConcatFromSequence']);

const node = (opType: string, input: string[], output: string[], name: string, attribute: AttributeProto[] = []): NodeProto =>
  ({ opType, input, output, name, domain: '', attribute }) as NodeProto;

/** A node's name in messages: an unnamed one `<op type>_<index>` (its index in the flattened graph), as the importer names it (import.ts). */
const nameOf = (n: NodeProto, i: number): string => n.name || `${n.opType}_${i}`;

/** An INT attribute of the file's node `f` (at index i), read by its type (attributes.ts): a FLOAT axis is ONNX_GRAPH_INVALID at its AttributeProto, never the default. */
const intAttr = (f: SequenceFlatNode, i: number, name: string, fallback: number): number => attributesOf(f.node, nameOf(f.node, i), f.path).int(name, fallback);

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
  const seqs = new Map<string, Seq | null>();
  const unknown = new Map<string, string>();
  /** per node index: its replacement (resolved readers), or 'drop' (resolved builders) */
  const plan = new Map<number, F[] | 'drop'>();
  /** the node that built each sequence (the ones before it are reached through its inputs), to keep them when a reader cannot be resolved */
  const builders = new Map<string, number>();
  /** elements written into sequences' lists so far (MAX_SEQUENCE_ELEMENTS) */
  let written = 0;
  /** nodes and Concat inputs resolution may still write (the import's MAX_INLINED_NODES) */
  let nodesLeft = ctx.nodeBudget.left;
  const elementLimit = `resolving it would pass ${MAX_SEQUENCE_ELEMENTS} sequence elements across the import (MAX_SEQUENCE_ELEMENTS)`;
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
  /** why a node's sequence cannot be resolved, by the node's index, and the input of the node that is about (a computed position) */
  const failed = new Map<number, string>();
  const failedAt = new Map<number, number>();
  const refuse = (i: number, why: string, at?: number) => {
    failed.set(i, why);
    if (at !== undefined) failedAt.set(i, at);
  };
  const fail = (i: number, out: string, why: string, at?: number) => {
    seqs.set(out, null);
    unknown.set(out, why);
    builders.set(out, i);
    refuse(i, why, at);
  };
  /** a sequence made by node i, `cost` elements written into lists: past MAX_SEQUENCE_ELEMENTS it fails instead */
  const made = (i: number, out: string, seq: Seq, cost: number, what: string) => {
    written += cost;
    if (written > MAX_SEQUENCE_ELEMENTS) return fail(i, out, `${what}: ${elementLimit}`);
    seqs.set(out, seq);
    builders.set(out, i);
    plan.set(i, 'drop');
  };

  ctx.nodes.forEach((f, i) => {
    const n = f.node;
    if (!isDefault(n.domain) || f.unsupported) return;
    const out = n.output[0] ?? '';
    const seqIn = n.input[0] !== undefined && seqs.has(n.input[0]) ? n.input[0] : null;
    const seq = seqIn ? seqs.get(seqIn)! : null;
    const label = nameOf(n, i);
    const what = `${n.opType} '${label}'`;
    if (n.opType === 'Identity' && seqIn) {
      if (seq) made(i, out, seq, 0, what);
      else fail(i, out, unknown.get(seqIn)!);
      return;
    }
    if (MAKES.has(n.opType)) {
      switch (n.opType) {
        case 'SequenceEmpty':
          return made(i, out, { list: [], length: 0 }, 0, what);
        case 'SequenceConstruct':
          return made(i, out, { list: [...n.input], length: n.input.length }, n.input.length, what);
        case 'SplitToSequence': {
          const split = n.input[1] ? ctx.ints(n.input[1]) : undefined;
          if (!split || split.rank !== 1) return fail(i, out, `SplitToSequence '${label}' ${n.input[1] ? 'with a scalar or computed split' : 'without a split'}: the number of parts depends on the input's shape, which the import does not know`, n.input[1] ? 1 : undefined);
          const parts = split.values.map((_, k) => `${out}/${k}`);
          const axis = intAttr(f, i, 'axis', 0);
          const attrs = [{ name: 'axis', type: 2, i: axis }] as unknown as AttributeProto[];
          let inputs = [n.input[0]];
          if (ctx.opset >= 13) inputs = [n.input[0], n.input[1]];
          else attrs.push({ name: 'split', type: 7, ints: split.values } as unknown as AttributeProto);
          made(i, out, { list: [...parts], length: parts.length }, parts.length, what);
          if (!seqs.get(out)) return;
          parts.forEach((p) => ctx.types.set(p, ctx.types.get(n.input[0]) ?? 'float32'));
          plan.set(i, [{ ...f, node: node('Split', inputs, parts, label, attrs), file: f.file ?? n }]);
          return;
        }
        case 'SequenceInsert':
        case 'SequenceErase': {
          if (!seqIn) return fail(i, out, `${n.opType} '${label}' reads '${n.input[0]}', which is not a sequence built by constant steps`, 0);
          if (!seq) return fail(i, out, unknown.get(seqIn)!);
          const insert = n.opType === 'SequenceInsert';
          const { list, length } = seq;
          const at = position(n.input[insert ? 2 : 1], length, insert, insert ? length : length - 1);
          if (typeof at === 'string') return fail(i, out, `${what}: ${at}`, insert ? 2 : 1);
          // appending to the longest view of its list, or dropping the last element: shared, no copy
          if (insert && at === length && list.length === length) {
            list.push(n.input[1]);
            return made(i, out, { list, length: length + 1 }, 1, what);
          }
          if (!insert && at === length - 1) return made(i, out, { list, length: length - 1 }, 0, what);
          // elsewhere: a copy, its length counted (checked before it is made)
          if (written + length + 1 > MAX_SEQUENCE_ELEMENTS) return fail(i, out, `${what}: ${elementLimit}`);
          const next = list.slice(0, length);
          if (insert) next.splice(at, 0, n.input[1]);
          else next.splice(at, 1);
          return made(i, out, { list: next, length: next.length }, next.length, what);
        }
      }
    }
    if (!READS.has(n.opType)) return;
    if (!seqIn) return refuse(i, `'${n.input[0]}' is not a sequence built by constant steps`, 0);
    if (!seq) return void failed.set(i, unknown.get(seqIn)!);
    if (n.opType === 'SequenceAt') {
      const at = position(n.input[1], seq.length, false, 0);
      if (typeof at === 'string') return refuse(i, `SequenceAt '${label}': ${at}`, 1);
      const e = seq.list[at];
      ctx.types.set(out, ctx.types.get(e) ?? 'float32');
      taken.add(e);
      plan.set(i, [{ ...f, node: node('Identity', [e], [out], label), file: f.file ?? n }]);
    } else if (n.opType === 'SequenceLength') {
      ctx.initializers.push(ctx.int64(out, [], [seq.length]));
      ctx.types.set(out, 'int64');
      plan.set(i, []);
    } else {
      if (seq.length === 0) return void failed.set(i, `ConcatFromSequence '${label}' of an empty sequence`);
      const newAxis = intAttr(f, i, 'new_axis', 0) === 1;
      // its Concat's inputs, and with new_axis an Unsqueeze per element: against the import's node limit
      const cost = newAxis ? 2 * seq.length : seq.length;
      if (cost > nodesLeft) {
        const { limit } = ctx.nodeBudget;
        return void failed.set(i, `ConcatFromSequence '${label}' of ${seq.length} elements: its ${newAxis ? `${seq.length} Unsqueezes and ` : ''}Concat inputs would pass the import's limit of ${limit} inlined nodes (MAX_INLINED_NODES; ${Math.max(nodesLeft, 0)} left)`);
      }
      nodesLeft -= cost;
      const elements = elementsOf(seq);
      const axis = intAttr(f, i, 'axis', 0);
      const concatAttrs = [{ name: 'axis', type: 2, i: axis }] as unknown as AttributeProto[];
      const rewritten: F[] = [];
      let parts = elements;
      if (newAxis) {
        const axes = ctx.int64(`${out}/axes`, [1], [axis]);
        if (ctx.opset >= 13) ctx.initializers.push(axes);
        parts = elements.map((e, k) => {
          const u = `${out}/${k}`;
          const attr = ctx.opset >= 13 ? [] : ([{ name: 'axes', type: 7, ints: [axis] }] as unknown as AttributeProto[]);
          rewritten.push({ ...f, node: node('Unsqueeze', ctx.opset >= 13 ? [e, axes.name] : [e], [u], `${label}/unsqueeze${k}`, attr), file: f.file ?? n });
          ctx.types.set(u, ctx.types.get(e) ?? 'float32');
          return u;
        });
      }
      rewritten.push({ ...f, node: node('Concat', parts, [out], label, concatAttrs), file: f.file ?? n });
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
    if (own !== undefined && !f.unsupported) {
      f.unsupported = `a sequence convlens cannot resolve: ${own}`;
      if (failedAt.has(i)) f.unsupportedAt = failedAt.get(i);
    }
    if (plan.has(i)) return;
    f.node.input.forEach((r, k) => {
      if (!seqs.has(r)) return;
      const reader = `'${nameOf(f.node, i)}' (${f.node.opType}${k > 0 ? `, input ${k}` : ''})`;
      keep(r, unknown.get(r) ?? `the sequence '${r}' is read by ${reader}, ${own ? `which cannot be resolved: ${own}` : 'which convlens does not resolve'}`);
    });
  });
  /** keeps the node that built `seq` and, through its inputs, every node before it (iteratively: a chain may be long) */
  function keep(start: string, why: string): void {
    const stack = [start];
    while (stack.length) {
      const seq = stack.pop()!;
      if (kept.has(seq)) continue;
      kept.add(seq);
      const b = builders.get(seq);
      if (b === undefined) continue;
      const f = ctx.nodes[b];
      const p = plan.get(b);
      if (!f.unsupported) f.unsupported = `a sequence convlens cannot resolve: ${why}`;
      // a SplitToSequence kept: its Split still writes the parts where resolved readers took one
      if (p === 'drop') plan.delete(b);
      else if (p && !p.includes(f)) plan.set(b, elementsOf(seqs.get(f.node.output[0])!).some((e) => taken.has(e)) ? [...p, f] : [f]);
      // the sequences this builder read are still needed
      for (const r of f.node.input) if (seqs.has(r) && r !== seq) stack.push(r);
    }
  }
  const rewritten: F[] = [];
  ctx.nodes.forEach((f, i) => {
    const p = plan.get(i);
    if (p === 'drop') return;
    if (p) for (const r of p) rewritten.push(r);
    else rewritten.push(f);
  });
  ctx.nodes.length = 0;
  for (const f of rewritten) ctx.nodes.push(f);
}
