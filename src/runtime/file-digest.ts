/**
 * The SHA-256 of an ONNX file's bytes, the model cache's key (runtime/model-cache.ts modelKey).
 *
 * Hashing the whole file where the key is asked took 85 ms in the worker for the 102 MB ResNet-50
 * on every /v1/run, a cache hit included (Intel Xeon, 2 vCPU). The compute routes hash a file part
 * as it streams in instead (http/body.ts readInto: one update per chunk on the event loop, between
 * the socket's reads), so the digest is ready when the body is; the route hands it to the pool with
 * the task (runtime/pool.ts RunOptions.fileDigest, a field of the pool's message, never of the
 * payload a client fills), and the worker notes it for the task's file (runtime/worker.ts). A file
 * with no digest noted (the command line, a JSON body's onnxBase64, GraphQL) is hashed here, as
 * before: the key is the same function of the bytes wherever it is computed.
 *
 * Digests are noted per view (a WeakMap by the Uint8Array): a source copied with its bytes
 * (`{ ...source, inputShapes }`) keeps the view; bytes copied into another buffer carry the digest
 * only where the copy notes it (http/body.ts transferable, runtime/erf.ts sharedBytes).
 */
import { createHash } from 'node:crypto';

const noted = new WeakMap<Uint8Array, string>();

/** Files hashed whole in this thread (fileDigest without a digest noted), and their bytes: what a test reads to see the worker did not hash. */
export const digestCounts = { files: 0, bytes: 0 };

/** The hex SHA-256 of `bytes`: the digest noted for this view, else computed here. */
export function fileDigest(bytes: Uint8Array): string {
  const known = noted.get(bytes);
  if (known !== undefined) return known;
  digestCounts.files++;
  digestCounts.bytes += bytes.byteLength;
  return createHash('sha256').update(bytes).digest('hex');
}

/** The digest noted for these bytes, if any (never computed). */
export function knownDigest(bytes: Uint8Array): string | undefined {
  return noted.get(bytes);
}

/**
 * Notes `hex` as the SHA-256 of `bytes`: only from a hash of exactly these bytes (the route's, as
 * they arrived) or from the pool's message for the task's file, never from a client's field.
 */
export function noteDigest(bytes: Uint8Array, hex: string | undefined): void {
  if (hex !== undefined) noted.set(bytes, hex);
}

/** The hex SHA-256 of `bytes`, hashed `slice` bytes at a time with the event loop free between slices (1 MiB: about 0.6 ms each). */
export async function digestInSlices(bytes: Uint8Array, slice = 1 << 20): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += slice) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    hash.update(bytes.subarray(at, at + slice));
  }
  return hash.digest('hex');
}
