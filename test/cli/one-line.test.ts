import { describe, expect, it } from 'vitest';
import { jsonErrorText, oneLine } from '../../src/cli/one-line.js';

describe('oneLine: an error line stays one line', () => {
  it('line breaks, tabs and other control characters are escaped', () => {
    expect(oneLine('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(oneLine('nul\u0000 esc\u001b del\u007f')).toBe('nul\\u0000 esc\\u001b del\\u007f');
  });

  it('line and paragraph separators, bidirectional controls and U+FFFD (bytes that were not UTF-8) are escaped', () => {
    expect(oneLine('a\u2028b\u2029c\u202ed\ufffd')).toBe('a\\u2028b\\u2029c\\u202ed\\ufffd');
  });

  it('printable text, accents and × stay as they are', () => {
    expect(oneLine("layer 'conv₁' 3×3: é")).toBe("layer 'conv₁' 3×3: é");
  });

  it('past max characters the text is cut and ends in …: 7 characters at max 4 are the first 3 and …', () => {
    expect(oneLine('abcdefg', 4)).toBe('abc…');
    expect(oneLine('abcd', 4)).toBe('abcd');
  });

  it("JSON.parse's error on 'garbage\\n' quotes the file on one line", () => {
    let e: unknown;
    try {
      JSON.parse('garbage\n');
    } catch (x) {
      e = x;
    }
    expect(jsonErrorText(e)).toBe(`Unexpected token 'g', "garbage\\n" is not valid JSON`);
  });
});
