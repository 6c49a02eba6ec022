/**
 * Where in a JSON text JSON.parse stopped, as a person finds it: V8 on Node 20 says only `… in JSON
 * at position 133`, which in a spec file of many lines is a count of characters to do by hand;
 * Node 22 and later add ` (line 4 column 72)` themselves, and that form is given here too.
 * V8's `Unexpected token ',', …"3 },,\n  ]"… is not valid JSON` and `Unexpected end of JSON input`
 * (Node 20 and 22 alike) name no position at all, only a snippet: there the position is found by
 * reading the text to its first fault (jsonFaultPosition) and given in the same form. Not a
 * library's parser: jsonc-parser (3.3.1), the well-kept one that reports error offsets, descends
 * recursively and throws RangeError (call stack exceeded) on a body of 10^6 `[`, which JSON.parse
 * refuses as "Unexpected end of JSON input"; the scan here keeps its nesting in an array.
 */

/** Line and column (1-based, as V8 writes them) of a character offset. */
function lineColumn(text: string, position: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `(line ${line} column ${position - start + 1})`;
}

/**
 * ` (line L column C)` for the position JSON.parse's message names; ` at position N (line L column C)`
 * when it names none (its first fault, jsonFaultPosition); '' when it already says the line, or the
 * text has no fault.
 */
export function jsonLineColumn(message: string, text: string): string {
  if (/\(line \d+ column \d+\)/.test(message)) return '';
  const at = /\bat position (\d+)\b/.exec(message);
  if (at) return ` ${lineColumn(text, Math.min(Number(at[1]), text.length))}`;
  const fault = jsonFaultPosition(text);
  return fault === null ? '' : ` at position ${fault} ${lineColumn(text, fault)}`;
}

/** JSON.parse's error message with its line and column (jsonLineColumn). */
export function jsonParseMessage(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : String(e);
  return message + jsonLineColumn(message, text);
}

const ESCAPES = new Set('"\\/bfnrt');
const HEX = /^[0-9a-fA-F]$/;

/**
 * The offset of the first character at which `text` stops being JSON (RFC 8259, as JSON.parse reads
 * it), its length when the text ends too soon, or null when it is JSON. Iterative: a deep text needs
 * no stack.
 */
export function jsonFaultPosition(text: string): number | null {
  const n = text.length;
  const stack: number[] = []; // 0x7b `{` or 0x5b `[`
  let i = 0;
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };
  /** A string at i (its opening quote): true with i past it, or false with i at the fault. */
  const string = (): boolean => {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (i >= n || !ESCAPES.has(text[i]) && text[i] !== 'u') return false;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (i + k >= n || !HEX.test(text[i + k])) return ((i += k), false);
          i += 4;
        }
      }
    }
    return false;
  };
  /** A number, true, false or null at i: true with i past it, or false with i at the fault. */
  const scalar = (): boolean => {
    const first = text[i];
    const word = first === 't' ? 'true' : first === 'f' ? 'false' : first === 'n' ? 'null' : '';
    if (word) {
      for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return false;
      return true;
    }
    const digits = () => {
      const from = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      return i > from;
    };
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.' && (i++, !digits())) return false;
    if ((text[i] === 'e' || text[i] === 'E') && (i++, (text[i] === '+' || text[i] === '-') && i++, !digits())) return false;
    return true;
  };
  /** An object's key and colon, i at the key: true with i at its value. */
  const key = (): boolean => {
    ws();
    if (text[i] !== '"' || !string()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    // a value at i
    ws();
    if (i >= n) return n;
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      i++;
      ws();
      if (text.charCodeAt(i) === c + 2) i++; // `{}` or `[]`
      else {
        stack.push(c);
        if (c === 0x7b && !key()) return i;
        continue;
      }
    } else if (c === 0x22 ? !string() : !scalar()) return Math.min(i, n);
    // after a value: the end, a comma, or its container's close
    for (;;) {
      ws();
      if (stack.length === 0) return i < n ? i : null;
      const top = stack[stack.length - 1];
      if (text[i] === ',') {
        i++;
        if (top === 0x7b && !key()) return Math.min(i, n);
        break;
      }
      if (text.charCodeAt(i) === top + 2) {
        stack.pop();
        i++;
        continue;
      }
      return Math.min(i, n);
    }
  }
}
