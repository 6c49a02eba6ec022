#!/usr/bin/env node
/**
 * convlens on the command line, for MLOps pipelines: analyse a JSON spec, an ONNX file or a zoo
 * model in-process and gate on budgets (analyze), compare two networks and gate on their deltas
 * (compare), sweep input sizes (sweep), list devices and counting conventions. The report (table,
 * JSON, CSV, Markdown, HTML or a Netron attachment) goes to stdout, or to --out FILE with one line on
 * stdout saying where; diagnostics and progress go to stderr.
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
import { Command, InvalidArgumentError } from 'commander';
import { analyzeCommand } from './cli/analyze.js';
import { compareCommand } from './cli/compare.js';
import { erfCommand } from './cli/erf.js';
import { EXIT, EXIT_CODES_HELP } from './cli/gates.js';
import { packageVersion } from './paths.js';
import type { Io } from './cli/io.js';
import { conventionsCommand, devicesCommand, sweepCommand } from './cli/sweep.js';
import { ConvlensError } from './errors.js';
import { closest } from './suggest.js';
import { OPS } from './ops/registry.js';
import { ZOO } from './zoo/index.js';

export { EXIT } from './cli/gates.js';
export type { Io } from './cli/io.js';

export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('convlens')
    .description('Shapes, costs and receptive fields of convolutional networks')
    .version(packageVersion(), '-V, --version', 'the convlens version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  const setCode = (c: number) => {
    code = c;
  };
  // addCommand does not pass the program's exitOverride and output on as command() does
  for (const sub of [analyzeCommand(io, setCode), compareCommand(io, setCode), sweepCommand(io, setCode), erfCommand(io, setCode), devicesCommand(io), conventionsCommand(io)]) {
    program.addCommand(sub.copyInheritedSettings(program));
  }

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
    // an option's value refused by a command's action, after commander parsed it (commander prints its own)
    if (e instanceof InvalidArgumentError) {
      io.err(`convlens: error: ${e.message}`);
      return EXIT.INVALID_INPUT;
    }
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
    if (errno !== undefined && FILE_ERRORS.has(errno)) {
      // the option that named the file, if one did: `--out`, `--device`, `--input`, `--png`…
      const file = (e as NodeJS.ErrnoException).path;
      const flag = file === undefined ? undefined : optionNaming(argv, file);
      if (flag) io.err(`convlens: ${flag} ${file}: ${(e as Error).message}`);
      else {
        // a bare word that is not a file is most likely a misspelt zoo name
        const near = file !== undefined && !/[./\\]/.test(file) ? closest(file, ZOO.map((z) => z.name)) : null;
        io.err(`convlens: ${(e as Error).message}${near ? ` (did you mean '${near}'?)` : ''}; give a .json spec, an .onnx file or one of: ${ZOO.map((z) => z.name).join(', ')}`);
      }
      return EXIT.INVALID_INPUT;
    }
    io.err(`convlens: internal error: ${(e as Error).stack ?? e}`);
    return EXIT.INTERNAL_ERROR;
  }
}

/** Errors of a file the command line named (to read or to write): one line and exit 2, not an internal error. */
const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EINVAL', 'EIO', 'ENAMETOOLONG', 'ELOOP', 'EMFILE', 'ENFILE']);

/** The options whose values are files (the commands' `<file>`, `<…profile.json>`, `<…file.npy>`). */
const FILE_OPTIONS = new Set(['--out', '--device', '--input', '--gradient', '--png', '--svg']);

/** The file option whose value is `file` (`--out x` or `--out=x`), or undefined (the target, or not from the command line). */
function optionNaming(argv: readonly string[], file: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], argv[i + 1]];
    if (FILE_OPTIONS.has(flag) && value === file) return flag;
  }
  return undefined;
}

/** The CLI on this process: arguments from argv, the report on stdout, diagnostics on stderr, the exit code in process.exitCode. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const line = (stream: NodeJS.WriteStream) => (t: string) => void stream.write(t.endsWith('\n') ? t : `${t}\n`);
  // `convlens … | head`: a reader that stops early is not an error worth a stack trace
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `convlens worker` logs to stdout and stops on its signals, finishing its jobs: a log line lost is not a reason to drop them
    if (e.code === 'EPIPE' || argv[0] === 'worker') return;
    // stdout to a full disk, a closed descriptor…: one line, exit 2 (exit 1 would read as a failed gate)
    process.stderr.write(`convlens: cannot write the report to stdout: ${e.message}\n`);
    process.exit(EXIT.INVALID_INPUT);
  });
  process.exitCode = await main(argv, {
    out: line(process.stdout),
    err: line(process.stderr),
    errIsTTY: process.stderr.isTTY === true,
    errWrite: (t) => void process.stderr.write(t),
  });
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
