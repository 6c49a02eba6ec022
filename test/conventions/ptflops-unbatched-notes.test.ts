/**
 * ptflops' defect notes (src/conventions/ptflops-defects.ts) on a model fed one unbatched sample:
 * every note that applies is said, family by family. The division by the sample's first axis is
 * said where a family has module hooks; a subclassed module's missing hook, and nn.Upsample's
 * output[0], are said too (before, the unbatched note returned early and dropped them).
 */
import { describe, expect, it } from 'vitest';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { analysed } from './helpers.js';

const ptflops = PRESETS_BY_NAME.get('ptflops')!;

// [3, 8, 8] → conv2d 3→4 k3 p1 (a subclass of nn.Conv2d) [4, 8, 8] → maxPool2d 2 [4, 4, 4] → x[None] [1, 4, 4, 4] → nn.Upsample nearest ×2 [1, 4, 8, 8]
const spec = {
  name: 't',
  inputs: [{ name: 'x', shape: [3, 8, 8] }],
  layers: [
    { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'p', op: 'maxPool2d', kernelSize: 2 },
    { name: 'u', op: 'unsqueeze', axes: [0] },
    { name: 'up', op: 'upsample', mode: 'nearest', scaleFactor: 2 },
  ],
};

describe('ptflops on an unbatched [3, 8, 8] with a subclassed conv and an nn.Upsample (batch counter: the first axis, 3)', () => {
  const c = countWith(ptflops, analysed(spec), { subclassed: ['c'] });
  const why = (family: string) => c.byFamily.find((f) => f.family === family)!.why;

  it("conv: the subclass note (no hook; the class's hook 2784 / 3 = 928: 9·3·4 MACs at C 3 × 8 positions = 2592, + 3·8·8 = 192 bias (batch_size 3 × prod(output.shape[1:]) of [4, 8, 8], pytorch_ops.py l. 88), as the hook reads the unbatched shapes); no division note, its hooks counting 0 (was: no note)", () => {
    expect(why('conv')).toContain("are modules of a subclass of the class their op names (the spec's `subclassed`), which get no hook");
    expect(why('conv')).toContain("they count 0 where the class's hook gives 928");
    expect(why('conv')).not.toContain('takes its first axis');
  });

  it("maxPool: the module hook's 256 inputs divided by 3, 85.33; the patched F.max_pool2d whole", () => {
    expect(why('maxPool')).toContain("takes its first axis, 3, for the batch: the module hooks' 256 for the one sample are divided by 3 (l. 199), 85.33; the patched functions' counts are whole");
    expect(why('maxPool')).not.toContain('at batch 3');
  });

  it("resample: the division note and nn.Upsample's output[0] note, both (was: the division note alone)", () => {
    expect(why('resample')).toContain("takes its first axis, 3, for the batch: the module hooks' 256 for the one sample are divided by 3 (l. 199), 85.33");
    expect(why('resample')).toContain("nn.Upsample's hook (ptflops/pytorch_ops.py upsample_flops_counter_hook l. 21-27) counts output[0], one sample's 256 outputs, which the division by the batch 3 then makes 85.33");
  });
});

// [2, 3, 8, 8] → conv2d 3→4 k3 p1 [2, 4, 8, 8] → F.interpolate bilinear ×2 [2, 4, 16, 16] → x[0:1] → squeeze 0 → maxPool2d 2 on [4, 16, 16]
const sliced = {
  name: 't',
  inputs: [{ name: 'x', shape: [2, 3, 8, 8] }],
  layers: [
    { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'up', op: 'upsample', mode: 'bilinear', scaleFactor: 2 },
    { name: 's', op: 'slice', starts: [0], ends: [1], axes: [0] },
    { name: 'q', op: 'squeeze', axes: [0] },
    { name: 'p', op: 'maxPool2d', kernelSize: 2 },
  ],
};

describe('ptflops on a batch [2, 3, 8, 8] one of whose layers pools one sample it sliced off (x[0], [4, 16, 16]): the model is batched', () => {
  const c = countWith(ptflops, analysed(sliced), { functional: ['up'] });
  const why = (family: string) => c.byFamily.find((f) => f.family === family)!.why;

  it('no family says the model reads one sample without its batch axis (was: conv and maxPool, the conv\'s batch of 2 called "the one sample")', () => {
    for (const f of c.byFamily) expect([f.family, f.why]).toEqual([f.family, expect.not.stringContaining('without its batch axis')]);
  });

  it("resample: the batch note, F.interpolate's 2·4·8·8 inputs × 2² = 2,048 the whole batch's, 1,024 per image (was: no note)", () => {
    expect(why('resample')).toContain("at batch 2 the patched functions' 2,048 are the whole batch's");
    expect(why('resample')).toContain(': 1,024 per image');
  });
});
