/**
 * Writes a generated file of the tree (npm run schema, npm run wasm) only when its bytes change, and
 * then whole: to a sibling temporary file renamed over it (a rename is atomic on one filesystem). A
 * file other processes read as they load (the service, a test file starting beside `npm run schema`)
 * is then never seen truncated or half written, and a regeneration that changes nothing touches nothing.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Whether it wrote: false when `file` already held exactly `data`. */
export function writeIfChanged(file: string, data: string | Uint8Array): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let current: Buffer | null = null;
  try {
    current = readFileSync(file);
  } catch {
    // not there yet: written below
  }
  if (current !== null && current.equals(bytes)) return false;
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  return true;
}
