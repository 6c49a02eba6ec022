/**
 * jsonFaultPosition (src/http/json-position.ts) against V8's JSON.parse as the oracle: on texts that
 * are JSON with a few characters inserted, deleted or replaced, it finds no fault exactly where
 * JSON.parse accepts the text, the position V8's message names where it names one, the text's length
 * at `Unexpected end of JSON input`, and the very character of V8's `Unexpected token 'X'`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonFaultPosition, jsonLineColumn } from '../../src/http/json-position.js';

const CHARS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '.', 'e', '+', 't', 'r', 'n', 'l', 'f', 'a', ' ', '\n', 'x', '\u0001'];

/** What V8 says of the text: accepted, a position, or the token its message names without one. */
function v8(text: string): { ok: true } | { position: number } | { token: string } {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (at) return { position: Number(at[1]) };
    if (/^Unexpected end of JSON input/.test(message)) return { position: text.length };
    const token = /^Unexpected token '([\s\S])'/.exec(message);
    if (!token) throw new Error(`a message this test does not read: ${message}`);
    return { token: token[1] };
  }
}

const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), char: fc.constantFrom(...CHARS) });
const mutated = fc.tuple(fc.json(), fc.array(edit, { minLength: 0, maxLength: 3 })).map(([text, edits]) =>
  edits.reduce((s, { at, kind, char }) => {
    const p = at % (s.length + 1);
    return kind === 'insert' ? s.slice(0, p) + char + s.slice(p) : kind === 'delete' ? s.slice(0, p) + s.slice(p + 1) : s.slice(0, p) + char + s.slice(p + 1);
  }, text),
);

describe('jsonFaultPosition: the first character at which a text stops being JSON', () => {
  it('agrees with JSON.parse: no fault where it parses, its position where it names one, its token where it names that', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        const said = v8(text);
        const found = jsonFaultPosition(text);
        if ('ok' in said) expect(found).toBeNull();
        else if ('position' in said) expect(found).toBe(said.position);
        else expect(found === null ? undefined : text[found]).toBe(said.token);
      }),
      { numRuns: 3000, seed: 20261207 },
    );
  });

  it('worked by hand: `[1,,2]` at the second comma, `{"a": tru}` at the `}`, `"\\q"` at the q, a text cut short at its end, a deep one without recursion', () => {
    expect(jsonFaultPosition('[1,,2]')).toBe(3);
    expect(jsonFaultPosition('{"a": tru}')).toBe(9);
    expect(jsonFaultPosition('"\\q"')).toBe(2);
    expect(jsonFaultPosition('{"a": [1,\n 2')).toBe(12);
    expect(jsonFaultPosition('[1, 2] x')).toBe(7);
    expect(jsonFaultPosition('[-0.5e+3, true, null, {"b": {}}, []]')).toBeNull();
    expect(jsonFaultPosition(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBeNull();
    expect(jsonFaultPosition(`${'['.repeat(100_000)},`)).toBe(100_000);
  });

  it("jsonLineColumn: the line and column of V8's position; position, line and column where V8 names none; nothing twice", () => {
    expect(jsonLineColumn('Expected double-quoted property name in JSON at position 8', '{"a": 1,}')).toBe(' (line 1 column 9)');
    expect(jsonLineColumn(`Unexpected token ',', "[1,\n,,2]" is not valid JSON`, '[1,\n,,2]')).toBe(' at position 4 (line 2 column 1)');
    expect(jsonLineColumn('Unexpected end of JSON input', '{"a":\n')).toBe(' at position 6 (line 2 column 1)');
    expect(jsonLineColumn('… in JSON at position 8 (line 1 column 9)', '{"a": 1,}')).toBe('');
  });
});
