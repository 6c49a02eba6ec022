/**
 * What an ERF sample saves through the model cache (runtime/cached-load.ts): a cache hit's load of
 * FILE (default bench/.cache/resnet50.onnx; its digest noted, as the route's) against its import and
 * inference, alternating, in this thread; medians of 10.
 *
 *   node --import tsx bench/erf-load-probe.ts
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadCached, loadUncached } from '../src/runtime/cached-load.js';
import { noteDigest } from '../src/runtime/file-digest.js';
import { taskLimits } from '../src/runtime/limits.js';
const file = readFileSync(process.env.FILE ?? new URL('.cache/resnet50.onnx', import.meta.url).pathname);
const sha = createHash('sha256').update(file).digest('hex');
const { maxFolded } = taskLimits(undefined);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const src = () => { const bytes = new Uint8Array(file); noteDigest(bytes, sha); return { kind: 'onnx' as const, bytes, inputShapes: {} }; };
loadCached(src(), maxFolded, 1 << 26);
const t = { hit: [] as number[], imp: [] as number[] };
for (let r = 0; r < 10; r++) {
  for (const hit of r % 2 ? [true, false] : [false, true]) {
    const s = src();
    const t0 = performance.now();
    (hit ? loadCached : loadUncached)(s, maxFolded, 1 << 26);
    t[hit ? 'hit' : 'imp'].push(performance.now() - t0);
  }
}
console.log(`resnet50 load: cache hit median ${med(t.hit).toFixed(2)} ms, import + inference median ${med(t.imp).toFixed(1)} ms (min ${Math.min(...t.imp).toFixed(1)})`);
