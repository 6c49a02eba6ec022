/**
 * Issue 12: how a split layer is cut into bands (runtime/bands.ts): rows or channels by the layer's
 * shape, the leader's learnt share, the partner's rows in a first band of one quantum and then a
 * quarter, a half and a quarter, and rows in pairs for a Winograd conv (its 2×2 output tiles).
 * Every bound is worked by hand from the rules in bands.ts's header.
 */
import { describe, expect, it } from 'vitest';
import { bandsFor, partnerBands, rowQuantum, sharedTail, TAIL_QUANTA } from '../../src/runtime/bands.js';
import { MODE_CHANNELS, MODE_ROWS } from '../../src/runtime/team-protocol.js';
import { convPlan as plan } from './conv-plans.js';

describe('bands of a split conv', () => {
  it('bands: channels for one image and group when 2·Cout > H\'·W\' (7×7, 64 channels: 2 of 32; 3 threads, 36: 3 of 12), else rows when they divide (56 rows: 2 of 28; 112 rows: 2 of 56), else uneven rows (7 in 3)', () => {
    expect(bandsFor(plan(1, 8, 112, 112, 64, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 56, 112] });
    expect(bandsFor(plan(1, 3, 224, 224, 64, 7, 2), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 56, 112] });
    expect(bandsFor(plan(1, 8, 56, 56, 6, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 28, 56] });
    expect(bandsFor(plan(2, 8, 56, 56, 64, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 28, 56] });
    // 3,136 positions ≥ 2·64: rows (a channel band would repeat the whole im2col)
    expect(bandsFor(plan(1, 8, 56, 56, 64, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 28, 56] });
    // 196 positions: 2·104 = 208 over them, channels; 2·96 = 192 not, rows
    expect(bandsFor(plan(1, 8, 14, 14, 104, 3), 2)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 52, 104] });
    // (and a Winograd conv, 8 channels at 14×14: rows in pairs, its 2×2 tiles, rowQuantum)
    expect(bandsFor(plan(1, 8, 14, 14, 96, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 8, 14] });
    expect(bandsFor(plan(1, 4, 14, 14, 96, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 7, 14] });
    expect(bandsFor(plan(1, 8, 7, 7, 64, 3), 2)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 32, 64] });
    expect(bandsFor(plan(1, 8, 7, 7, 16, 3), 3)).toEqual({ mode: MODE_ROWS, bounds: [0, 2, 5, 7] });
    expect(bandsFor(plan(1, 8, 7, 7, 36, 3), 3)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 12, 24, 36] });
    expect(bandsFor(plan(1, 8, 15, 15, 6, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 8, 15] });
    expect(bandsFor(plan(1, 8, 1, 1, 6, 1), 2)).toBeNull();
    // a depth-tiled GEMM (gemmTiles: K = 2048·9 past KERNEL_SCRATCH) would tile a 128-channel band otherwise than 256: rows
    expect(bandsFor(plan(1, 2048, 8, 8, 256, 3), 2)).toEqual({ mode: MODE_ROWS, bounds: [0, 4, 8] });
    // a whole conv tiled by rows of A (8,192 kernels): rows, though 2·Cout is far over 49 positions
    expect(bandsFor(plan(1, 512, 7, 7, 8192, 1), 4)).toEqual({ mode: MODE_ROWS, bounds: [0, 2, 4, 5, 7] });
  });

  it("bands with a leader's share (two threads, runtime/bands.ts balance): channels in fours, rows whole, neither band empty", () => {
    expect(bandsFor(plan(1, 8, 7, 7, 64, 3), 2, 0.45)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 28, 64] });
    expect(bandsFor(plan(1, 8, 7, 7, 64, 3), 2, 0.01)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 4, 64] });
    expect(bandsFor(plan(1, 8, 7, 7, 64, 3), 2, 0.99)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 60, 64] });
    expect(bandsFor(plan(1, 4, 15, 15, 6, 3), 2, 0.4)).toEqual({ mode: MODE_ROWS, bounds: [0, 6, 15] });
    expect(bandsFor(plan(1, 4, 15, 15, 6, 3), 2, 0)).toEqual({ mode: MODE_ROWS, bounds: [0, 1, 15] });
    // a Winograd conv (8 channels): rows in pairs, the least band two rows
    expect(bandsFor(plan(1, 8, 15, 15, 6, 3), 2, 0)).toEqual({ mode: MODE_ROWS, bounds: [0, 2, 15] });
    // three threads: even bands whatever the share
    expect(bandsFor(plan(1, 8, 7, 7, 36, 3), 3, 0.2)).toEqual({ mode: MODE_CHANNELS, bounds: [0, 12, 24, 36] });
  });

  it('partnerBands: a two-thread row cut with the partner\'s rows in one row first, then a quarter, a half and a quarter of the rest, when five rows or more ([0, 17, 56] → [0, 17, 18, 28, 46, 56]: 1, then 10, 18, 10 of 38; [0, 6, 15] → [0, 6, 7, 9, 13, 15]; five: [0, 10, 15] → [0, 10, 11, 12, 14, 15]); four rows in quarters without it ([0, 10, 14] → [0, 10, 11, 13, 14]); two or three rows in halves ([0, 12, 15] → [0, 12, 14, 15]); a partner\'s single row, or a cut of other than two bands, as it is', () => {
    expect(partnerBands([0, 17, 56])).toEqual([0, 17, 18, 28, 46, 56]);
    expect(partnerBands([0, 6, 15])).toEqual([0, 6, 7, 9, 13, 15]);
    expect(partnerBands([0, 10, 15])).toEqual([0, 10, 11, 12, 14, 15]);
    expect(partnerBands([0, 10, 14])).toEqual([0, 10, 11, 13, 14]);
    expect(partnerBands([0, 12, 15])).toEqual([0, 12, 14, 15]);
    expect(partnerBands([0, 14, 15])).toEqual([0, 14, 15]);
    expect(partnerBands([0, 28, 56, 84, 112])).toEqual([0, 28, 56, 84, 112]);
  });

  it('rows in pairs for a Winograd conv (rowQuantum 2: its tiles are 2×2 outputs): 3×3 s1 with 8 channels at 112×112 cut at the learnt share in pairs ([0, 56, 112] at 0.5, [0, 58, 112] at 0.52), the partner\'s first tile row, then its quarters, half and quarter in pairs ([0, 56, 112] → [0, 56, 58, 72, 98, 112]: 2, then 14, 26, 14; [0, 58, 112] → [0, 58, 60, 74, 98, 112]; five rows, two pairs and a single row: halves, the middle bound rounded up onto a pair, [0, 12, 17] → [0, 12, 16, 17]); 4 channels (the direct conv) or a stride of 2: single rows', () => {
    const wino = plan(1, 8, 112, 112, 64, 3);
    expect(rowQuantum(wino)).toBe(2);
    expect(rowQuantum(plan(1, 4, 112, 112, 64, 3))).toBe(1);
    expect(rowQuantum(plan(1, 8, 112, 112, 64, 3, 2))).toBe(1);
    expect(bandsFor(wino, 2, 0.5)!.bounds).toEqual([0, 56, 112]);
    expect(bandsFor(wino, 2, 0.52)!.bounds).toEqual([0, 58, 112]);
    expect(bandsFor(plan(1, 4, 112, 112, 64, 3), 2, 0.52)!.bounds).toEqual([0, 58, 112]);
    expect(bandsFor(plan(1, 4, 112, 112, 64, 3), 2, 0.51)!.bounds).toEqual([0, 57, 112]);
    expect(bandsFor(wino, 2, 0.51)!.bounds).toEqual([0, 58, 112]);
    expect(partnerBands([0, 56, 112], 2)).toEqual([0, 56, 58, 72, 98, 112]);
    expect(partnerBands([0, 58, 112], 2)).toEqual([0, 58, 60, 74, 98, 112]);
    expect(partnerBands([0, 12, 17], 2)).toEqual([0, 12, 16, 17]);
    expect(partnerBands([0, 12, 15], 2)).toEqual([0, 12, 15]);
  });

  it('an odd count of rows in pairs (a Winograd conv of odd height: its last tile row is a single row): the quarters counted in pairs, no band empty ([0, 8, 17]: 9 rows, 5 pairs, a quarter of ⌈5/4⌉ = 2 pairs → [0, 8, 12, 14, 17]; [0, 22, 33]: a first pair, then 9 rows → [0, 22, 24, 28, 30, 33]; [0, 2, 11] → [0, 2, 6, 8, 11]); the share cut at most at the last pair below an odd count (17 rows at 0.99: 8.415 pairs round to 8, 16 rows → [0, 16, 17], no tile row cut in two)', () => {
    expect(partnerBands([0, 8, 17], 2)).toEqual([0, 8, 12, 14, 17]);
    expect(partnerBands([0, 22, 33], 2)).toEqual([0, 22, 24, 28, 30, 33]);
    expect(partnerBands([0, 2, 11], 2)).toEqual([0, 2, 6, 8, 11]);
    const odd = plan(1, 8, 17, 17, 64, 3);
    expect(rowQuantum(odd)).toBe(2);
    expect(bandsFor(odd, 2, 0.5)!.bounds).toEqual([0, 8, 17]);
    expect(bandsFor(odd, 2, 0.99)!.bounds).toEqual([0, 16, 17]);
  });

  it('sharedTail: a Winograd conv\'s cut [0, cut, n] with the leader\'s band 3 tile rows shorter and the last 6 tile rows one band each, the partner\'s rows between as partnerBands cuts them ([0, 56, 112] → leader 0–50, partner 50–100 as [50, 52, 64, 88, 100], tail 100, 102, …, 112; [0, 16, 56] → [0, 10, 12, 20, 36, 44, 46, …, 56]); an odd n\'s last band one row ([0, 56, 111]: 110–111); a short leader\'s band gives what it can keep one tile row of ([0, 4, 56]: one tile row, the tail two); too little between the leader\'s and the tail (under 5 tile rows) or a cut of other than two bands: partnerBands as it is', () => {
    expect(TAIL_QUANTA).toBe(3);
    expect(sharedTail([0, 56, 112])).toEqual([0, 50, 52, 64, 88, 100, 102, 104, 106, 108, 110, 112]);
    expect(sharedTail([0, 16, 56])).toEqual([0, 10, 12, 20, 36, 44, 46, 48, 50, 52, 54, 56]);
    expect(sharedTail([0, 56, 111])).toEqual([0, 50, 52, 64, 88, 100, 102, 104, 106, 108, 110, 111]);
    expect(sharedTail([0, 4, 56])).toEqual([0, 2, 4, 16, 40, 52, 54, 56]);
    expect(sharedTail([0, 50, 56])).toEqual(partnerBands([0, 50, 56], 2));
    expect(sharedTail([0, 100, 112])).toEqual([0, 100, 102, 106, 108, 112]);
    expect(sharedTail([0, 28, 56, 84, 112])).toEqual([0, 28, 56, 84, 112]);
    expect(sharedTail([0, 56, 112], 0)).toEqual(partnerBands([0, 56, 112], 2));
  });
});
