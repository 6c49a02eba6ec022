/** The example specs in examples/specs/ are the notes' worked examples: each states its numbers, checked here by hand. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze, layer } from './helpers.js';

const example = (name: string) => analyze(JSON.parse(readFileSync(new URL(`../examples/specs/${name}.json`, import.meta.url), 'utf8')));

describe('examples/specs: the notes\' worked examples', () => {
  it('conv-then-pool: 3×3/2 conv then 2×2/2 pool → one unit sees 5×5 pixels, stride 4', () => {
    const r = example('conv-then-pool');
    expect(layer(r, 'conv').receptiveField).toMatchObject({ size: [3, 3], stride: [2, 2] });
    expect(layer(r, 'pool').receptiveField).toMatchObject({ size: [5, 5], stride: [4, 4] });
  });

  it('three-3x3-convs: fields 3, 5, 7; 3·(3·3·64·64) = 110,592 parameters where one 7×7 conv has 200,704', () => {
    const r = example('three-3x3-convs');
    expect(['conv1', 'conv2', 'conv3'].map((n) => layer(r, n).receptiveField!.size)).toEqual([
      [3, 3],
      [5, 5],
      [7, 7],
    ]);
    expect(r.totals.params).toBe(3 * 3 * 3 * 64 * 64);
    expect(3 * 3 * 3 * 64 * 64).toBeLessThan(7 * 7 * 64 * 64);
  });

  it('depthwise-separable: 3,612,672 + 25,690,112 MACs = 1/N + 1/K² of the standard 231,211,008', () => {
    const r = example('depthwise-separable');
    expect(layer(r, 'depthwise').macs).toBe(3_612_672);
    expect(layer(r, 'pointwise').macs).toBe(25_690_112);
    expect(r.totals.macs / 231_211_008).toBeCloseTo(1 / 64 + 1 / 9, 12);
  });

  it('gap-classifier: the classifier has 512·1000 + 1000 = 513,000 parameters (flattening 7×7 would give 25,089,000)', () => {
    const r = example('gap-classifier');
    expect(layer(r, 'fc').params).toBe(513_000);
    expect(layer(r, 'fc').macs).toBe(512_000);
  });

  it('tiny-resnet-block: 2·(3·3·64·64) conv + 2·2·64 BN parameters; 2·(3·3·64·64·56·56) MACs', () => {
    const r = example('tiny-resnet-block');
    expect(r.totals.params).toBe(2 * 9 * 64 * 64 + 4 * 64);
    expect(r.totals.macs).toBe(2 * 9 * 64 * 64 * 56 * 56);
  });

  it("the README's spec is tiny-resnet-block.json without its description (the README's had no bn2, its sum reading conv2)", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const shown = JSON.parse(/## The network spec[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]);
    const { description, ...file } = JSON.parse(readFileSync(new URL('../examples/specs/tiny-resnet-block.json', import.meta.url), 'utf8'));
    expect(description).toContain("README's example");
    expect(shown).toEqual(file);
  });
});
