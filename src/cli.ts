#!/usr/bin/env node
/**
 * convlens on the command line, for MLOps pipelines: analyse a JSON spec, an ONNX file or a zoo
 * model in-process and gate on budgets. Exit codes: 0 within budget, 1 a budget or warning gate
 * failed, 2 invalid input (the error catalog's 4xx), 3 an internal error.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeGraph } from './analysis/analyze.js';
import { AnalyzeOptionsSchema, DTYPES, FLOP_CONVENTIONS } from './analysis/report.js';
import type { Report } from './analysis/report.js';
import { ConvlensError } from './errors.js';
import { OPS } from './ops/registry.js';
import { loadGraph, targetSource } from './graph/load.js';
import { ZOO } from './zoo/index.js';

export interface Io {
  out(text: string): void;
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

const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(3)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

function table(r: Report): string {
  const field = (f: Report['layers'][number]['receptiveField']) => (!f ? '' : f.global ? 'global' : `${f.size.join('×')}/${f.stride[0]}`);
  const rows = r.layers.map((l) => [l.name, l.op, JSON.stringify(l.outputShape), fmt(l.params), fmt(l.macs), field(l.receptiveField)]);
  const head = ['layer', 'op', 'output', 'params', 'MACs', 'RF/stride'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  const t = r.totals;
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `total: ${t.params.toLocaleString()} params, ${fmt(t.macs)}MACs, ${fmt(t.flops)}FLOPs (${r.conventions.flops}), memory ${fmt(t.memoryAccess.bytes)}B, depth ${r.structure.depth}, width ${r.structure.width}${t.complete ? '' : ', INCOMPLETE'}`,
    ...r.warnings.map((w) => `${w.severity}: ${w.code}: ${w.message}`),
  ].join('\n');
}

function csv(r: Report): string {
  const q = (v: unknown) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v ?? ''));
  const rows = r.layers.map((l) => [l.name, l.op, l.outputShape?.join('x'), l.params, l.macs, l.flops, l.memoryAccess.bytes, l.receptiveField?.size[0], l.receptiveField?.stride[0]].map(q).join(','));
  return ['layer,op,output,params,macs,flops,memory_bytes,rf_size,rf_stride', ...rows].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = new Command('convlens')
    .description('Shapes, costs and receptive fields of convolutional networks')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('analyze')
    .description('analyse a JSON spec (.json), an ONNX file, or a built-in model by name')
    .argument('<target>', 'file path or zoo model name')
    .option('--input <shape>', 'shape for dynamic ONNX inputs, e.g. 1,3,224,224', shape)
    .option('--resolution <pixels>', 'input resolution for a zoo model', (v) => shape(v)[0])
    .addOption(new Option('--dtype <dtype>', 'bytes per element for memory access').choices(Object.keys(DTYPES)).default('float32'))
    .addOption(new Option('--flops <convention>', 'FLOP convention').choices([...FLOP_CONVENTIONS]).default('2macs'))
    .option('--include-bias', 'count bias additions in FLOPs', false)
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json', 'csv']).default('table'))
    .option('--max-params <n>', 'fail (exit 1) above this many parameters', number)
    .option('--max-macs <n>', 'fail (exit 1) above this many MACs', number)
    .option('--max-memory <bytes>', 'fail (exit 1) above this memory access in bytes', number)
    .option('--fail-on <codes...>', 'fail (exit 1) when a warning with one of these codes is raised')
    .action((target: string, o) => {
      const options = AnalyzeOptionsSchema.parse({ dtype: o.dtype, flops: o.flops, includeBias: o.includeBias });
      const report = analyzeGraph(loadGraph(targetSource(target, o.input, o.resolution)).graph, options);
      io.out(o.format === 'json' ? JSON.stringify(report, null, 2) : o.format === 'csv' ? csv(report) : table(report));
      const failures: string[] = [];
      if (o.maxParams !== undefined && report.totals.params > o.maxParams) failures.push(`params ${report.totals.params} > ${o.maxParams}`);
      if (o.maxMacs !== undefined && report.totals.macs > o.maxMacs) failures.push(`MACs ${report.totals.macs} > ${o.maxMacs}`);
      if (o.maxMemory !== undefined && report.totals.memoryAccess.bytes > o.maxMemory) failures.push(`memory ${report.totals.memoryAccess.bytes} B > ${o.maxMemory}`);
      for (const w of report.warnings) if ((o.failOn as string[] | undefined)?.includes(w.code)) failures.push(`warning ${w.code}`);
      if (!report.totals.complete) io.err(`convlens: incomplete: ${report.totals.unsupported.map((u) => `${u.count}× ${u.opType}`).join(', ')} not analysed`);
      for (const f of failures) io.err(`convlens: budget exceeded: ${f}`);
      if (failures.length) code = 1;
    });

  program
    .command('models')
    .description('list the built-in model zoo')
    .action(() => io.out(ZOO.map((z) => `${z.name.padEnd(20)} ${z.resolution}${z.torchvision ? `  torchvision: ${z.torchvision.params.toLocaleString()} params, ${z.torchvision.gmacs} GMACs` : ''}`).join('\n')));

  program
    .command('operators')
    .description('list the operators and their PyTorch equivalents')
    .action(() => io.out(OPS.map((op) => `${op.name.padEnd(18)} ${op.pytorch.padEnd(32)} ${op.summary}`).join('\n')));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) return ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' ? 0 : 2;
    if (e instanceof ConvlensError) {
      io.err(`convlens: ${e.code}: ${e.message}${e.details.path ? ` (at ${e.details.path})` : ''}`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`convlens: ${(e as Error).message}; give a .json spec, an .onnx file or one of: ${ZOO.map((z) => z.name).join(', ')}`);
      return 2;
    }
    io.err(`convlens: internal error: ${(e as Error).stack ?? e}`);
    return 3;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(process.argv.slice(2), { out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`), err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`) }).then((c) => {
    process.exitCode = c;
  });
}
