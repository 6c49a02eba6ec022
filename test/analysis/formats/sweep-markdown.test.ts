import { describe, expect, it } from 'vitest';
import { sweepMarkdown } from '../../../src/analysis/formats/sweep-markdown.js';
import { sweepResolutions } from '../../../src/analysis/sweep.js';
import { DEFAULTS } from '../../helpers.js';

describe('sweepMarkdown: ResNet-18 at 160 and 224 on the Raspberry Pi 5', () => {
  const md = sweepMarkdown(sweepResolutions({ kind: 'model', name: 'resnet18', resolution: 224 }, { sizes: [160, 224], device: 'raspberry-pi-5' }, DEFAULTS));
  const rows = md.split('\n').filter((l) => l.startsWith('| '));

  it('the peak column names what it holds: activations alone (weights, 46,796,608 B at every size, are not in it)', () => {
    // by hand at 224: conv1's and bn1's outputs (64·112·112·4 B each) + the input (3·224·224·4 B) = 7,024,640 B; at 160 × 25/49.
    // The header said "peak memory (bytes)", which reads as what inference holds, weights included.
    expect(rows[0]).toContain('| peak activations (bytes, float32) |');
    expect(md).not.toContain('peak memory');
    expect(rows[2]).toContain(`| ${(2 * 64 * 80 * 80 * 4 + 3 * 160 * 160 * 4).toLocaleString('en-US')} |`);
    expect(rows[3]).toContain('| 7,024,640 |');
  });
});
