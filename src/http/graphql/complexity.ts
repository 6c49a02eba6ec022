/**
 * A validation rule that bounds what one GraphQL operation may ask for, before any resolver runs:
 *   - weight of its root fields: run 25, sweep 25, effectiveReceptiveField 25, compare 20, analyze 10, runOperator 10,
 *     foldBatchNorm 5; the catalog reads by the answer they build on the event loop (model 5,
 *     operators 5, conventions 3), any other 1 (a mutation: submitJob 10, any other 1), plus the analyses a
 *     Report adds in the same worker task wherever they are selected (html 3, which runs the memory
 *     analysis too; memory 2, explain 2; deployed, roofline, modules, convention, markdown, csv,
 *     netron 1); every alias counts (three aliased `run`s
 *     weigh 75), at most LIMITS.rootWeight;
 *   - fields selected, fragments expanded at every spread, at most LIMITS.fields (introspection
 *     fields included: getIntrospectionQuery() selects 220 to 229);
 *   - nesting depth, at most LIMITS.depth, where the subtrees of `__schema` and `__type` are exempt
 *     (graphql-js getIntrospectionQuery() nests TypeRef nine `ofType` levels deep; the schema itself
 *     is acyclic, so no other path gets near the limit);
 *   - below the root, one response name per field: `a: data b: data` under one tensor, or 300 aliases
 *     of `name` under `layers`, are refused. The fields below the root that take arguments are the
 *     Report's analyses, which one analysis computes once (graphql/analysis.ts refuses them twice
 *     with different arguments); other aliases repeat the same value, and under a list they multiply the answer by the list's length (the
 *     layers of a 10^5-node graph, every output of a run): with one name per field an answer is at
 *     most what REST answers for the same call. Lists are never sized by the document (no field takes
 *     `first:`), so the root weight, which counts every alias, bounds the work a document starts.
 * Fragments are measured and their root fields counted once each (memoized), so a chain of
 * fragments that spread each other twice costs linear time even though its expansion is
 * exponential (and is refused); the counts are exact (bigint: 3^700 is past a double's range), and
 * past 2^53 the answer gives them as decimal strings. The aliases are checked only when the
 * expansion is within the field limit.
 * Limits come from the configuration (GRAPHQL_MAX_COST, GRAPHQL_MAX_FIELDS, GRAPHQL_MAX_DEPTH).
 */
