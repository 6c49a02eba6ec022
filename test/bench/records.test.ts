import { describe, expect, it } from 'vitest';
import { ratioOf } from '../../bench/records.js';

describe('bench records: ratio ≥ 1 means convlens is at least as good as the peer', () => {
  it('a rate (GFLOP/s) is convlens / peer: 16.3 against 19.9 → 0.819', () => {
    expect(ratioOf({ higherIsBetter: true, convlens: 16.3, peers: { web: 19.9 }, against: 'web' })).toBeCloseTo(16.3 / 19.9, 12);
  });
  it('a time (ms) is peer / convlens: 462 ms against 42 ms → 0.0909', () => {
    expect(ratioOf({ higherIsBetter: false, convlens: 462, peers: { node: 42 }, against: 'node' })).toBeCloseTo(42 / 462, 12);
  });
  it('a peer that did not run (null), or is missing, gives null rather than 0 or Infinity', () => {
    expect(ratioOf({ higherIsBetter: true, convlens: 1, peers: { web: null }, against: 'web' })).toBeNull();
    expect(ratioOf({ higherIsBetter: true, convlens: 1, peers: {}, against: 'web' })).toBeNull();
  });
});
