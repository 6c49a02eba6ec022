/** The committed wasm/<name>.wasm against what wabt assembles from wasm/<name>.wat now (scripts/build-wasm.ts, `npm run wasm`). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../scripts/build-wasm.js';

/** Whether the committed wasm/<name>.wasm is byte for byte the assembly of wasm/<name>.wat. */
export async function committedIsAssembled(name: string): Promise<boolean> {
  const wat = fileURLToPath(new URL(`../wasm/${name}.wat`, import.meta.url));
  const committed = readFileSync(wat.replace(/\.wat$/, '.wasm'));
  return Buffer.from(await assemble(wat)).equals(committed);
}
