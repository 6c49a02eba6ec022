/** Assembles wasm/*.wat into the committed wasm/*.wasm with wabt (npm run wasm). */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import wabtInit from 'wabt';
import { PACKAGE_ROOT } from '../src/paths.js';

export async function assemble(watFile: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(path.basename(watFile), readFileSync(watFile, 'utf8'), { simd: true });
  module.validate();
  return module.toBinary({}).buffer;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = path.join(PACKAGE_ROOT, 'wasm');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.wat'))) {
    const out = path.join(dir, f.replace(/\.wat$/, '.wasm'));
    writeFileSync(out, await assemble(path.join(dir, f)));
    console.log(`wrote wasm/${path.basename(out)}`);
  }
}
