/**
 * Records keyed by names a client chose (inputs, layers, outputs, weights, ONNX tensors). A plain
 * object answers for names it never stored: `constructor`, `toString` or `hasOwnProperty` read
 * Object.prototype's functions, and storing under `__proto__` replaces the prototype instead of
 * adding an entry. These records have no prototype, and lookups in records that may come from
 * elsewhere (a request, a structured clone from another thread) read own entries only.
 */

/** A record without a prototype: every key, `__proto__` included, is an ordinary entry. */
export function dict<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The value stored under `key` in `r` itself, never one inherited from its prototype. */
export function own<T>(r: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return r != null && Object.hasOwn(r, key) ? r[key] : undefined;
}

/** The value at `path` in parsed JSON (a request's body, a profile), or undefined where the path leaves it. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
