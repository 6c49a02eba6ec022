/**
 * A convention's `why` says what the tool does of one unbatched sample only where the model has one
 * (Rule.unbatched): a batched conv or pool's family why, and the headline, never mention unbatched
 * samples; the same layer on one sample [C, …spatial] says what the tool does of it. The catalog
 * (GET /v1/conventions: conventionCatalog) lists both sentences, as it lists rules without a model.
 * Before, every conv and pool rule carried its unbatched sentence on batched models too.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, countWith } from '../../src/conventions/index.js';
import { conventionCatalog } from '../../src/http/catalog.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

// each layer on one unbatched sample; the batch of one is [1, …shape]
const LAYERS: [string, number[], Record<string, unknown>][] = [
  ['conv2d', [3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }],
  ['convTranspose2d', [3, 5, 5], { op: 'convTranspose2d', outChannels: 2, kernelSize: 3, stride: 2 }],
  ['conv1d', [3, 8], { op: 'conv1d', outChannels: 4, kernelSize: 3, padding: 1 }],
  ['convTranspose3d', [2, 3, 4, 4], { op: 'convTranspose3d', outChannels: 2, kernelSize: 2 }],
  ['maxPool2d', [3, 8, 8], { op: 'maxPool2d', kernelSize: 2 }],
  ['avgPool2d', [3, 8, 8], { op: 'avgPool2d', kernelSize: 2 }],
  ['avgPool1d', [3, 8], { op: 'avgPool1d', kernelSize: 2 }],
  ['maxPool3d', [2, 4, 4, 4], { op: 'maxPool3d', kernelSize: 2 }],
  ['adaptiveAvgPool2d', [3, 8, 8], { op: 'adaptiveAvgPool2d', outputSize: 2 }],
  ['adaptiveMaxPool2d', [3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 2 }],
  ['globalAvgPool2d', [3, 8, 8], { op: 'globalAvgPool2d' }],
];

const UNBATCHED = /unbatched/i;

describe.each(LAYERS)('%s on %j and on its batch of one', (_op, shape, layer) => {
  const one = analysed(net(shape, layer));
  const batch = analysed(net([1, ...shape], layer));

  it.each(PRESETS.map((p) => [p.name, p] as const))('%s: the batch\'s why and headline say nothing of unbatched samples; the sample\'s why says what the tool does of it', (_name, preset) => {
    const b = countWith(preset, batch);
    for (const f of b.byFamily) expect([f.family, f.why]).toEqual([f.family, expect.not.stringMatching(UNBATCHED)]);
    expect(b.headline).not.toMatch(UNBATCHED);
    const u = countWith(preset, one);
    const [fam] = u.byFamily;
    const note = preset.rules[fam.family]?.unbatched;
    if (note) {
      expect(fam.why).toContain(note.why);
      expect(fam.source).toContain(note.source);
      // the batched sentence first, as the catalog lists them
      expect(fam.why.startsWith(b.byFamily[0].why)).toBe(true);
    } else {
      // a rule with no unbatched sentence says of the sample what it says of the batch, and what the
      // tool's defect makes of it where it has one (ptflops' pools: ptflops-defects.ts)
      expect(fam.why.startsWith(b.byFamily[0].why)).toBe(true);
      if (fam.why !== b.byFamily[0].why) expect(fam.why).toMatch(/one sample without its batch axis/);
    }
  });
});

describe('which rules have an unbatched sentence', () => {
  it("every preset's conv families (conv, convTranspose, convNd, convTransposeNd), thop's average pools and onnx-tool's pools and global pool", () => {
    const noted = (name: string) => Object.entries(PRESETS.find((p) => p.name === name)!.rules).flatMap(([family, r]) => (r?.unbatched ? [family] : []));
    for (const p of PRESETS) expect(noted(p.name)).toEqual(expect.arrayContaining(['conv', 'convTranspose', 'convNd', 'convTransposeNd']));
    expect(noted('thop')).toEqual(expect.arrayContaining(['avgPool', 'avgPoolNd', 'adaptiveAvgPool', 'globalAvgPool']));
    expect(noted('onnx-tool')).toEqual(expect.arrayContaining(['maxPool', 'avgPool', 'adaptiveAvgPool', 'globalAvgPool', 'maxPoolNd', 'avgPoolNd', 'adaptiveMaxPool', 'adaptiveAvgPoolNd']));
    // and no rule's batched sentence mentions them
    for (const p of PRESETS) for (const [family, r] of Object.entries(p.rules)) expect([p.name, family, r!.why]).toEqual([p.name, family, expect.not.stringMatching(UNBATCHED)]);
  });
});

describe('a model with a batched and an unbatched branch of one family', () => {
  it("the family's why carries the unbatched sentence once (a layer of it read one sample)", () => {
    // conv2d on [3, 8, 8], unsqueeze 0, conv2d on [1, 4, 8, 8]
    const spec = {
      name: 't',
      inputs: [{ name: 'x', shape: [3, 8, 8] }],
      layers: [
        { name: 'c0', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'u', op: 'unsqueeze', axes: [0] },
        { name: 'c1', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
      ],
    };
    const thop = PRESETS.find((p) => p.name === 'thop')!;
    const conv = countWith(thop, analysed(spec)).byFamily.find((f) => f.family === 'conv')!;
    expect(conv.layers).toBe(2);
    expect(conv.why.split(thop.rules.conv!.unbatched!.why)).toHaveLength(2);
  });
});

describe('GET /v1/conventions (conventionCatalog) lists rules without a model', () => {
  it("keeps both sentences: each rule's why, then its unbatched one", () => {
    const thop = conventionCatalog().conventions.find((c) => c.name === 'thop')!;
    const rule = PRESETS.find((p) => p.name === 'thop')!.rules.avgPool!;
    expect(thop.rules.find((r) => r.family === 'avgPool')).toEqual({ family: 'avgPool', why: `${rule.why}; ${rule.unbatched!.why}`, source: `${rule.source}; ${rule.unbatched!.source}` });
  });
});
