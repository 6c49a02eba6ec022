// The offload entry when running the TypeScript sources (tests, `npm run dev`): tsx is registered in
// each pool worker by its own entry (runtime/worker-dev.mjs), which piscina loads first. An .mjs
// file is import()ed at once; the .ts file, tried with require() first, printed Node's
// "To load an ES module" warning (runtime/pool.ts workerExecArgv turns require(esm) off).
const entry = await import('./offload-worker.ts');
export default entry.default;
