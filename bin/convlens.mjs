#!/usr/bin/env node
// The `convlens` command (package.json "bin"). An installed package runs its compiled CLI,
// dist/src/cli.js. In a clone (src/ present) it runs the compiled CLI when dist/ is a current build
// of src/ (bin/build-fingerprint.mjs, the test `npm start` uses), else the TypeScript sources
// through tsx, so `npx convlens …` works right after `npm ci`, with no build and no npm banner on
// stdout: `npx convlens analyze resnet18 --format json | jq .totals`.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// import.meta.url is this file's real path, also when run through npm's bin symlink
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'cli.js');
const source = path.join(root, 'src', 'cli.ts');

async function entry() {
  if (!existsSync(source)) return compiled;
  if (existsSync(compiled)) {
    const { buildIsCurrent } = await import('./build-fingerprint.mjs');
    if (buildIsCurrent(root)) return compiled;
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(`convlens: dist/ is missing or older than src/, and tsx (a devDependency) is not installed to run the sources: run \`npm run build\` or \`npm ci\` in ${root}\n`);
    process.exit(3);
  }
  register();
  return source;
}

const file = await entry();
if (!existsSync(file)) {
  process.stderr.write(`convlens: ${file} is missing: this copy of convlens was packed without a build (npm pack runs it in "prepack")\n`);
  process.exit(3);
}
// a command that cannot load is an internal error, exit 3 (README: Exit codes), as one that fails
// while running: Node's own exit for an uncaught error is 1, which a pipeline reads as a failed
// gate (under `ulimit -v 4000000` the WebAssembly kernels' address space cannot be reserved and
// `convlens models` exited 1 with a stack trace)
let run;
try {
  ({ run } = await import(pathToFileURL(file).href));
} catch (e) {
  process.stderr.write(`convlens: internal error: cannot load ${file}: ${e?.stack ?? e}\n`);
  process.exit(3);
}
await run(process.argv.slice(2));
