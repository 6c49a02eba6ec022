/**
 * Every PyTorch golden case of every operator family: each JSON file in test/fixtures/operators/
 * with a `cases` list (goldens.json from scripts/operator_goldens.py; one file per family from
 * scripts/goldens_<family>.py), read in file-name order.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Wire {
  shape: number[];
  data: number[];
  /** Absent: float32. Integer and bool tensors name their dtype (int64, int32, int8, uint8, bool). */
  dtype?: string;
}

export interface GoldenCase {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  training: boolean;
  inputs: Wire[];
  weights: Record<string, Wire>;
  outputs: Wire[];
  /** Where the case came from (its fixture file). */
  file: string;
}

/**
 * Every case of every JSON file in a fixture folder, in file-name order, with `training` false and
 * `weights` {} where a case leaves them out, and `file` naming its fixture.
 */
export function loadCases<C extends { training: boolean; weights: Record<string, Wire>; file: string }>(dir: URL): C[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const { cases } = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { cases?: Partial<C>[] };
      return (cases ?? []).map((c) => ({ training: false, weights: {}, ...c, file }) as C);
    });
}

export const GOLDEN_CASES: readonly GoldenCase[] = loadCases<GoldenCase>(new URL('../fixtures/operators/', import.meta.url));
