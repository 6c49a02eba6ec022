/**
 * The header of a .npy file, read as NumPy reads it (numpy/lib/format.py, _read_array_header): a
 * Python dict literal, padded with spaces and ending in a newline, with exactly the keys `descr`
 * (a typestr such as '<f4'), `fortran_order` (True or False) and `shape` (a tuple of integers).
 * Anything else is refused with the reason: an extra or missing key, a negative, fractional or
 * non-numeric dimension, a dimension past 2^53, more than 32 dimensions. A shape written as a list
 * or a bare integer, which NumPy does not write, is read as the tuple it means.
 */

export interface NpyHeader {
  /** The byte order: '<' little-endian, '>' big-endian, '|' not applicable, '=' native. */
  order: string;
  /** The typestr without its order: f4, i8, u1, b1 … */
  typestr: string;
  fortran: boolean;
  shape: number[];
}

/** NumPy's limit on dimensions (NPY_MAXDIMS before NumPy 2). */
const MAX_DIMS = 32;

type Value = { kind: 'str'; text: string } | { kind: 'bool'; value: boolean } | { kind: 'tuple'; items: string[] } | { kind: 'other'; text: string };

/** Why a header is not the dict NumPy writes, with its shape when that much could be read. */
export interface NpyHeaderError {
  error: string;
  shape?: number[];
}

/** The header as a dict, or the reason it is not the dict NumPy writes. */
export function parseNpyHeader(header: string): NpyHeader | NpyHeaderError {
  const s = header;
  let i = 0;
  const space = () => {
    while (i < s.length && ' \t\r\n'.includes(s[i])) i++;
  };
  const quoted = (): string | null => {
    const q = s[i];
    if (q !== "'" && q !== '"') return null;
    const from = i + 1;
    const end = s.indexOf(q, from);
    if (end < 0 || s.slice(from, end).includes('\\')) return null;
    i = end + 1;
    return s.slice(from, end);
  };
  const value = (): Value => {
    const text = quoted();
    if (text !== null) return { kind: 'str', text };
    if (s.startsWith('True', i) || s.startsWith('False', i)) {
      const v = s[i] === 'T';
      i += v ? 4 : 5;
      return { kind: 'bool', value: v };
    }
    if (s[i] === '[') {
      // a list, which NumPy does not write: read like a tuple
      const end = s.indexOf(']', i);
      if (end < 0) return { kind: 'other', text: s.slice(i) };
      const parts = s.slice(i + 1, end).split(',').map((p) => p.trim());
      i = end + 1;
      if (parts[parts.length - 1] === '') parts.pop();
      return { kind: 'tuple', items: parts };
    }
    if (s[i] === '(') {
      const end = s.indexOf(')', i);
      if (end < 0) return { kind: 'other', text: s.slice(i) };
      const inner = s.slice(i + 1, end);
      i = end + 1;
      const parts = inner.split(',').map((p) => p.trim());
      // (): no dimension; (3,): one; (2, 3) and (2, 3,): two; (3) is the number 3, not a tuple
      if (parts.length === 1) return parts[0] === '' ? { kind: 'tuple', items: [] } : { kind: 'other', text: `(${inner})` };
      if (parts[parts.length - 1] === '') parts.pop();
      return { kind: 'tuple', items: parts };
    }
    const start = i;
    while (i < s.length && s[i] !== ',' && s[i] !== '}') i++;
    return { kind: 'other', text: s.slice(start, i).trim() };
  };

  space();
  if (s[i] !== '{') return { error: 'the header is not a dict literal' };
  i++;
  const entries = new Map<string, Value>();
  for (;;) {
    space();
    if (s[i] === '}') break;
    const key = quoted();
    if (key === null) return { error: 'a key of the header is not a quoted string' };
    space();
    if (s[i] !== ':') return { error: `no ':' after the key '${key}'` };
    i++;
    space();
    if (entries.has(key)) return { error: `the key '${key}' is given twice` };
    entries.set(key, value());
    space();
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return { error: `the value of '${key}' is not followed by ',' or '}'` };
  }
  i++;
  space();
  if (i !== s.length) return { error: 'bytes follow the header dict (is the header length right?)' };
  // the shape first: a tensor over the element limit is that, whatever else is wrong
  const shape = entries.get('shape');
  let dims: number[] | undefined;
  if (shape) {
    const read = readShape(shape);
    if (typeof read === 'string') return { error: read };
    dims = read;
  }
  const keys = [...entries.keys()].sort();
  if (keys.join() !== 'descr,fortran_order,shape') return { error: `the header's keys are ${keys.map((k) => `'${k}'`).join(', ') || 'none'}, not exactly 'descr', 'fortran_order' and 'shape'`, shape: dims };
  const descr = entries.get('descr')!;
  const m = descr.kind === 'str' ? /^([<>|=])([a-z]\d)$/.exec(descr.text) : null;
  if (!m) {
    // a list of fields is a structured dtype (np.save of a record array): one number per element is needed
    const what = descr.kind === 'str' ? `'${descr.text}'` : descr.kind === 'tuple' ? 'a list of fields (a structured dtype)' : descr.kind === 'other' ? descr.text : 'a bool';
    return { error: `descr ${what} is not a supported typestr`, shape: dims };
  }
  const fortran = entries.get('fortran_order')!;
  if (fortran.kind !== 'bool') return { error: `fortran_order is ${(fortran as { text?: string }).text ?? 'not a bool'}, not True or False`, shape: dims };
  return { order: m[1], typestr: m[2], fortran: fortran.value, shape: dims! };
}

/** The dimensions of a shape value: non-negative decimal integers (-0 is 0), exactly representable. */
function readShape(shape: Value): number[] | string {
  // a bare integer, which NumPy does not write either: one dimension
  const items = shape.kind === 'tuple' ? shape.items : shape.kind === 'other' && /^-?\d+$/.test(shape.text) ? [shape.text] : null;
  if (!items) return `shape ${(shape as { text?: string }).text ?? ''} is not a tuple of integers`;
  if (items.length > MAX_DIMS) return `shape has ${items.length} dimensions, more than ${MAX_DIMS}`;
  const dims: number[] = [];
  for (const item of items) {
    if (!/^-?\d+$/.test(item)) return `the dimension '${item}' is not an integer`;
    const d = Number(item);
    if (d < 0) return `the dimension ${item} is negative`;
    if (!Number.isSafeInteger(d)) return `the dimension ${item} is past 2^53`;
    dims.push(d === 0 ? 0 : d);
  }
  return dims;
}
