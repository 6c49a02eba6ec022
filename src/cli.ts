#!/usr/bin/env node
/**
 * convlens on the command line, for MLOps pipelines: analyse a JSON spec, an ONNX file or a zoo
 * model in-process and gate on budgets. The report (table, JSON or CSV) goes to stdout and nothing
 * else does; diagnostics go to stderr.
 *
 * Exit codes (cli/gates.ts): 0 analysed and every gate passed, 1 a budget or --fail-on gate failed,
 * 2 invalid input or usage (the error catalog's codes, an unknown --fail-on code), 3 an internal
 * error, 4 a gate was given but the analysis is incomplete (unsupported operators) and
 * --allow-incomplete was not.
 *
 * Entry points: bin/convlens.mjs (the package's bin) imports this module and calls run(); running
 * this file itself (`node dist/src/cli.js`, `node --import tsx src/cli.ts`) calls run() too.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeGraph } from './analysis/analyze.js';
import { AnalyzeOptionsSchema, DTYPES, FLOP_CONVENTIONS } from './analysis/report.js';
import { isWarningCode, WARNING_CODES } from './analysis/warning-codes.js';
import type { WarningCode } from './analysis/warning-codes.js';
import { csv, table } from './cli/format.js';
import { EXIT, EXIT_CODES_HELP, judge } from './cli/gates.js';
import { ConvlensError } from './errors.js';
import { loadGraph, targetSource } from './graph/load.js';
import { OPS } from './ops/registry.js';
import { closest } from './suggest.js';
import { ZOO } from './zoo/index.js';

export { EXIT } from './cli/gates.js';

export interface Io {
  /** The report, and listings: stdout. */
  out(text: string): void;
  /** Diagnostics: stderr. */
  err(text: string): void;
}

const number = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a non-negative number (1e9 works)');
  return n;
};
const shape = (v: string) => {
  const dims = v.split(/[,x×]/).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new InvalidArgumentError('positive integers, e.g. 1,3,224,224');
  return dims;
};
/** `--fail-on A B` and `--fail-on A,B`; an unknown code is a usage error listing the valid ones. */
const warningCodes = (v: string, previous: WarningCode[] = []): WarningCode[] => {
  const codes = v.split(',').map((c) => c.trim()).filter(Boolean);
  for (const c of codes) {
    if (isWarningCode(c)) continue;
    const guess = closest(c, WARNING_CODES);
    throw new InvalidArgumentError(
      `unknown warning code '${c}'${guess ? ` (did you mean ${guess}?)` : ''}; valid codes: ${WARNING_CODES.join(', ')}` +
        (/[a-z./]/.test(c) ? ' (--fail-on takes every word after it up to the next option: put the target before it)' : ''),
    );
  }
  return [...previous, ...(codes as WarningCode[])];
};

export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('convlens')
    .description('Shapes, costs and receptive fields of convolutional networks')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  program
    .command('analyze')
    .description('analyse a JSON spec (.json), an ONNX file, or a built-in model by name; the report goes to stdout, diagnostics to stderr')
    .argument('<target>', 'file path or zoo model name')
    .option('--input <shape>', 'shape for dynamic ONNX inputs, e.g. 1,3,224,224', shape)
    .option('--resolution <pixels>', 'input resolution for a zoo model', (v) => shape(v)[0])
    .addOption(new Option('--dtype <dtype>', 'bytes per element for memory access').choices(Object.keys(DTYPES)).default('float32'))
    .addOption(new Option('--flops <convention>', 'FLOP convention (seed: the old name of exact)').choices([...FLOP_CONVENTIONS, 'seed']).default('2macs'))
    .option('--include-bias', 'count bias additions in FLOPs', false)
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json', 'csv']).default('table'))
    .option('--max-params <n>', 'fail (exit 1) above this many parameters', number)
    .option('--max-macs <n>', 'fail (exit 1) above this many MACs', number)
    .option('--max-memory <bytes>', 'fail (exit 1) above this memory access in bytes', number)
    .option('--fail-on <codes...>', `fail (exit 1) when a warning with one of these codes is raised: ${WARNING_CODES.join(', ')}`, warningCodes)
    .option('--allow-incomplete', `let the gates pass on an incomplete analysis (unsupported operators), judging the analysed layers only; without it they fail with exit ${EXIT.INCOMPLETE}`, false)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action((target: string, o) => {
      const options = AnalyzeOptionsSchema.parse({ dtype: o.dtype, flops: o.flops, includeBias: o.includeBias });
      const report = analyzeGraph(loadGraph(targetSource(target, o.input, o.resolution)).graph, options);
      io.out(o.format === 'json' ? JSON.stringify(report, null, 2) : o.format === 'csv' ? csv(report) : table(report));
      const verdict = judge(report, { maxParams: o.maxParams, maxMacs: o.maxMacs, maxMemory: o.maxMemory, failOn: o.failOn, allowIncomplete: o.allowIncomplete });
      for (const m of verdict.messages) io.err(`convlens: ${m}`);
      code = verdict.exitCode;
    });

  program
    .command('models')
    .description('list the built-in model zoo')
    .action(() => io.out(ZOO.map((z) => `${z.name.padEnd(20)} ${z.resolution}${z.torchvision ? `  torchvision: ${z.torchvision.params.toLocaleString('en-US')} params, ${z.torchvision.gmacs} GMACs` : ''}`).join('\n')));

  program
    .command('worker')
    .description('run jobs from the queue on REDIS_URL (BullMQ) with WORKERS threads, configured by the server\'s environment variables; logs JSON to stdout; stops on SIGTERM/SIGINT after the running jobs')
    .action(async () => {
      // loaded only here: the analysis commands never load BullMQ
      const { runWorkerProcess } = await import('./jobs/worker-process.js');
      code = await runWorkerProcess(io);
    });

  program
    .command('operators')
    .description('list the operators and their PyTorch equivalents')
    .action(() => io.out(OPS.map((op) => `${op.name.padEnd(18)} ${op.pytorch.padEnd(32)} ${op.summary}`).join('\n')));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
      // help asked for (`--help`, `help`) is a success; help shown for a usage error is not
      return ce.exitCode === 0 ? EXIT.OK : EXIT.INVALID_INPUT;
    }
    if (e instanceof ConvlensError) {
      io.err(`convlens: ${e.code}: ${e.message}${e.details.path ? ` (at ${e.details.path})` : ''}`);
      return EXIT.INVALID_INPUT;
    }
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'EISDIR' || errno === 'EACCES') {
      io.err(`convlens: ${(e as Error).message}; give a .json spec, an .onnx file or one of: ${ZOO.map((z) => z.name).join(', ')}`);
      return EXIT.INVALID_INPUT;
    }
    io.err(`convlens: internal error: ${(e as Error).stack ?? e}`);
    return EXIT.INTERNAL_ERROR;
  }
}

/** The CLI on this process: arguments from argv, the report on stdout, diagnostics on stderr, the exit code in process.exitCode. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const line = (stream: NodeJS.WriteStream) => (t: string) => void stream.write(t.endsWith('\n') ? t : `${t}\n`);
  // `convlens … | head`: a reader that stops early is not an error worth a stack trace
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  process.exitCode = await main(argv, { out: line(process.stdout), err: line(process.stderr) });
}

/** True when `moduleUrl` is the script node was started with, also through a symlink (npm's bin links). */
export function isMainModule(moduleUrl: string, script: string | undefined = process.argv[1]): boolean {
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule(import.meta.url)) await run();
