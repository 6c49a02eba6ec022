/**
 * What JSON.parse does not check in a document's text: how deep it nests, and whether an object
 * has a key twice. JSON.parse keeps the last of two equal keys without a word ({"model":
 * "resnet18", "model": "resnet34"} is resnet34; a tensor given twice loses the first), where
 * convlens refuses every key it would not read. One pass over the text; the path of a duplicate is
 * found by a second scan, only when there is one. Read by the service's bodies (http/body.ts), the
 * command line's specs and device profiles, and the JSON in query strings.
 */

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * The first byte after whitespace (and a UTF-8 byte-order mark) is `{` or `[`: JSON, which no ONNX
 * file is (a ModelProto opens with a field tag; 0x7b and 0x5b would be fields 15 and 11 as groups,
 * a wire type protobuf 3 never writes). An array is then refused as a spec, not decoded as ONNX.
 */
export function looksLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b;
}

/** A string's text between its quotes, decoded when it holds an escape ("a" and "\\u0061" are one key). */
function keyText(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw; // JSON.parse of the document names the bad escape
  }
}

/**
 * JSONPath of the key that ends at `end` (its closing quote), e.g. `$.layers[0].outChannels`:
 * the text before it scanned again, counting array elements (only when a body is refused).
 */
function pathAt(text: string, end: number): string {
  const open: { object: boolean; at: string | number }[] = [];
  let start = -1;
  for (let i = 0; i <= end; i++) {
    const ch = text.charCodeAt(i);
    if (start >= 0) {
      if (ch === 92) i++;
      else if (ch === 34) {
        const top = open[open.length - 1];
        let j = i + 1;
        while (j < text.length && isSpace(text.charCodeAt(j))) j++;
        if (top?.object && text.charCodeAt(j) === 58) top.at = keyText(text.slice(start, i));
        start = -1;
      }
    } else if (ch === 34) start = i + 1;
    else if (ch === 91 || ch === 123) open.push({ object: ch === 123, at: ch === 123 ? '' : 0 });
    else if (ch === 93 || ch === 125) open.pop();
    else if (ch === 44 && open.length > 0 && !open[open.length - 1].object) (open[open.length - 1].at as number)++;
  }
  return open.reduce((p, o) => (typeof o.at === 'number' ? `${p}[${o.at}]` : /^[A-Za-z_$][\w$]*$/.test(o.at) ? `${p}.${o.at}` : `${p}[${JSON.stringify(o.at)}]`), '$');
}

/** What the scan found wrong: nesting past `maxDepth`, or a key twice in one object (its JSONPath). */
export type JsonTextFault = { kind: 'deep' } | { kind: 'duplicate'; key: string; path: string };

/** The first fault of a JSON document's text, or null (a text that is not JSON at all is JSON.parse's to name). */
export function jsonTextFault(text: string, maxDepth = Infinity): JsonTextFault | null {
  // per open object its keys so far, per open array null; `top` is the innermost
  const open: (Set<string> | null)[] = [];
  let top: Set<string> | null = null;
  let start = -1; // the open string's first character, or −1 outside strings
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (start >= 0) {
      if (ch === 92) i++;
      else if (ch === 34) {
        if (top) {
          let j = i + 1;
          while (j < text.length && isSpace(text.charCodeAt(j))) j++;
          if (text.charCodeAt(j) === 58) {
            const key = keyText(text.slice(start, i));
            if (top.has(key)) return { kind: 'duplicate', key, path: pathAt(text, i) };
            top.add(key);
          }
        }
        start = -1;
      }
    } else if (ch === 34) start = i + 1;
    else if (ch === 91 || ch === 123) {
      if (open.length + 1 > maxDepth) return { kind: 'deep' };
      top = ch === 123 ? new Set() : null;
      open.push(top);
    } else if (ch === 93 || ch === 125) {
      open.pop();
      top = open.length > 0 ? open[open.length - 1] : null;
    }
  }
  return null;
}

/** What a duplicate key's refusal says, after the document's name: one message for every reader. */
export const duplicateKeyMessage = (f: { key: string; path: string }) =>
  `the key ${JSON.stringify(f.key)} appears twice in one object, at ${f.path}; a JSON parser keeps one of the two without a word, so convlens refuses it`;
