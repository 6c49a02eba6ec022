/**
 * The WebAssembly kernels are instantiated at their first use, not when their modules load
 * (tensor/wasm-memory.ts lazily, tensor/gemm-module.ts, ops/depthwise.ts): each instance's memory reserves
 * gigabytes of address space (V8's guard regions), and under `ulimit -v 4000000` `convlens models`
 * could not start (RangeError: WebAssembly.Instance(): Out of memory, exit 1). Here every
 * `new WebAssembly.Instance` made by convlens's own modules is counted while commands that run no
 * kernel run in-process: none; then a kernel run instantiates its module (the count sees it).
 */
import { describe, expect, it } from 'vitest';

const made: string[] = [];
const Original = WebAssembly.Instance;
// a constructor that records who instantiated what: convlens's own modules only (vitest's are not ours)
WebAssembly.Instance = new Proxy(Original, {
  construct(target, args: [WebAssembly.Module, WebAssembly.Imports?]) {
    const stack = new Error().stack ?? '';
    const ours = /[/\\]src[/\\](?:ops|tensor|runtime)[/\\][\w-]+\.ts/.exec(stack);
    if (ours) made.push(ours[0]);
    return Reflect.construct(target, args);
  },
}) as typeof WebAssembly.Instance;

async function cli(argv: string[]) {
  const { main } = await import('../src/cli.js');
  const out: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: () => {} });
  return { code, out: out.join('\n') };
}

describe('commands that run no kernel instantiate none', () => {
  it('models, operators, devices, analyze resnet18 (json), compare resnet18 resnet34, sweep resnet18 at 64 and 96: exit 0, no WebAssembly instance made', async () => {
    for (const argv of [['models'], ['operators'], ['devices'], ['analyze', 'resnet18', '--format', 'json'], ['compare', 'resnet18', 'resnet34'], ['sweep', 'resnet18', '--sizes', '64,96']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
    }
    expect(made).toEqual([]);
  }, 120_000);

  it('a kernel run instantiates its module at that first use, once: gemm (tensor/gemm-module.ts), then the same product again makes none', async () => {
    const { gemm } = await import('../src/tensor/gemm.js');
    const A = Float32Array.from({ length: 8 * 8 }, (_, i) => i % 5);
    const B = Float32Array.from({ length: 8 * 16 }, (_, i) => i % 3);
    const C = new Float32Array(8 * 16);
    gemm(8, 16, 8, A, 0, 8, B, 0, 16, C, 0, 16, false);
    expect(made).toEqual([expect.stringMatching(/tensor[/\\]gemm-module\.ts$/)]);
    // C[0][0] = Σ_k A[0][k]·B[k][0] = Σ_k (k mod 5)·((16k) mod 3)
    expect(C[0]).toBe([0, 1, 2, 3, 4, 0, 1, 2].reduce((s, a, k) => s + a * ((16 * k) % 3), 0));
    gemm(8, 16, 8, A, 0, 8, B, 0, 16, C, 0, 16, false);
    expect(made).toHaveLength(1);
  });

  it('instantiateKernels (a pool worker and a partner thread at their start) instantiates every kernel module imported so far, each once: winograd, depthwise, pool, clamp, element-wise, arith, softmax besides gemm; again, none', async () => {
    // the op modules that bind the kernels (the executor's imports bring them all in a worker)
    await import('../src/ops/registry.js');
    const { instantiateKernels } = await import('../src/tensor/wasm-memory.js');
    const before = made.length;
    instantiateKernels();
    // depthwise's own loader, and six through tensor/wasm-memory.ts's wasmInstance (the stack's first of ours)
    const files = made.slice(before).map((f) => f.replace(/^.*[/\\]src[/\\]/, '').replace(/\\/g, '/'));
    expect(files.filter((f) => f === 'ops/depthwise.ts')).toHaveLength(1);
    expect(files.filter((f) => f === 'tensor/wasm-memory.ts')).toHaveLength(6);
    expect(files).toHaveLength(7);
    instantiateKernels();
    expect(made.length).toBe(before + 7);
  });
});
