import { describe, expect, it } from 'vitest';
import { simdLoop } from '../../bench/ceiling-work.js';
import { ceiling, convHelper } from '../../bench/ceilings.js';

describe("bench ceilings: the machine's two-thread ceilings", () => {
  it('the SIMD loop computes a ← a + 0.999·a per round on 12 chains from 1…12: one round gives 1.999 + 23.988 = 25.987, two 13·1.999² = 51.948013', async () => {
    const run = await simdLoop();
    expect(run(1)).toBeCloseTo(25.987, 3);
    expect(run(2)).toBeCloseTo(51.948013, 2);
  });

  it('a ceiling takes one ratio per round from its two threads (their tsx-registered entry loads the work): 2 rounds of 20 ms', async () => {
    const { ratio, ratios } = await ceiling('simd', 2, 20, 0);
    expect(ratios).toHaveLength(2);
    // each window did work on both sides: the SIMD loop is 2^18 rounds, well under 20 ms
    for (const r of ratios) expect(r).toBeGreaterThan(0);
    expect(ratios).toContain(ratio);
  });

  it("the conv helper answers 'once' after one whole conv, twice in a row, and is ended by close (terminate's exit code 1)", async () => {
    const helper = await convHelper();
    await helper.once();
    await helper.once();
    expect(await helper.close()).toBe(1);
  });
});
