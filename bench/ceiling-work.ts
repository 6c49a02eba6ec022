/**
 * The work bench/ceilings.ts runs on each of its threads, built once per thread:
 *  - `simd`: twelve independent f32x4 multiply-add chains in registers (no memory traffic): what two
 *    cores give when nothing but their SIMD units is used;
 *  - `conv`: the whole 3×3 conv 128→128 at 112×112 of the parallel bench, this thread's own copy of
 *    its tensors, run as runGraph runs it with no split (the kernel alone), its output released
 *    when settled.
 */
import wabtInit from 'wabt';
import { inferGraph } from '../src/analysis/infer.js';
import { loadGraph } from '../src/graph/load.js';
import { runGraph } from '../src/runtime/execute.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { releaseNow } from './sides.js';

export type CeilingKind = 'simd' | 'conv';

const CHAINS = 12;

/** A wasm function of `n` rounds of CHAINS f32x4 `a = a + a·k` (independent chains, so throughput-bound, not latency-bound). */
function simdText(): string {
  const chain = (i: number) => `(local.set $a${i} (f32x4.add (local.get $a${i}) (f32x4.mul (local.get $a${i}) (local.get $k))))`;
  const ids = Array.from({ length: CHAINS }, (_, i) => i);
  return `(module (func (export "run") (param $n i32) (result f32) (local $k v128) ${ids.map((i) => `(local $a${i} v128)`).join(' ')}
    (local.set $k (f32x4.splat (f32.const 0.999)))
    ${ids.map((i) => `(local.set $a${i} (f32x4.splat (f32.const ${i + 1})))`).join(' ')}
    (loop $l ${ids.map(chain).join(' ')} (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
    (f32x4.extract_lane 0 (f32x4.add (local.get $a0) (local.get $a${CHAINS - 1})))))`;
}

/** The SIMD loop: `rounds` rounds from chain i's lanes at i + 1, each round a ← a + 0.999·a; lane 0 of the first chain plus the last. */
export async function simdLoop(): Promise<(rounds: number) => number> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('ceiling.wat', simdText(), { simd: true });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(module.toBinary({}).buffer)));
  return instance.exports.run as (rounds: number) => number;
}

/** One piece of a ceiling's work: `run` it, then `settle` what it left (a conv's output), which a timed pair can leave off its clock. */
export interface CeilingWork {
  run: () => void;
  settle: () => void;
}

export async function ceilingWork(kind: CeilingKind): Promise<CeilingWork> {
  if (kind === 'simd') {
    const loop = await simdLoop();
    return { run: () => void loop(1 << 18), settle: () => {} };
  }
  const shape = [1, 128, 112, 112];
  const r = rng(1);
  const random = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const graph = loadGraph({ kind: 'spec', spec: { name: 'conv', inputs: [{ name: 'x', shape }], layers: [{ name: 'conv', op: 'conv2d', outChannels: 128, kernelSize: 3, padding: 1 }] } }).graph;
  const inference = inferGraph(graph);
  const inputs = { [graph.inputs[0].name]: tensor(shape, random(128 * 112 * 112)) };
  const weights = { 'conv.weight': tensor([128, 128, 3, 3], random(128 * 128 * 9)), 'conv.bias': tensor([128], random(128)) };
  const options = { training: false, seed: 0, weightInit: 'seed' as const, weights, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER };
  let outputs: Tensor[] = [];
  return {
    run: () => void (outputs = Object.values(runGraph(graph, inputs, options, inference).outputs)),
    // released as the service releases an answer once sent (bench/sides.ts releaseNow)
    settle: () => {
      releaseNow(outputs);
      outputs = [];
    },
  };
}
