/**
 * One parameter for every call of a module a model calls more than once.
 *
 * torch.onnx folds constant arithmetic on a parameter (GroupNorm's `weight.unsqueeze(…)`) into a
 * new initializer at each call of the module, then merges initializers of equal value into one and
 * writes the others as `Identity` of it (its deduplicate-initializers pass; the importer makes such
 * an Identity an alias of the constant). An FPN head shared by five levels (FCOS, RetinaNet v2)
 * then reads five aliases of its GroupNorm's γ and β, and counting each alias as a parameter counts
 * the shared module five times. The merge is by value, so distinct modules whose parameters happen
 * to be equal (γ = 1 before training) share one initializer too, and must stay distinct.
 *
 * What tells the calls of one module apart from distinct modules is the node's name: torch names a
 * node `/<module path>/<Op>` and the k-th further call of a module `<module>_k`
 * (`/head/classification_head/conv/conv.1_4/Mul` is the fifth call of `conv.1`'s Mul). A module may
 * be named so itself (Inception's `branch5x5_1` and `branch5x5_2`, ViT's `encoder_layer_11`), so a
 * `_k` is read as a call suffix only where the module it would be a call of (`conv.1`, under the same
 * parent) is in the graph too. Aliases of one stored initializer read at the same input of nodes
 * whose names are equal once the call suffixes are removed are one parameter: every reader is bound
 * to the first alias, so the analysis counts it once, as PyTorch's `model.parameters()` counts a
 * shared module once. Names without a module path (no leading `/`) are left alone. Sibling modules
 * named `x` and `x_1` are told apart by the rest of what they read: a second call of a module reads
 * the same stored tensors as the first (its conv weights), a distinct module reads its own; two
 * siblings that differ in nothing stored but equal folded values would still be merged.
 */
import type { GraphLayer } from '../graph.js';

/**
 * The call site of each node name among `names`: `/a/b_2/c.1_4/Mul_3` → `/a/b/c.1/Mul_3` when the
 * modules `/a/b` and `/a/b/c.1` are in the graph (the node's own name, `Mul_3`, is kept); null for
 * a name without a module path.
 */
export function callSites(names: Iterable<string>): (name: string) => string | null {
  const modules = new Set<string>();
  for (const name of names) {
    if (!name.startsWith('/')) continue;
    const parts = name.split('/').slice(1, -1);
    parts.forEach((_, i) => modules.add('/' + parts.slice(0, i + 1).join('/')));
  }
  return (name) => {
    if (!name.startsWith('/')) return null;
    const parts = name.split('/').slice(1);
    if (parts.length < 2) return null;
    const leaf = parts.pop()!;
    let path = '';
    for (const part of parts) {
      const base = /^(.+)_\d+$/.exec(part)?.[1];
      path += base !== undefined && modules.has(`${path}/${base}`) ? `/${base}` : `/${part}`;
    }
    return `${path}/${leaf}`;
  };
}

/** Every read of a layer: its inputs by index and its bound weights by role, each with its slot's name. */
function reads(layer: GraphLayer): [slot: string, ref: string][] {
  return [...layer.inputs.map((ref, k) => [`input ${k}`, ref] as [string, string]), ...Object.entries(layer.weights ?? {}).map(([role, w]) => [`weight ${role}`, w.constant] as [string, string])];
}

/**
 * Rebinds, in place, each layer's reads of an alias to the first alias of the same stored
 * initializer read at the same input of the same call site. `aliasOf` maps an alias (an Identity's
 * output) to the initializer it stands for, chains resolved; `isConstant` tells a stored tensor
 * from an activation. A call of a module is one only where every constant it reads is the
 * reference call's at the same site and slot: a sibling `x_1` of a module `x` that reads other
 * weights anywhere (its own conv) is another module, whatever its equal γ says.
 */
export function shareRepeatedCallParameters(layers: GraphLayer[], aliasOf: ReadonlyMap<string, string>, isConstant: (ref: string) => boolean): void {
  if (aliasOf.size === 0) return;
  const roots = new Set(aliasOf.values());
  const callSite = callSites(layers.map((l) => l.name));
  const modulePath = (name: string) => name.slice(0, name.lastIndexOf('/'));
  // each module's calls (raw module paths) against its first call's constant reads, by site and slot
  const reference = new Map<string, { call: string; roots: Map<string, string> }>();
  const calls = new Map<string, Map<string, string>>();
  for (const layer of layers) {
    const site = callSite(layer.name);
    if (site === null) continue;
    const call = modulePath(layer.name);
    const own = calls.get(call) ?? new Map<string, string>();
    calls.set(call, own);
    for (const [slot, ref] of reads(layer)) if (isConstant(ref)) own.set(`${site}\u0000${slot}`, aliasOf.get(ref) ?? ref);
    if (!reference.has(modulePath(site))) reference.set(modulePath(site), { call, roots: own });
  }
  // a call reading another constant than the reference call is another module, and so is every
  // enclosing module whose name differs from the reference's there (/blk_1 when /blk_1/conv differs from /blk/conv)
  const distinct = new Set<string>();
  const prefixes = (path: string) => path.split('/').slice(1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'));
  for (const [call, own] of calls) {
    const ref = reference.get(modulePath(callSite(`${call}/x`)!))!;
    if (ref.call === call || ![...own].some(([key, root]) => ref.roots.has(key) && ref.roots.get(key) !== root)) continue;
    const theirs = prefixes(ref.call);
    prefixes(call).forEach((p, i) => p !== theirs[i] && distinct.add(p));
  }
  const isDistinct = (layer: GraphLayer) => prefixes(modulePath(layer.name)).some((p) => distinct.has(p));
  const first = new Map<string, string>();
  for (const layer of layers) {
    // the call site and whether the call is another module: once per layer, not per read
    const site = callSite(layer.name);
    if (site === null || isDistinct(layer)) continue;
    const bound = (slot: string, ref: string): string => {
      const root = aliasOf.get(ref) ?? (roots.has(ref) ? ref : null);
      if (root === null) return ref;
      const key = `${root}\u0000${site}\u0000${slot}`;
      const kept = first.get(key);
      if (kept === undefined) first.set(key, ref);
      return kept ?? ref;
    };
    layer.inputs = layer.inputs.map((ref, k) => bound(`input ${k}`, ref));
    if (layer.weights) {
      for (const [role, w] of Object.entries(layer.weights)) layer.weights[role] = { ...w, constant: bound(`weight ${role}`, w.constant) };
    }
  }
}
