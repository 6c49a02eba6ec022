/**
 * A reduced zoo network against PyTorch: the fixture a scripts/goldens_*.py writes into
 * test/fixtures/networks/ (the builder's config, an input, torchvision's logits and its module's
 * state_dict, as is), read once for a test that builds the network, binds the state_dict and runs it.
 */
import { readFileSync } from 'node:fs';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';

export interface NetworkGolden<C> {
  config: C;
  resolution: number | [number, number];
  numClasses: number;
  input: Tensor;
  output: Wire;
  /** torchvision's state_dict, by its keys */
  given: Record<string, Tensor>;
}

const wireTensor = (w: Wire): Tensor => tensor(w.shape, Float32Array.from(w.data));

export function readNetworkGolden<C>(file: string): NetworkGolden<C> {
  const g = JSON.parse(readFileSync(new URL(`../fixtures/networks/${file}`, import.meta.url), 'utf8')) as Omit<NetworkGolden<C>, 'input' | 'given'> & { input: Wire; stateDict: Record<string, Wire> };
  return { config: g.config, resolution: g.resolution, numClasses: g.numClasses, input: wireTensor(g.input), output: g.output, given: Object.fromEntries(Object.entries(g.stateDict).map(([k, w]) => [k, wireTensor(w)])) };
}

/** The largest |convlens − PyTorch| over the logits, as a fraction of their largest magnitude. */
export function logitsError(golden: Wire, y: Tensor): number {
  const scale = Math.max(...golden.data.map(Math.abs));
  return Math.max(...golden.data.map((v, i) => Math.abs(v - y.data[i]))) / scale;
}
