/**
 * Benchmark peers (onnxruntime-node, onnxruntime-web) live in bench/node_modules, installed by
 * `npm run bench` only; loaded by name at run time so the product builds and type-checks without them.
 */
export async function loadPeer(name: string): Promise<any | null> {
  try {
    return await import(name);
  } catch {
    return null;
  }
}
