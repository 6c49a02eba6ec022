#!/usr/bin/env node
/**
 * convlens on the command line, for MLOps pipelines: analyse a JSON spec, an ONNX file or a zoo
 * model in-process and gate on budgets (analyze), compare two networks and gate on their deltas
 * (compare), sweep input sizes (sweep), list devices and counting conventions. The report (table,
 * JSON, CSV, Markdown, HTML or a Netron attachment) goes to stdout, or to --out FILE with one line on
 * stderr saying where; diagnostics and progress go to stderr.
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
import { Command } from 'commander';
import { analyzeCommand } from './cli/analyze.js';
import { compareCommand } from './cli/compare.js';
import { erfCommand } from './cli/erf.js';
import { answerError, fileProblem } from './cli/errors.js';
import { EXIT, EXIT_CODES_HELP } from './cli/gates.js';
import { rerunWithNodeFlags } from './node-flags.js';
import { packageVersion } from './paths.js';
import { closest } from './suggest.js';
import { refuseRepeats } from './cli/io.js';
import type { Io } from './cli/io.js';
import { conventionsCommand, devicesCommand, modelsCommand, operatorsCommand } from './cli/lists.js';
import { sweepCommand } from './cli/sweep.js';

export { EXIT } from './cli/gates.js';
export type { Io } from './cli/io.js';

export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('convlens')
    .description('Shapes, costs and receptive fields of convolutional networks')
    .version(packageVersion(), '-V, --version', 'the convlens version')
    // options after a command are that command's: `convlens compare a b -V` printed the version
    .enablePositionalOptions()
    .exitOverride()
    // commander's own usage errors are `convlens: INVALID_OPTION: …` as every other error line (README: Exit codes); it wrote `error: …`
    // and one line: commander puts its suggestion on a second one ("\n(Did you mean --format?)")
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(`convlens: ${oneErrorLine(text)}`) })
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  const setCode = (c: number) => {
    code = c;
  };
  // addCommand does not pass the program's exitOverride and output on as command() does
  for (const sub of [analyzeCommand(io, setCode), compareCommand(io, setCode), sweepCommand(io, setCode), erfCommand(io, setCode), devicesCommand(io), conventionsCommand(io), modelsCommand(io)]) {
    // an option of one value given twice with two is a usage error, not the last kept (cli/io.ts)
    program.addCommand(refuseRepeats(sub.copyInheritedSettings(program)));
  }

  program
    .command('worker')
    .description('run jobs from the queue on REDIS_URL (BullMQ) with WORKERS threads, configured by the server\'s environment variables; logs JSON to stdout; stops on SIGTERM/SIGINT after the running jobs; exits 5 when Redis cannot be reached within WORKER_REDIS_WAIT_MS (60 s) of the start')
    .action(async () => {
      // without the server's V8 flag (npx convlens worker), the worker runs as a child that has it
      // (only as the process's own command: main() called in-process, as tests do, runs here)
      const own = argv.length === process.argv.length - 2 && argv.every((a, i) => a === process.argv[i + 2]);
      const rerun = own ? await rerunWithNodeFlags() : null;
      if (rerun !== null) {
        code = rerun;
        return;
      }
      // loaded only here: the analysis commands never load BullMQ
      const { runWorkerProcess } = await import('./jobs/worker-process.js');
      code = await runWorkerProcess(io);
    });

  program.addCommand(refuseRepeats(operatorsCommand(io).copyInheritedSettings(program)));

  // `convlens run --help` and `convlens help run` printed the whole help as if `run` were a command
  // (exit 0, or 2 without a word): an unknown command is its usage error, --help or not
  const asked = argv[0] === 'help' ? argv[1] : argv[0];
  const commands = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (asked !== undefined && !asked.startsWith('-') && asked !== 'help' && !commands.includes(asked)) {
    const near = closest(asked, commands);
    io.err(`convlens: INVALID_OPTION: unknown command '${asked}'${near ? ` (did you mean ${near}?)` : ''}; convlens --help lists them`);
    return EXIT.INVALID_INPUT;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return answerError(e, argv, io);
  }
}

/**
 * A commander usage error as the catalog's line, with the option it is about as its place:
 * `INVALID_OPTION: unknown option '--frmat' (did you mean --format?) (at --frmat)`; of two
 * options that contradict each other, the later one.
 */
