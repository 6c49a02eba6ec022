/**
 * Assembles wasm/*.wat into the committed wasm/*.wasm with wabt (npm run wasm); a file whose bytes
 * are unchanged is left as it is (write-if-changed.ts).
 *
 * A .wat that carries the line `;; variant: relaxed` also yields `<name>-relaxed.wasm`: every
 * multiply-add written `(f32x4.add (local.get $acc) (f32x4.mul (local.get $a) (local.get $b)))`
 * becomes `(f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $acc))` (relaxed SIMD: one
 * FMA where the engine has it). The runtime loads that variant only where WebAssembly.validate
 * accepts it (Node 20's V8 does not enable relaxed SIMD by default), else the plain one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import wabtInit from 'wabt';
import { PACKAGE_ROOT } from '../src/paths.js';
import { writeIfChanged } from './write-if-changed.js';

const MADD = /\(f32x4\.add \(local\.get (\$\w+)\) \(f32x4\.mul (\(local\.get \$\w+\)) (\(local\.get \$\w+\))\)\)/g;

/** The relaxed-SIMD text of a .wat: its multiply-adds fused (see the header). */
export function relaxedText(wat: string): string {
  return wat.replace(MADD, (_, acc: string, a: string, b: string) => `(f32x4.relaxed_madd ${a} ${b} (local.get ${acc}))`);
}

export async function assemble(watFile: string, variant: 'plain' | 'relaxed' = 'plain'): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const text = readFileSync(watFile, 'utf8');
  const relaxed = variant === 'relaxed';
  const module = wabt.parseWat(path.basename(watFile), relaxed ? relaxedText(text) : text, { simd: true, relaxed_simd: relaxed });
  module.validate();
  return module.toBinary({}).buffer;
}

/** Whether a .wat asks for a relaxed-SIMD variant. */
export const hasRelaxedVariant = (watFile: string) => /^;; variant: relaxed$/m.test(readFileSync(watFile, 'utf8'));

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = path.join(PACKAGE_ROOT, 'wasm');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.wat'))) {
    const wat = path.join(dir, f);
    const out = path.join(dir, f.replace(/\.wat$/, '.wasm'));
    const wrote = writeIfChanged(out, await assemble(wat));
    console.log(wrote ? `wrote wasm/${path.basename(out)}` : `wasm/${path.basename(out)} is current`);
    if (hasRelaxedVariant(wat)) {
      const relaxed = out.replace(/\.wasm$/, '-relaxed.wasm');
      const wroteRelaxed = writeIfChanged(relaxed, await assemble(wat, 'relaxed'));
      console.log(wroteRelaxed ? `wrote wasm/${path.basename(relaxed)}` : `wasm/${path.basename(relaxed)} is current`);
    }
  }
}
