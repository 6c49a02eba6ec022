/**
 * Errors for request objects that fail their schema, worded for someone who writes PyTorch:
 *   - a missing required key is named, with what it is (the field's .describe() text, else words
 *     derived from its schema) and, for an op attribute, PyTorch's snake_case argument name;
 *   - an unknown key gets the key it most likely meant: its camelCase form (kernel_size →
 *     kernelSize), else the nearest name by edit distance (src/suggest.ts), else the list of keys.
 *     When that key is a missing required one, this error comes first and names both;
 *   - anything else zod reports (wrong type, too small …) keeps zod's words, after the layer;
 *   - an unknown op name gets the convlens op: PyTorch's class or function names in any case, with
 *     or without torch./nn./F. prefixes, are matched against op names and each op's `pytorch`
 *     field, then by edit distance (nn.Conv2d, Conv2D → conv2d; nn.SiLU → swish; torch.cat → concat).
 * Every error carries the JSONPath of the key at fault and `details.suggestion` when there is one.
 * Shared by the JSON spec parser (graph/network.ts) and the single-operator path (the runtime's operator.ts).
 */
import { z } from 'zod';
import { ConvlensError, jsonPath } from '../errors.js';
import { valueAt } from '../records.js';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import { OPS } from '../ops/registry.js';
import type { OpDef } from '../ops/types.js';
import { closest, editDistance, toCamelCase, toSnakeCase } from '../suggest.js';

type Key = string | number;

const fmtKey = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));

// ---------------------------------------------------------------- schema walking (zod 4 defs)

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  items?: z.ZodType[];
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Through optional, default, nullable, readonly, pipe … to the schema that holds the structure. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let d = defOf(s); d.innerType || (d.type === 'pipe' && d.in); d = defOf(s)) s = (d.innerType ?? d.in)!;
  return s;
}

function schemaAt(schema: z.ZodType, path: readonly Key[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const k of path) {
    if (!s) return undefined;
    const d = defOf(unwrap(s));
    s = d.type === 'object' ? d.shape?.[String(k)] : d.type === 'array' ? d.element : d.type === 'tuple' ? d.items?.[Number(k)] : undefined;
  }
  return s;
}

function keysOf(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const d = defOf(unwrap(schema));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What a field is: its own .describe() text, else words from its JSON Schema ("a positive integer or a pair of positive integers"). */
export function describeField(schema: z.ZodType): string {
  for (let s = schema; ; ) {
    if (s.description) return s.description;
    const d = defOf(s);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) break;
    s = next;
  }
  try {
    return jsonWords(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json);
  } catch {
    return 'a value';
  }
}

interface Json {
  description?: string;
  anyOf?: Json[];
  oneOf?: Json[];
  enum?: unknown[];
  const?: unknown;
  type?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  prefixItems?: Json[];
  items?: Json | boolean;
}

