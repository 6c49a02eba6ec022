import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));

describe('convlens CLI', () => {
  it('analyze a zoo model as JSON: the same report as the service', async () => {
    const r = await cli('analyze', 'resnet18', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).totals).toMatchObject({ params: 11_689_512, macs: 1_814_073_344 });
  });

  it('a MAC budget gates a pipeline: exit 1 above it, 0 within', async () => {
    const over = await cli('analyze', 'resnet18', '--max-macs', '1e9');
    expect(over.code).toBe(1);
    expect(over.err).toContain('budget exceeded: MACs 1814073344 > 1000000000');
    expect((await cli('analyze', 'resnet18', '--max-macs', '2e9', '--max-params', '12e6')).code).toBe(0);
  });

  it('--fail-on turns a warning into a failure', async () => {
    const r = await cli('analyze', 'vgg16', '--fail-on', 'FC_DOMINATES');
    expect(r.code).toBe(1);
    expect(r.err).toContain('warning FC_DOMINATES');
  });

  it('an ONNX file with a dynamic input, as CSV', async () => {
    const r = await cli('analyze', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--format', 'csv');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('layer,op,output,params,macs,flops,memory_bytes,rf_size,rf_stride');
    expect(lines[1]).toBe('/conv1/Conv,conv2d,1x64x112x112,9408,118013952,236027904,3851008,7,2');
  });

  it('a JSON spec as a table with totals', async () => {
    const r = await cli('analyze', fixture('specs/mobilenet_v2.json'), '--dtype', 'float16');
    expect(r.code).toBe(0);
    expect(r.out).toContain('total: 3,504,872 params');
  });

  it('invalid input exits 2 with the catalog code: a missing dimension, a missing file, a bad option', async () => {
    const dyn = await cli('analyze', fixture('onnx/resnet18.onnx'));
    expect(dyn.code).toBe(2);
    expect(dyn.err).toContain('MISSING_DIMENSION');
    expect((await cli('analyze', 'no-such-model')).code).toBe(2);
    expect((await cli('analyze', 'resnet18', '--dtype', 'float64')).code).toBe(2);
    expect((await cli('analyze', 'resnet18', '--max-macs', 'lots')).code).toBe(2);
  });

  it('models and operators list the catalogs', async () => {
    expect((await cli('models')).out).toContain('deeplabv3_resnet50');
    expect((await cli('operators')).out).toMatch(/conv2d\s+torch\.nn\.Conv2d/);
  });
});