import { GraphQLError, Kind, print } from 'graphql';
import type { ASTVisitor, FieldNode, FragmentDefinitionNode, GraphQLField, GraphQLNamedType, GraphQLOutputType, OperationDefinitionNode, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';

export const LIMITS = { rootWeight: 50, fields: 500, depth: 12 } as const;
export type Limits = { rootWeight: number; fields: number; depth: number };

/** Query fields that start worker tasks (GET refuses them: graphql/get.ts) weigh more than catalog reads. */
export const ROOT_FIELD_WEIGHT: Readonly<Record<string, number>> = { run: 25, sweep: 25, effectiveReceptiveField: 25, compare: 20, analyze: 10, runOperator: 10, foldBatchNorm: 5 };

/**
 * Catalog reads whose answer is large, weighed by it: they start no task (GET may ask them), but
 * are built and serialized whole on the event loop. model(name:) builds the spec at each call (up to
 * densenet121's 76 KB), operators answers 97 KB with its attributes' JSON Schemas, conventions
 * 48 KB; models and devices (5 KB) weigh 1. At 1 each, 50 aliases of model(name: "densenet121")
 * at 50 resolutions answered 3.8 MB (50 times GET /v1/models/densenet121) and held the event loop
 * for 0.1 s a request; now one request answers at most about 1 MB of catalog, ten REST reads.
 */
export const CATALOG_FIELD_WEIGHT: Readonly<Record<string, number>> = { model: 5, operators: 5, conventions: 3 };

const QUERY_FIELD_WEIGHT: Readonly<Record<string, number>> = { ...ROOT_FIELD_WEIGHT, ...CATALOG_FIELD_WEIGHT };

/** The type whose fields of NESTED_FIELD_WEIGHT add work to their analysis (computed in its worker task). */
const WEIGHED_TYPE = 'Report';
/** Report's analyses: weighed wherever selected (under analyze, through fragments). */
export const NESTED_FIELD_WEIGHT: Readonly<Record<string, number>> = { memory: 2, explain: 2, html: 3, deployed: 1, roofline: 1, modules: 1, convention: 1, markdown: 1, csv: 1, netron: 1 };

/** Mutation fields: a submitted job takes a place in the job queue, as much as an analysis; cancelJob 1. */
export const MUTATION_FIELD_WEIGHT: Readonly<Record<string, number>> = { submitJob: 10 };

const weightsOf = (op: OperationDefinitionNode) => (op.operation === 'mutation' ? MUTATION_FIELD_WEIGHT : QUERY_FIELD_WEIGHT);

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface Measure {
  /** Fields selected, fragments expanded: exact (fragments that spread the next twice reach 2^n, past a double's range). */
  fields: bigint;
  /** Deepest nesting below this selection set, introspection subtrees excluded; with its path. */
  depth: number;
  path: string[];
}

const EMPTY: Measure = { fields: 0n, depth: 0, path: [] };

/** Fields of a selection set merged by response name, as graphql-js executes them (fragments flattened). */
type Merged = Map<string, { field: string; signature: string; children: Merged }>;

/** `name` plus its arguments in a canonical order: two selections with one signature answer the same value. */
function signature(node: FieldNode): string {
  const args = [...(node.arguments ?? [])].map((a) => `${a.name.value}:${print(a.value)}`).sort();
  return args.length ? `${node.name.value}(${args.join(',')})` : node.name.value;
}

/** A field selected under several response names, below the root: where, which, and its names. */
interface Repeat {
  path: string[];
  field: string;
  aliases: string[];
}

function firstRepeat(set: Merged, path: string[], root: boolean): Repeat | null {
  if (!root) {
    const names = new Map<string, string[]>();
    for (const [key, { signature: sig }] of set) names.set(sig, [...(names.get(sig) ?? []), key]);
    for (const [sig, aliases] of names) if (aliases.length > 1) return { path, field: sig, aliases };
  }
  for (const [key, { children }] of set) {
    const found = firstRepeat(children, [...path, key], false);
    if (found) return found;
  }
  return null;
}

/**
 * A field of an object or interface type, and a type without its list and non-null wrappers, read
 * structurally: the schema is mercurius's (graphql's CommonJS build), whose classes the ES build's
 * isObjectType/getNamedType would not recognise.
 */
function fieldOf(parent: GraphQLNamedType | null | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  const p = parent as { getFields?: () => Record<string, GraphQLField<unknown, unknown>> } | null | undefined;
  return typeof p?.getFields === 'function' ? p.getFields()[name] : undefined;
}
function namedType(t: GraphQLOutputType): GraphQLNamedType {
  let u = t as { ofType?: unknown };
  while (u.ofType) u = u.ofType as { ofType?: unknown };
  return u as GraphQLNamedType;
}

/** A count for the answer's extensions: a number while exact (to 2^53), past it its exact decimal digits as a string. */
export function countJson(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** A count for a message: its digits, or past 2^53 its order of magnitude (2^1000 has 302 digits). */
function countText(n: bigint): string {
  if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return n.toString();
  const digits = n.toString();
  return `about ${digits[0]}.${digits.slice(1, 3)}e+${digits.length - 1}`;
}

const weighed = (name: string, n: bigint, weights: Readonly<Record<string, number>>) => BigInt(weights[name] ?? 1) * n;

function weightList(counts: Map<string, bigint>, weights: Readonly<Record<string, number>>): string {
  return [...counts]
    .map(([name, n]) => [name, n, weighed(name, n, weights)] as const)
    .sort((a, b) => (b[2] > a[2] ? 1 : b[2] < a[2] ? -1 : 0))
    .map(([name, n, w]) => `${name} ×${countText(n)} = ${countText(w)}`)
    .join(', ');
}

export function complexityRule(limits: Limits = LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const memo = new Map<string, Measure>();
    const visiting = new Set<string>();

    const fragment = (name: string): Measure => {
      const known = memo.get(name);
      if (known) return known;
      const def = fragments.get(name);
      // an unknown fragment or a cycle: other rules report those
      if (!def || visiting.has(name)) return EMPTY;
      visiting.add(name);
      const m = measure(def.selectionSet, false);
      visiting.delete(name);
      memo.set(name, m);
      return m;
    };

    /** Fields and depth of a selection set; `exempt` inside an introspection subtree (depth not counted). */
    const measure = (set: SelectionSetNode | undefined, exempt: boolean): Measure => {
      if (!set) return EMPTY;
      let fields = 0n;
      let deepest = EMPTY;
      const consider = (m: Measure) => {
        if (m.depth > deepest.depth) deepest = m;
      };
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          const name = s.name.value;
          const inner = measure(s.selectionSet, exempt || INTROSPECTION_ROOTS.has(name));
          fields += 1n + inner.fields;
          if (!exempt && !INTROSPECTION_ROOTS.has(name)) consider({ fields: 0n, depth: 1 + inner.depth, path: [s.alias?.value ?? name, ...inner.path] });
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          const inner = measure(s.selectionSet, exempt);
          fields += inner.fields;
          consider(inner);
        } else {
          const inner = fragment(s.name.value);
          fields += inner.fields;
          if (!exempt) consider(inner);
        }
      }
      return { fields, depth: deepest.depth, path: deepest.path };
    };

    /**
     * Root fields by name (aliases and fragments expanded), for the weight: each fragment's counts
     * are found once (memoized) and added at every spread, so a chain of fragments that spread each
     * other twice is counted in linear time (its counts are 2^n: refused by the weight). Walking the
     * expansion instead blocked the event loop for 27 s at 26 fragments, for good at 40.
     */
    const rootMemo = new Map<string, Map<string, bigint>>();
    const rootFields = (set: SelectionSetNode, visiting: Set<string>): Map<string, bigint> => {
      const counts = new Map<string, bigint>();
      const add = (more: Map<string, bigint>) => {
        for (const [name, n] of more) counts.set(name, (counts.get(name) ?? 0n) + n);
      };
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) counts.set(s.name.value, (counts.get(s.name.value) ?? 0n) + 1n);
        else if (s.kind === Kind.INLINE_FRAGMENT) add(rootFields(s.selectionSet, visiting));
        else {
          const name = s.name.value;
          const def = fragments.get(name);
          // an unknown fragment or a cycle: other rules report those
          if (!def || visiting.has(name)) continue;
          let known = rootMemo.get(name);
          if (!known) {
            visiting.add(name);
            known = rootFields(def.selectionSet, visiting);
            visiting.delete(name);
            rootMemo.set(name, known);
          }
          add(known);
        }
      }
      return counts;
    };

    /** Report fields of NESTED_FIELD_WEIGHT, by name (aliases and fragments expanded; a fragment counted where spread), found by type. */
    const schema = context.getSchema();
    const nestedFields = (set: SelectionSetNode | undefined, parent: GraphQLNamedType | null | undefined, counts: Map<string, bigint>, seen: Set<string>): void => {
      for (const s of set?.selections ?? []) {
        if (s.kind === Kind.FIELD) {
          const def = fieldOf(parent, s.name.value);
          if (parent?.name === WEIGHED_TYPE && NESTED_FIELD_WEIGHT[s.name.value] !== undefined) counts.set(s.name.value, (counts.get(s.name.value) ?? 0n) + 1n);
          if (def && s.selectionSet) nestedFields(s.selectionSet, namedType(def.type), counts, seen);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          nestedFields(s.selectionSet, s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent, counts, seen);
        } else {
          const def = fragments.get(s.name.value);
          if (!def || seen.has(def.name.value)) continue;
          seen.add(def.name.value);
          nestedFields(def.selectionSet, schema.getType(def.typeCondition.name.value), counts, seen);
          seen.delete(def.name.value);
        }
      }
    };

    /** The operation's fields merged by response name; called only when its expansion is at most limits.fields. */
    const merge = (set: SelectionSetNode, into: Merged, seen: Set<string>): Merged => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          const key = s.alias?.value ?? s.name.value;
          let node = into.get(key);
          if (!node) into.set(key, (node = { field: s.name.value, signature: signature(s), children: new Map() }));
          if (s.selectionSet) merge(s.selectionSet, node.children, seen);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          merge(s.selectionSet, into, seen);
        } else {
          const def = fragments.get(s.name.value);
          if (!def || seen.has(def.name.value)) continue;
          seen.add(def.name.value);
          merge(def.selectionSet, into, seen);
          seen.delete(def.name.value);
        }
      }
      return into;
    };

    const report = (op: OperationDefinitionNode, message: string, extensions: Record<string, unknown>) =>
      context.reportError(new GraphQLError(message, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX', ...extensions } }));

    return {
      OperationDefinition(op) {
        const label = op.name ? `operation ${op.name.value}` : 'the operation';
        const counts = rootFields(op.selectionSet, new Set());
        const table = weightsOf(op);
        // the nested count walks the expansion, so only a document within the field limit (as merge)
        const nested = new Map<string, bigint>();
        if (measure(op.selectionSet, false).fields <= BigInt(limits.fields)) nestedFields(op.selectionSet, op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType(), nested, new Set());
        const weight =
          [...counts].reduce((s, [name, n]) => s + weighed(name, n, table), 0n) + [...nested].reduce((s, [name, n]) => s + weighed(name, n, NESTED_FIELD_WEIGHT), 0n);
        const json = (m: Map<string, bigint>) => Object.fromEntries([...m].map(([name, n]) => [name, countJson(n)]));
        if (weight > BigInt(limits.rootWeight)) {
          const weights = Object.entries(table).map(([k, v]) => `${k} ${v}`).join(', ');
          const inner = Object.entries(NESTED_FIELD_WEIGHT).map(([k, v]) => `${k} ${v}`).join(', ');
          report(
            op,
            `${label} weighs ${countText(weight)} (${weightList(counts, table)}${nested.size ? `; ${weightList(nested, NESTED_FIELD_WEIGHT)}` : ''}); the limit is ${limits.rootWeight}. Root fields weigh ${weights}, any other 1${op.operation === 'mutation' ? '' : `; a report's analyses ${inner}`}, and each alias counts: split the work over several requests.`,
            { limit: limits.rootWeight, weight: countJson(weight), rootFields: json(counts), ...(nested.size ? { nestedFields: json(nested) } : {}) },
          );
        }
        const m = measure(op.selectionSet, false);
        const withinFields = m.fields <= BigInt(limits.fields);
        if (!withinFields) {
          report(op, `${label} selects ${countText(m.fields)} fields (fragments expanded at every spread, aliases counted); the limit is ${limits.fields}.`, {
            limit: limits.fields,
            fields: countJson(m.fields),
          });
        }
        const repeat = withinFields ? firstRepeat(merge(op.selectionSet, new Map(), new Set()), [], true) : null;
        if (repeat) {
          const shown = repeat.aliases.length > 5 ? `${repeat.aliases.slice(0, 5).join(', ')} … (${repeat.aliases.length})` : repeat.aliases.join(', ');
          report(
            op,
            `${label} selects ${repeat.field} under ${repeat.path.join('.')} as ${shown}: below the root a field answers the same value under every name, so select it once.`,
            { field: repeat.field, fieldPath: repeat.path, aliases: repeat.aliases.length },
          );
        }
        if (m.depth > limits.depth) {
          report(op, `${label} nests fields ${m.depth} deep (${m.path.join('.')}); the limit is ${limits.depth} (introspection under __schema and __type is exempt).`, {
            limit: limits.depth,
            depth: m.depth,
            fieldPath: m.path,
          });
        }
        return false;
      },
    };
  };
}