function jsonWords(j: Json): string {
  if (j.description) return j.description;
  const alts = j.anyOf ?? j.oneOf;
  if (alts) return alts.map(jsonWords).join(' or ');
  if (j.enum) return `one of ${j.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if ('const' in j) return JSON.stringify(j.const);
  const sign = j.exclusiveMinimum === 0 ? 'positive ' : j.minimum === 0 ? 'non-negative ' : '';
  switch (j.type) {
    case 'integer':
      return sign ? `a ${sign}integer` : 'an integer';
    case 'number':
      return `a ${sign}number`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'object':
      return 'an object';
    case 'array': {
      if (j.prefixItems) {
        const items = j.prefixItems.map(jsonWords);
        if (items.every((w) => w === items[0])) return items.length === 2 ? `a pair of ${plural(items[0])}` : `a list of ${items.length} ${plural(items[0])}`;
        return `[${items.join(', ')}]`;
      }
      return typeof j.items === 'object' ? `a list of ${plural(jsonWords(j.items))}` : 'a list';
    }
  }
  return 'a value';
}

const plural = (w: string) => (/^an? /.test(w) && !w.includes(' or ') ? `${w.replace(/^an? /, '')}s` : `values (${w})`);

// ---------------------------------------------------------------- zod issues → one error

export interface IssueContext {
  /** The schema that rejected the value, and the value. */
  schema: z.ZodType;
  value: unknown;
  issues: readonly z.core.$ZodIssue[];
  /** Where the value sits in the request: ['layers', 3], ['attributes'], []. */
  prefix: Key[];
  /** Who owns the object at a path inside the value, to lead a message: "layer 'c1': conv2d", "the spec". */
  owner(path: Key[]): string;
  /** Op attributes: keys are "attributes", with PyTorch's spelling beside them; else "fields". */
  attributes: boolean;
  /** Leads the messages zod words itself (wrong type, too small …): "layer 'c1': ", "conv2d: ". */
  where: string;
  /** What those messages call the value itself when zod's path is empty ("attributes"). */
  root?: string;
  /** Keys valid beside the schema's own at the top (a layer's name, op, inputs): suggested, not listed. */
  alsoKnown?: readonly string[];
  /** Added to every error's details (the layer). */
  details?: ErrorDetails;
}

interface Shaped {
  path: Key[];
  message: string;
  details: ErrorDetails;
}

type Item =
  | { kind: 'unknown'; parent: Key[]; key: string }
  | { kind: 'missing'; parent: Key[]; key: string }
  | { kind: 'other'; issue: z.core.$ZodIssue };

function classify(ctx: IssueContext): Item[] {
  const items: Item[] = [];
  for (const issue of ctx.issues) {
    const path = issue.path as Key[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) items.push({ kind: 'unknown', parent: path, key });
      continue;
    }
    const parent = path.slice(0, -1);
    const key = path[path.length - 1];
    const missing =
      typeof key === 'string' && valueAt(ctx.value, path) === undefined && isPlainObject(valueAt(ctx.value, parent)) && keysOf(schemaAt(ctx.schema, parent)).includes(key);
    items.push(missing ? { kind: 'missing', parent, key } : { kind: 'other', issue });
  }
  return items;
}

const samePath = (a: readonly Key[], b: readonly Key[]) => a.length === b.length && a.every((k, i) => k === b[i]);
const squash = (k: string) => k.toLowerCase().replace(/[_-]/g, '');

/**
 * An issue's words. A union none of whose forms matched (zod says only "Invalid input") names the
 * forms it may take and the value: `expected a positive integer or a pair of positive integers; got "x"`.
 */
function issueText(issue: z.core.$ZodIssue, ctx: IssueContext): string {
  if (issue.code !== 'invalid_union') return issue.message;
  const field = schemaAt(ctx.schema, issue.path as Key[]);
  if (!field) return issue.message;
  const given = JSON.stringify(valueAt(ctx.value, issue.path as Key[])) ?? 'the value';
  return `expected ${describeField(field)}; got ${given.length > 40 ? `${given.slice(0, 37)}...` : given}`;
}

const MAX_ISSUES = 50;

/** One error for all the issues: the most telling first, every one (up to MAX_ISSUES) in details.issues. */
export function issuesError(ctx: IssueContext): ConvlensError {
  const items = classify(ctx);
  const missing = items.filter((i) => i.kind === 'missing');
  const noun = ctx.attributes ? 'attribute' : 'field';
  const shapedUnknown = new Map<Item, Shaped>();
  const explaining: Shaped[] = [];
  const explained = new Set<Item>();

  for (const item of items) {
    if (item.kind !== 'unknown') continue;
    const known = keysOf(schemaAt(ctx.schema, item.parent));
    const candidates = item.parent.length === 0 && ctx.alsoKnown ? [...known, ...ctx.alsoKnown] : known;
    const absent = missing.filter((m) => samePath(m.parent, item.parent));
    const camel = toCamelCase(item.key);
    const byCase = camel !== item.key && known.includes(camel) ? camel : undefined;
    // a looser match is fair against a key known to be missing: kernel → kernelSize
    const contains = (m: { key: string }) => {
      const [a, b] = [squash(m.key), squash(item.key)];
      return Math.min(a.length, b.length) >= 4 && (a.includes(b) || b.includes(a));
    };
    const suggestion = byCase ?? closest(item.key, candidates) ?? (camel !== item.key ? closest(camel, candidates) : undefined) ?? absent.find(contains)?.key;
    const explains = absent.find((m) => m.key === suggestion);
    const given = suggestion !== undefined && !explains && valueAt(ctx.value, [...item.parent, suggestion]) !== undefined;
    const hint = suggestion ? `; did you mean ${fmtKey(suggestion)}?` : known.length ? `; its ${noun}s are ${known.join(', ')}` : `; it takes no ${noun}s`;
    const why = byCase && ctx.attributes ? " (convlens spells PyTorch's arguments in camelCase)" : '';
    const also = given ? ` (${fmtKey(suggestion)} is given too: remove ${fmtKey(item.key)})` : '';
    const shaped: Shaped = {
      path: [...item.parent, item.key],
      message: `${ctx.owner(item.parent)} has no ${noun} ${fmtKey(item.key)}${hint}${why}${also}`,
      details: { ...(suggestion ? { suggestion } : {}), ...(explains ? { missing: [explains.key] } : {}), [ctx.attributes ? 'knownAttributes' : 'knownFields']: known },
    };
    if (explains && !explained.has(explains)) {
      // kernel_size given, kernelSize missing: one error naming both, before anything unrelated
      explained.add(explains);
      explaining.push(shaped);
    } else {
      shapedUnknown.set(item, shaped);
    }
  }

  const ordered: Shaped[] = [...explaining];
  for (const item of items) {
    if (item.kind === 'unknown') {
      const shaped = shapedUnknown.get(item);
      if (shaped) ordered.push(shaped);
    } else if (item.kind === 'missing') {
      if (explained.has(item)) continue;
      const field = schemaAt(ctx.schema, [...item.parent, item.key])!;
      const pytorch = ctx.attributes && toSnakeCase(item.key) !== item.key ? `; PyTorch: ${toSnakeCase(item.key)}` : '';
      ordered.push({
        path: [...item.parent, item.key],
        message: `${ctx.owner(item.parent)} needs ${fmtKey(item.key)} (${describeField(field)}${pytorch})`,
        details: { missing: [item.key] },
      });
    } else {
      // the field relative to its owner, as JSONPath writes it (inputs[0].shape[2], not zod's inputs.0.shape.2)
      const relative = jsonPath(item.issue.path as Key[]);
      const field = item.issue.path.length ? `${relative.startsWith('$.') ? relative.slice(2) : relative.slice(1)}: ` : ctx.root ? `${ctx.root}: ` : '';
      ordered.push({ path: item.issue.path as Key[], message: `${ctx.where}${field}${issueText(item.issue, ctx)}`, details: {} });
    }
  }

  const top = ordered[0];
  return new ConvlensError('SPEC_INVALID', top.message, {
    path: jsonPath([...ctx.prefix, ...top.path]),
    ...ctx.details,
    ...top.details,
    // bounded: a body of 100 000 unknown keys must not come back 100 000 times longer
    issues: ordered.slice(0, MAX_ISSUES).map((s) => ({ path: jsonPath([...ctx.prefix, ...s.path]), message: s.message })),
    ...(ordered.length > MAX_ISSUES ? { issuesOmitted: ordered.length - MAX_ISSUES } : {}),
  });
}

export interface AttributeContext {
  /** Where the attributes sit in the request: ['layers', 3] (beside the layer's name and op), ['attributes']. */
  prefix: Key[];
  /** The layer of a network spec; none for a single operator call. */
  layer?: string;
  /** Layer fields (name, op, inputs) the layer does not give: `input` gets "did you mean inputs?". */
  layerKeys?: readonly string[];
}

/** The attributes of one op failed its schema. */
export function attributeError(op: OpDef, attrs: unknown, issues: readonly z.core.$ZodIssue[], { prefix, layer, layerKeys }: AttributeContext): ConvlensError {
  const owner = layer === undefined ? op.name : `layer '${layer}': ${op.name}`;
  return issuesError({
    schema: op.attrs,
    value: attrs,
    issues,
    prefix,
    owner: (path) => (path.length ? `${owner} ${path.join('.')}` : owner),
    attributes: true,
    where: layer === undefined ? `${op.name}: ` : `layer '${layer}': `,
    root: layer === undefined ? 'attributes' : undefined,
    alsoKnown: layerKeys,
    details: layer === undefined ? {} : { layer },
  });
}

// ---------------------------------------------------------------- unknown op names

const PYTORCH_PREFIX = /^(?:torchvision\.ops\.|torchvision\.|torch\.nn\.functional\.|torch\.nn\.|torch\.|nn\.functional\.|nn\.|functional\.|F\.)/i;

/** torch.nn.Conv2d, nn.Conv2d, F.conv2d → Conv2d, conv2d. */
function bare(name: string): string {
  let s = name.trim();
  while (PYTORCH_PREFIX.test(s)) s = s.replace(PYTORCH_PREFIX, '');
  return s;
}

export interface OpSuggestions {
  /** The op the name most likely means, if one stands out. */
  suggestion?: string;
  /** A few plausible ops, best first (the suggestion included). */
  suggestions: string[];
}

/** The convlens op a name probably means: same name up to case or snake_case, PyTorch's name of the op, the nearest spelling. */
export function suggestOp(name: string, ops: readonly OpDef[] = OPS): OpSuggestions {
  const word = bare(name);
  const lower = word.toLowerCase();
  const camelLower = toCamelCase(word).toLowerCase();
  const names = ops.map((o) => o.name);
  const aliases = ops.map((o) => bare(o.pytorch).toLowerCase());
  const aliasOf = (a: string | undefined) => (a === undefined ? undefined : names[aliases.indexOf(a)]);
  const suggestion =
    names.find((n) => n.toLowerCase() === lower || n.toLowerCase() === camelLower) ??
    aliasOf(aliases.find((a) => a === lower)) ??
    closest(word, names) ??
    (camelLower !== lower ? closest(camelLower, names) : undefined) ??
    aliasOf(closest(lower, aliases));
  const related = lower.length >= 3 ? names.filter((n) => n !== suggestion && n.toLowerCase().includes(lower)) : [];
  related.sort((a, b) => editDistance(lower, a.toLowerCase()) - editDistance(lower, b.toLowerCase()));
  return { suggestion, suggestions: [...(suggestion ? [suggestion] : []), ...related].slice(0, 3) };
}

/**
 * No op has this name: `lead` words the failure ("layer 'c1': unknown op", "no operator"); the
 * message offers a few ops, details.knownOps all of them.
 */
export function unknownOpError(code: ErrorCode, name: string, lead: string, details: ErrorDetails, ops: readonly OpDef[] = OPS): ConvlensError {
  const { suggestion, suggestions } = suggestOp(name, ops);
  const pytorch = (n: string) => ops.find((o) => o.name === n)!.pytorch;
  const hint = suggestion
    ? `did you mean ${suggestion} (${pytorch(suggestion)})?`
    : suggestions.length
      ? `did you mean one of ${suggestions.join(', ')}?`
      : `GET /v1/operators lists all ${ops.length} (the error's knownOps lists them too)`;
  return new ConvlensError(code, `${lead} '${name}'; ${hint}`, {
    ...details,
    ...(suggestion ? { suggestion } : {}),
    suggestions,
    knownOps: ops.map((o) => o.name),
  });
}
