/**
 * How a benchmark reports. The human table goes to stdout; with `--json` it goes to stderr and
 * stdout carries one JSON record per measurement (newline-delimited), so ratios can be tracked
 * across commits:
 *   {"bench":"conv","name":"dense 3×3 conv 64→64 at 56×56","unit":"GFLOP/s","higherIsBetter":true,
 *    "convlens":16.3,"peers":{"onnxruntime-web":19.9,"onnxruntime-node":120},
 *    "ratio":0.82,"against":"onnxruntime-web","date":"…","machine":{…}}
 * `ratio` is always "convlens as fast as the peer": convlens/peer for rates, peer/convlens for
 * times and bytes, so ≥ 1 means convlens is at least as good. A peer that did not run is null.
 */
import os from 'node:os';

export const JSON_MODE = process.argv.includes('--json');

export interface BenchRecord {
  bench: string;
  name: string;
  unit: string;
  /** Rates (GFLOP/s) are better higher; times (ms) and memory (bytes, ratios of them) lower. */
  higherIsBetter: boolean;
  convlens: number;
  peers: Record<string, number | null>;
  /** The peer the ratio is taken against (the goal's reference). */
  against: string;
  /** Free-form extras (a breakdown, a goal). */
  extra?: Record<string, unknown>;
}

const machine = {
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
  nproc: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
  node: process.versions.node,
};
const date = new Date().toISOString();

/** convlens against the named peer, ≥ 1 when convlens is at least as good; null when the peer did not run. */
export function ratioOf(r: Pick<BenchRecord, 'higherIsBetter' | 'convlens' | 'peers' | 'against'>): number | null {
  const peer = r.peers[r.against];
  if (peer === null || peer === undefined || peer === 0 || r.convlens === 0) return null;
  return r.higherIsBetter ? r.convlens / peer : peer / r.convlens;
}

/** A line of the human table: stdout normally, stderr under --json. */
export function say(text: string): void {
  if (JSON_MODE) process.stderr.write(`${text}\n`);
  else console.log(text);
}

/** One measurement: a JSON line under --json (nothing otherwise: the bench prints its own table). */
export function record(r: BenchRecord): void {
  if (!JSON_MODE) return;
  const ratio = ratioOf(r);
  process.stdout.write(`${JSON.stringify({ ...r, ratio: ratio === null ? null : Number(ratio.toFixed(4)), date, machine })}\n`);
}

/** Median seconds per call: `warmSeconds` of warm-up (the JIT reaches its optimising tier), then at least `minSeconds` of samples (≥ 5). */
export async function time(fn: () => unknown | Promise<unknown>, minSeconds = 1.5, warmSeconds = 2): Promise<number> {
  const warm = performance.now() + warmSeconds * 1000;
  while (performance.now() < warm) await fn();
  const samples: number[] = [];
  const end = performance.now() + minSeconds * 1000;
  while (performance.now() < end || samples.length < 5) {
    const t = performance.now();
    await fn();
    samples.push((performance.now() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}