/** Deepest bracket nesting graphql-js's recursive parser is given (a JSON body may nest 64 deep; selections add 12). */
export const MAX_DOCUMENT_NESTING = 256;

/**
 * When a comment or a string starts at `i`, the index of its last character (the scans below step
 * past it: brackets and names inside do not count); -1 otherwise. A comment runs to the line's end,
 * a block string to the next unescaped triple quote, a string to its closing quote or the line's end.
 */
function ignoredEnd(source: string, i: number): number {
  const c = source[i];
  if (c === '#') {
    while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    return i;
  }
  if (c !== '"') return -1;
  if (source.startsWith('"""', i)) {
    i += 3;
    while (i < source.length && !(source.startsWith('"""', i) && source[i - 1] !== '\\')) i++;
    return i + 2;
  }
  i++;
  while (i < source.length && source[i] !== '"' && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
  return i;
}

/**
 * How deeply `[`, `{` and `(` nest in a document, outside strings and comments: checked before
 * graphql-js parses it, since its recursive descent overflows the stack on a literal a few thousand
 * brackets deep (well under the token limit). Linear in the text.
 */
export function documentNesting(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i++) {
    const skipped = ignoredEnd(source, i);
    if (skipped >= 0) {
      i = skipped;
      continue;
    }
    const c = source[i];
    if (c === '[' || c === '{' || c === '(') {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === ']' || c === '}' || c === ')') {
      depth--;
    }
  }
  return deepest;
}