export const oneErrorLine = (text: string): string => {
  const line = text.trimEnd().replace(/^error: /, 'INVALID_OPTION: ').replace(/\n\((Did you mean [^)]*)\)$/, (_, hint: string) => ` (d${hint.slice(1)})`).replace(/\s*\n\s*/g, ' ');
  const option = /^INVALID_OPTION: (?:options '[^']+' and '(--[\w-]+)'|(?:required |unknown )?option '(--[\w-]+))/.exec(line);
  const place = option?.[1] ?? option?.[2];
  return `${line}${place ? ` (at ${place})` : ''}\n`;
};

/** The CLI on this process: arguments from argv, the report on stdout, diagnostics on stderr, the exit code in process.exitCode. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  // `convlens … | head`: a reader that stops early is not an error worth a stack trace
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `convlens worker` logs to stdout and stops on its signals, finishing its jobs: a log line lost is not a reason to drop them
    if (e.code === 'EPIPE' || argv[0] === 'worker') return;
    // stdout to a full disk, a closed descriptor…: one line in the catalog's form, as a --out file's, exit 2 (exit 1 would read as a failed gate)
    process.stderr.write(`convlens: INVALID_OPTION: cannot write the report to stdout: ${fileProblem(e)} (at stdout)\n`);
    process.exit(EXIT.INVALID_INPUT);
  });
  // `convlens … 2>&1 | head -1`: stderr closed by its reader (or failing) leaves nowhere to say
  // anything, and the exit code stays the command's; the unhandled EPIPE made it 1, a failed gate's
  process.stderr.on('error', () => {});
  process.exitCode = await main(argv, streamIo(process.stdout, process.stderr));
}

/** What a stream needs to be for the CLI: written to, maybe a terminal, and its write's failure (a Writable's `errored`, set as the write fails). */
export interface OutStream {
  write(data: string | Uint8Array): unknown;
  isTTY?: boolean;
  readonly errored?: Error | null;
}

/**
 * Ends the process as a Unix tool whose reader went away ends (`yes | head -1`): killed by SIGPIPE,
 * which the shell reports as 141. Node ignores SIGPIPE; a listener added and removed gives it back
 * its default action (libuv resets it to SIG_DFL), and the process signals itself.
 */
export function exitBySigpipe(): never {
  const listener = () => {};
  process.on('SIGPIPE', listener);
  process.off('SIGPIPE', listener);
  process.kill(process.pid, 'SIGPIPE');
  // not reached where signals are POSIX's; elsewhere the shell's code for it
  process.exit(128 + 13);
}

/**
 * The Io on two streams: a line each, and progress redrawn in place only on a terminal that can
 * (TERM=dumb cannot: it gets lines, no `\r` and no escape codes; a pipe or file gets neither).
 * `stop` ends the process when stdout's reader has gone during a report written as it goes.
 */
export function streamIo(stdout: OutStream, stderr: OutStream, env: NodeJS.ProcessEnv = process.env, stop: () => void = exitBySigpipe): Io {
  const line = (stream: OutStream) => (t: string) => void stream.write(t.endsWith('\n') ? t : `${t}\n`);
  return {
    out: line(stdout),
    outBytes: (d) => void stdout.write(d),
    outIsTTY: stdout.isTTY === true,
    err: line(stderr),
    errIsTTY: stderr.isTTY === true,
    errDumb: env.TERM === 'dumb',
    errWrite: (t) => void stderr.write(t),
    // a report written as it goes (sweep) stops at the write its reader no longer reads (cli/sweep-stream.ts)
    stopIfOutClosed: () => {
      if ((stdout.errored as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE') stop();
    },
  };
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
