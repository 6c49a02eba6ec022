/**
 * Mutually exclusive branches (OpDef.exclusiveBranches: an ONNX If whose condition depends on
 * tensor values, both branches inlined as layers by graph/onnx/control-flow.ts). One branch runs,
 * so the totals count, per metric (MACs, FLOPs under each convention, memory access), the larger
 * of the branches, not their sum: still an upper bound of the branch taken, and tighter. The
 * layers of both stay listed with their own figures, so the totals of such a graph are less than
 * the sum of its layers by the credit computed here, which the If's warning states.
 *
 *   credit_m(If) = Σ_b branch_m(b) − max_b branch_m(b), for each metric m
 *   branch_m(b) = Σ_{executed layers l in b} m(l) − Σ_{Ifs i nested in b} credit_m(i)
 * Nested Ifs are credited first (innermost: fewest layers), so an outer branch is measured as it
 * will be counted.
 */
import type { AnalysedLayer } from './infer.js';
import type { LayerReport } from './report.js';

interface Exclusive {
  name: string;
  branches: readonly (readonly string[])[];
}

/** What to subtract from a sum over executed layers of metric f: the If credits. */
export function branchCredit(analysed: readonly AnalysedLayer[], layers: readonly LayerReport[]): (f: (l: LayerReport) => number) => number {
  const ifs: Exclusive[] = [];
  for (const a of analysed) {
    const branches = a.op?.exclusiveBranches && a.inferred ? a.op.exclusiveBranches(a.layer.attrs, a.inferred.plan) : null;
    if (branches && branches.length > 1) ifs.push({ name: a.layer.name, branches });
  }
  if (ifs.length === 0) return () => 0;
  const size = (x: Exclusive) => x.branches.reduce((s, b) => s + b.length, 0);
  ifs.sort((x, y) => size(x) - size(y));
  // a declaration is taken only when it describes real nesting (a spec may write ifSelect's lists):
  // its branches are disjoint and do not list the If itself, and any two Ifs' layers are disjoint or
  // one If lies, with all its layers, inside one branch of the other; else its branches are summed
  const unionOf = new Map(ifs.map((x) => [x.name, new Set(x.branches.flat())]));
  const outputsOf = new Map(analysed.map((a) => [a.layer.name, a.layer.outputs]));
  const readers = new Map<string, string[]>();
  for (const a of analysed) for (const t of a.layer.inputs) (readers.get(t) ?? readers.set(t, []).get(t)!).push(a.layer.name);
  // a branch is the If's only when what its layers write is read inside that branch or by the If
  // itself: two unrelated chains that both feed later layers are not alternatives
  const confined = (x: Exclusive): boolean =>
    x.branches.every((br) => {
      const inBranch = new Set(br);
      return br.every((n) => outputsOf.has(n) && outputsOf.get(n)!.every((t) => (readers.get(t) ?? []).every((r) => r === x.name || inBranch.has(r))));
    });
  // each layer's Ifs and the branch of each it is in: the pairs of Ifs that share a layer are found
  // through it, not by comparing every If with every other (4,095 nested Ifs took 17 s that way)
  // (a layer in two branches of one If: both indices, as a malformed declaration may list it)
  const owners = new Map<string, Map<string, Set<number>>>();
  for (const x of ifs) {
    x.branches.forEach((br, b) =>
      br.forEach((n) => {
        const of = owners.get(n) ?? owners.set(n, new Map()).get(n)!;
        (of.get(x.name) ?? of.set(x.name, new Set()).get(x.name)!).add(b);
      }),
    );
  }
  /** Whether If `a` lies, with all its layers, in one branch of If `b` that holds `a` itself. */
  const inside = (a: string, b: string): boolean =>
    [...(owners.get(a)?.get(b) ?? [])].some((at) => [...unionOf.get(a)!].every((n) => owners.get(n)?.get(b)?.has(at) === true));
  const wellFormed = (x: Exclusive): boolean => {
    const all = unionOf.get(x.name)!;
    if (all.size !== size(x) || all.has(x.name) || !confined(x)) return false;
    // the Ifs that share a layer with x, hold x, or lie in it: each nested one way; any other is disjoint from it
    const related = new Set<string>(owners.get(x.name)?.keys() ?? []);
    for (const n of all) {
      for (const y of owners.get(n)?.keys() ?? []) related.add(y);
      if (unionOf.has(n)) related.add(n);
    }
    related.delete(x.name);
    return [...related].every((y) => inside(x.name, y) || inside(y, x.name));
  };
  const accepted = ifs.filter(wellFormed);
  if (accepted.length === 0) return () => 0;
  const executed = new Map(layers.filter((l) => l.executed).map((l) => [l.name, l]));
  return (f) => {
    const credit = new Map<string, number>();
    let total = 0;
    for (const x of accepted) {
      const sums = x.branches.map((names) => names.reduce((s, n) => s + (executed.has(n) ? f(executed.get(n)!) : 0) - (credit.get(n) ?? 0), 0));
      const c = sums.reduce((s, v) => s + v, 0) - Math.max(...sums);
      credit.set(x.name, c);
      total += c;
    }
    return total;
  };
}