/**
 * Longest name a document may hold (a field, argument, alias, fragment, type, variable, enum value).
 * graphql-js bounds tokens, not their length, and echoes an unknown name in its message (twice with
 * "Did you mean", measured against every candidate): a 10 MB field name held the event loop 4.8 s
 * and answered 10 MB (2026-12-05). The schema's names are under 40 characters.
 */
export const MAX_NAME_LENGTH = 1024;

/** The longest name in a document, outside strings and comments, and where it starts. Linear in the text. */
export function longestName(source: string): { length: number; at: number } {
  let longest = { length: 0, at: -1 };
  const nameStart = (c: number) => c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  const namePart = (c: number) => nameStart(c) || (c >= 48 && c <= 57);
  for (let i = 0; i < source.length; i++) {
    const skipped = ignoredEnd(source, i);
    if (skipped >= 0) {
      i = skipped;
      continue;
    }
    const c = source.charCodeAt(i);
    if (nameStart(c)) {
      const start = i;
      while (i + 1 < source.length && namePart(source.charCodeAt(i + 1))) i++;
      if (i + 1 - start > longest.length) longest = { length: i + 1 - start, at: start };
    } else if (c >= 48 && c <= 57) {
      // a number (12, 1e5, 0x…): its letters are not a name
      while (i + 1 < source.length && namePart(source.charCodeAt(i + 1))) i++;
    }
  }
  return longest;
}
