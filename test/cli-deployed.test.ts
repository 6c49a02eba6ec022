import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { Io } from '../src/cli.js';

async function cli(argv: string[], extra: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...extra });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-deployed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// resnet18 deployed (test/analysis/deployed.test.ts works the figures out by hand): params
// 11,689,512 → 11,684,712, buffers 9,620 (with 20 num_batches_tracked) → 0, memory access −44,413,184 B, 69 layers → 24 kernels
describe('convlens analyze --deployed (issue 11)', () => {
  it('table: the trained and deployed totals side by side, the largest memory drops', async () => {
    const r = await cli(['analyze', 'resnet18', '--deployed']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('deployed graph (BN folded into convs, conv + add + activation fused): 20 fused groups, memory access −44,413,184 B');
    expect(r.out).toMatch(/^params\s+11,689,512\s+11,684,712\s+-4,800\s+-0\.04%$/m);
    expect(r.out).toMatch(/^buffers\s+9,620\s+0\s+-9,620\s+-100\.00%$/m);
    expect(r.out).toMatch(/^kernels\s+69\s+24\s+-45/m);
    expect(r.out).toMatch(/^conv1 → bn1 → relu\s+foldBatchNorm \+ activation\s+12,845,824$/m);
  });

  it('json: a `deployed` key with the groups and totals; absent without the flag', async () => {
    const j = JSON.parse((await cli(['analyze', 'resnet18', '--deployed', '--format', 'json'])).out);
    expect(j.deployed.groups).toHaveLength(20);
    expect(j.deployed.memoryDrop.bytes).toBe(44_413_184);
    expect(j.deployed.deployed.params).toBe(11_684_712);
    expect(JSON.parse((await cli(['analyze', 'resnet18', '--format', 'json'])).out).deployed).toBeUndefined();
  });

  // conv1 → bn1 → relu: trained (150,528 + 802,816 + 9,408) + (2·802,816 + 4·64) + 2·802,816 = 4,174,272 el;
  // deployed 150,528 + 802,816 + 9,408 + 64 (bias) = 962,816 el; ×4 bytes
  it('md: a "Deployed graph" section with the totals table and the groups folded', async () => {
    const r = await cli(['analyze', 'resnet18', '--deployed', '--format', 'md']);
    expect(r.out).toContain('### Deployed graph (inference fusions)');
    expect(r.out).toContain('memory access drops by **44,413,184 bytes** (37.98%)');
    expect(r.out).toMatch(/^\| params \| 11,689,512 \| 11,684,712 \| −4,800 \(−0\.04%\) \|$/m);
    expect(r.out).toContain('<details><summary>Fused groups (20)</summary>');
    expect(r.out).toMatch(/^\| `conv1` → `bn1` → `relu` \| foldBatchNorm \+ activation \| 16,697,088 \| 3,851,264 \| 12,845,824 \(−76\.93%\) \|$/m);
  });

  it('html --out: a section id="deployed" with the drop as a data-field', async () => {
    const file = path.join(tmp, 'r18.html');
    const r = await cli(['analyze', 'resnet18', '--deployed', '--format', 'html', '--out', file]);
    expect(r.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<section id="deployed"><h2>Deployed graph (inference fusions)</h2>');
    expect(html).toContain('<b data-field="deployedMemoryDrop">44,413,184</b>');
    expect(html).toContain('<code>layer1.0.conv2</code> → <code>layer1.0.bn2</code> → <code>layer1.0.add</code> → <code>layer1.0.relu</code>');
    expect((await cli(['analyze', 'resnet18', '--format', 'html'])).out).not.toContain('id="deployed"');
  });

  it('csv: the deployed graph is in its columns fused_into and deployed_memory_bytes, and nothing on stderr (it said the CSV left it out)', async () => {
    const r = await cli(['analyze', 'resnet18', '--deployed', '--format', 'csv']);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0].split(',').slice(-2)).toEqual(['fused_into', 'deployed_memory_bytes']);
  });
});
