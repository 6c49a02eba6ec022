import { describe, expect, it } from 'vitest';
import { simdLoop } from '../../bench/ceiling-work.js';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { ceiling, convHelper } from '../../bench/ceilings.js';
import { cpuSpeeds } from '../../bench/cpu-speeds.js';

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

// taskset (util-linux) pins the probes; a host without it skips the line (bench/cpu-speeds.ts) and this case
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

describe("bench cpu-speeds: each CPU's speed alone", () => {
  it.skipIf(!hasTaskset)('the SIMD loop pinned to each CPU in turn (1 round of 20 ms): one relative speed per CPU, the fastest 1, each above 0', async () => {
    const s = await cpuSpeeds('simd', 1, 20);
    expect(s).not.toBeNull();
    expect(s!.relative).toHaveLength(os.cpus().length);
    expect(Math.max(...s!.relative)).toBe(1);
    for (const v of s!.relative) expect(v).toBeGreaterThan(0);
    for (const v of s!.rates) expect(v).toBeGreaterThan(0);
  });

  it('a CPU that cannot be pinned (CPU 4095: taskset refuses it) gives null, not a hang or a throw', async () => {
    expect(await cpuSpeeds('simd', 1, 20, [4095])).toBeNull();
  });
});
