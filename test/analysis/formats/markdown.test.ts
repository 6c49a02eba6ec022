import { describe, expect, it } from 'vitest';
import { reportMarkdown } from '../../../src/analysis/formats/markdown.js';
import type { Report } from '../../../src/analysis/report.js';
import { resnet18 } from '../../../src/zoo/resnet.js';
import { swin_t } from '../../../src/zoo/swin.js';
import { analyze } from '../../helpers.js';

const r18 = analyze(resnet18());
const lines = (md: string) => md.split('\n');

describe('reportMarkdown: ResNet-18', () => {
  const md = reportMarkdown(r18, { depth: 1, topK: 3 });

  it('title, inputs and outputs, and the exact totals', () => {
    expect(lines(md)[0]).toBe('## convlens report: `resnet18`');
    expect(md).toContain('input `input` 1×3×224×224 · output `fc` 1×1000');
    expect(lines(md)).toContain('| params | buffers | MACs | FLOPs (2macs) | memory access (bytes) | layers | depth | width |');
    expect(lines(md)).toContain(`| 11,689,512 | 9,620 | 1,814,073,344 | ${r18.totals.flops.toLocaleString('en-US')} | ${r18.totals.memoryAccess.bytes.toLocaleString('en-US')} | 69 | 18 | 512 |`);
  });

  it('the conventions each number was counted under', () => {
    expect(md).toContain('### Conventions');
    expect(md).toContain(`- **FLOPs** (\`2macs\`): 2·MACs of conv/linear`);
    expect(md).toContain('`float32` (4 bytes per element)');
    expect(md).toContain('- **bias**: bias additions not counted');
  });

  it('the module table at depth 1: layer1 = 147,968 params (1.27 %), 462,422,016 MACs (25.49 %)', () => {
    expect(md).toContain('### Modules (depth 1)');
    expect(lines(md)).toContain('| `layer1` … |  | 14 | 148.0 k | 1.27% | 462.4 M | 25.49% | 24.68 M | 21.10% |');
    expect(lines(md)).toContain('| `conv1` | `conv2d` | 1 | 9.408 k | 0.08% | 118.0 M | 6.51% | 3.851 M | 3.29% |');
    expect(md).not.toContain('`layer1.0`');
  });

  it('the costliest layers and the op breakdown', () => {
    expect(lines(md)).toContain('| 1 | `conv1` | `conv2d` | 118.0 M | 6.51% |');
    expect(lines(md)).toContain('| 1 | `layer4.0.conv2` | `conv2d` | 2.359 M | 20.18% |');
    expect(lines(md)).toContain('| `conv2d` | 20 | 11.17 M | 95.53% | 1.814 G | 99.97% | 3.627 G | 99.71% | 63.33 M | 54.15% |');
  });

  it('the warnings, with their codes and layers', () => {
    expect(md).toMatch(/- \*\*info\*\* `RECEPTIVE_FIELD_EXCEEDS_INPUT`: final feature map .* \(layer `layer4\.1\.relu`\)/);
  });

  it('depth 2 nests the blocks (indented); a long module table folds into <details>', () => {
    const deeper = reportMarkdown(r18, { depth: 2 });
    expect(deeper).toContain('| &nbsp;&nbsp;`layer1.0` … |  | 7 | 73.98 k | 0.63% | 231.2 M | 12.75% |');
    expect(deeper).not.toContain('<details><summary>19 modules</summary>');
    expect(reportMarkdown(r18, { depth: 2, foldRows: 10 })).toContain('<details><summary>19 modules</summary>');
  });

  it('depth 0 and topK 0 leave their sections out; bad options are refused', () => {
    const bare = reportMarkdown(r18, { depth: 0, topK: 0 });
    expect(bare).not.toContain('### Modules');
    expect(bare).not.toContain('### Costliest layers');
    expect(bare).toContain('### By op type');
    expect(() => reportMarkdown(r18, { depth: -1 })).toThrow();
  });

  it('an incomplete analysis says so, with the unsupported operators', () => {
    const partial: Report = { ...r18, totals: { ...r18.totals, complete: false, unsupported: [{ opType: 'Einsum', count: 2, nodes: ['e1', 'e2'], reasons: ['convlens does not model ONNX Einsum'] }] } };
    expect(reportMarkdown(partial)).toContain('> [!WARNING]\n> Incomplete analysis: unsupported operators 2× `Einsum`. The counts cover the analysed layers only (lower bounds).');
  });

  it('a zoo or ONNX source is named', () => {
    expect(reportMarkdown({ ...r18, source: { format: 'zoo', model: 'resnet18' } })).toContain('built-in model `resnet18` · input');
    expect(reportMarkdown({ ...r18, source: { format: 'onnx', opset: 13, producer: 'pytorch 1.13.0', bytes: 22792 } })).toContain('ONNX file (opset 13, pytorch 1.13.0, 22,792 bytes)');
  });
});

describe('reportMarkdown: what buffers are, on a network without batch norm', () => {
  it("swin_t's 28,812 buffers are its 12 blocks' relative-position indices (49² each, as PyTorch's model.buffers()), not BN statistics: the conventions say so", () => {
    const swin = analyze(swin_t());
    expect(swin.totals.buffers).toBe(12 * 49 * 49);
    const md = reportMarkdown(swin);
    expect(md).not.toContain('**buffers**: BN running mean and variance');
    expect(md).toContain("**buffers**: non-trainable state (BN running mean, variance and num_batches_tracked, Swin's relative-position index)");
  });
});

