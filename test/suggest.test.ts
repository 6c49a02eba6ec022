import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../src/suggest.js';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3], // the textbook Levenshtein example: k→s, e→i, +g
    ['flaw', 'lawn', 2], // −f, +n
    ['options', 'optoins', 1], // one adjacent swap (Levenshtein would say 2)
    ['resolution', 'resolutoin', 1],
    ['ca', 'abc', 3], // OSA, not unrestricted Damerau (which says 2)
    ['seed', 'seed', 0],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  const keys = ['spec', 'model', 'resolution', 'options'] as const;

  it('a swapped pair of letters: optoins → options, resolutoin → resolution', () => {
    expect(closest('optoins', keys)).toBe('options');
    expect(closest('resolutoin', keys)).toBe('resolution');
  });

  it('a different case wins over a nearer spelling: RunningMean → runningMean, not runningMeans', () => {
    expect(closest('RunningMean', ['runningMeans', 'runningMean'])).toBe('runningMean');
    expect(closest('CONV2D', ['conv1d', 'conv2d'])).toBe('conv2d');
  });

  it('distance is compared without case: Modle → model', () => {
    expect(closest('Modle', keys)).toBe('model');
  });

  it('default threshold max(2, ⌊len/3⌋): 2 edits for a short word, 3 for a 9-letter word, not 3 for a 6- or 7-letter one', () => {
    expect(closest('mdl', keys)).toBe('model'); // 2 insertions
    expect(closest('resoltn', keys)).toBeUndefined(); // 3 insertions, 7 letters: limit 2
    expect(closest('xbcxefxhi', ['abcdefghi'])).toBe('abcdefghi'); // 3 substitutions, 9 letters: limit 3
    expect(closest('xbxdxf', ['abcdef'])).toBeUndefined(); // 3 substitutions, 6 letters: limit 2
    expect(closest('xbcdxf', ['abcdef'])).toBe('abcdef');
  });

  it('nothing close: undefined', () => {
    expect(closest('weights', keys)).toBeUndefined();
    expect(closest('x', keys)).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('a suggestion keeps at least one letter of the word: "ab" is not "seed" even with a large maxDistance', () => {
    expect(closest('ab', ['seed'], 10)).toBeUndefined();
    expect(closest('sd', ['seed'])).toBeUndefined(); // 2 edits but only 2 letters
    expect(closest('sed', ['seed'])).toBe('seed');
  });

  it('an explicit maxDistance: 1 rejects two edits, 3 accepts three', () => {
    expect(closest('mdl', keys, 1)).toBeUndefined();
    expect(closest('resoltn', keys, 3)).toBe('resolution');
  });

  it('ties go to the earlier candidate; a nearer later candidate still wins', () => {
    expect(closest('cat', ['bat', 'hat'])).toBe('bat');
    expect(closest('cat', ['bats', 'cab'])).toBe('cab');
  });
});
