/**
 * `convlens analyze TARGET`: one network's report, in a format (table, json, csv, md, html, or a
 * Netron attachment for an ONNX file), with the analyses asked for (--memory, --device,
 * --convention, --explain, --depth, --deployed) and the gates (cli/gates.ts).
 *
 * JSON is the report with the extra analyses as top-level keys (`memory`, `roofline`,
 * `convention`, `explain`, `deployed`); the table prints their headline figures after the totals. --out FILE
 * writes the report there and prints one line on stderr saying where.
 */
import { statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeGraph } from '../analysis/analyze.js';
import { computeExtras, planExtras, withExtras } from '../analysis/extras.js';
import { reportHtml } from '../analysis/formats/html.js';
import { SHOWN_IN, formatsShowing } from '../analysis/render.js';
import type { ShownAnalysis } from '../analysis/render.js';
import { reportErfSync } from '../runtime/erf-report.js';
import { reportMarkdown } from '../analysis/formats/markdown.js';
import { netronAttachment, onnxNodes } from '../analysis/formats/netron.js';
import { inferGraph } from '../analysis/infer.js';
import { DEFAULT_MODULE_DEPTH, MAX_MODULE_DEPTH } from '../analysis/modules.js';
import { AnalyzeOptionsSchema, DTYPES, FLOP_CONVENTIONS } from '../analysis/report.js';
import { isWarningCode, WARNING_CODES } from '../analysis/warning-codes.js';
import type { WarningCode } from '../analysis/warning-codes.js';
import { PRESETS } from '../conventions/index.js';
import { loadGraph } from '../graph/load.js';
import { ConvlensError } from '../errors.js';
import { closest } from '../suggest.js';
import { ZOO_BY_NAME } from '../zoo/index.js';
import { reportCsv } from '../analysis/csv.js';
import { withFlags } from './errors.js';
import type { FlagPaths } from './errors.js';
import { table } from './format.js';
import { readTarget, targetFile, targetKind, targetLabel, targetSource } from './target.js';
import { STDIN } from './read-file.js';
import { EXIT, EXIT_CODES_HELP, judge } from './gates.js';
import { deviceFile, deviceOption, emit, fileOption, number, once, progress, refuseOverwrite, inputShapesOption, resolutionOption } from './io.js';
import type { Io } from './io.js';
import { markdownExtras } from '../analysis/formats/extras-markdown.js';
import { conventionText, deployedText, memoryText, modulesText, rooflineText } from './sections.js';

export const ANALYZE_FORMATS = ['table', 'json', 'csv', 'md', 'html', 'netron'] as const;
/** ONNX files at least this large show their reading, importing and analysing on a terminal's stderr. */
export const LARGE_ONNX_BYTES = 20e6;

/** `--fail-on A B` and `--fail-on A,B`; an unknown code is a usage error listing the valid ones. */
const warningCodes = (v: string, previous: WarningCode[] = []): WarningCode[] => {
  const codes = v.split(',').map((c) => c.trim()).filter(Boolean);
  // `--fail-on "$UNSET"` would turn the gate off without a word: a pipeline's gate must name its codes
  if (codes.length === 0) throw new InvalidArgumentError(`--fail-on needs warning codes, got ${JSON.stringify(v)}; valid codes: ${WARNING_CODES.join(', ')}`);
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

/**
 * `--depth N`: 0 to MAX_MODULE_DEPTH, as REST's ?depth and GraphQL's modules(depth:) take it; 99999 was
 * an internal error (exit 3, a ZodError's stack) with json, md and html, and clamped with the table.
 */
const depthOption = (v: string): number => {
  const n = Number(v);
  // Number('') is 0: `--depth "$UNSET"` is a usage error, not depth 0
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_MODULE_DEPTH) throw new InvalidArgumentError(`an integer from 0 to ${MAX_MODULE_DEPTH}, got ${JSON.stringify(v)}`);
  return n;
};

/** The request's fields (graph/load.ts, the ONNX import) as the options that give them. */
const ANALYZE_FLAGS: FlagPaths = { '$.inputShapes': '--input', '$.resolution': '--resolution' };


export function analyzeCommand(io: Io, setCode: (code: number) => void): Command {
  return new Command('analyze')
    .description('analyse a JSON spec (.json), an ONNX file, or a built-in model by name; the report goes to stdout (or --out), diagnostics to stderr')
    .argument('<target>', 'file path (- reads stdin) or zoo model name')
    .option('--input <shape>', 'shape for dynamic ONNX inputs, e.g. 1,3,224,224 (the first input), or NAME=SHAPE, repeated for each named input', inputShapesOption)
    .option('--resolution <pixels>', 'input resolution for a zoo model', resolutionOption)
    .addOption(new Option('--dtype <dtype>', 'bytes per element for memory access, memory and the roofline').choices(Object.keys(DTYPES)).default('float32'))
    .addOption(new Option('--flops <convention>', 'FLOP convention (seed: the old name of exact)').choices([...FLOP_CONVENTIONS, 'seed']).default('2macs'))
    .option('--include-bias', 'count bias additions in FLOPs', false)
    .addOption(new Option('--format <format>', 'output (netron: a Netron attachment JSON for an ONNX file)').choices([...ANALYZE_FORMATS]).default('table'))
    .option('--out <file>', 'write the report to this file; stderr gets one line saying where (- is stdout itself)', fileOption)
    .option('--depth <n>', `module tree depth for table, json, md and html (table: adds a module section; json: adds \`modules\`, as REST's ?depth; md/html default ${DEFAULT_MODULE_DEPTH}; 0 to ${MAX_MODULE_DEPTH})`, depthOption)
    .option('--device <name|profile.json>', 'add the roofline latency lower bound on a device: a built-in id (`convlens devices`) or a JSON profile {name, peaks: {float32, …}, bandwidth}')
    .option('--memory', 'add peak activation memory (tensor liveness), weights memory and the torchinfo footprint', false)
    .option('--in-place', 'peak memory with element-wise layers written in place (implies --memory)', false)
    .option('--convention <name>', `add another tool's count beside convlens's MACs: ${PRESETS.map((p) => p.name).join(', ')}`)
    .option('--explain', 'json and csv: add every per-layer figure\'s formula with its values substituted (another format is a usage error)', false)
    .option('--deployed', 'add the deployed graph: the costs after the inference fusions (BN folded into the conv, conv + residual add + activation), beside the trained graph', false)
    .option('--erf', 'html: add the effective receptive field of the final feature map (its centre unit, mean |gradient| over 4 seeded random inputs: runs the network forward and backward)', false)
    .option('--max-params <n>', 'fail (exit 1) above this many parameters', once(number))
    .option('--max-macs <n>', 'fail (exit 1) above this many MACs', once(number))
    .option('--max-memory <bytes>', 'fail (exit 1) above this memory access in bytes', once(number))
    .option('--max-peak-memory <bytes>', 'fail (exit 1) above this peak activation memory in bytes (runs the memory analysis)', once(number))
    .option('--max-latency <seconds>', 'fail (exit 1) when the roofline latency lower bound on --device exceeds this', once(number))
    .option('--fail-on <codes...>', `fail (exit 1) when a warning with one of these codes is raised: ${WARNING_CODES.join(', ')}`, warningCodes)
    .option('--allow-incomplete', `let the gates pass on an incomplete analysis (unsupported operators), judging the analysed layers only; without it they fail with exit ${EXIT.INCOMPLETE}`, false)
    .option('--progress', `show progress on stderr (by default only on a terminal, for ONNX files over ${LARGE_ONNX_BYTES / 1e6} MB)`)
    .option('--no-progress', 'never show progress')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action((target: string, o) => setCode(withFlags(ANALYZE_FLAGS, () => analyze(io, target, o))));
}

interface AnalyzeFlags {
  input?: number[];
  resolution?: number;
  dtype: string;
  flops: string;
  includeBias: boolean;
  format: (typeof ANALYZE_FORMATS)[number];
  out?: string;
  depth?: number;
  device?: string;
  memory: boolean;
  inPlace: boolean;
  convention?: string;
  explain: boolean;
  deployed: boolean;
  erf: boolean;
  maxParams?: number;
  maxMacs?: number;
  maxMemory?: number;
  maxPeakMemory?: number;
  maxLatency?: number;
  failOn?: WarningCode[];
  allowIncomplete: boolean;
  progress?: boolean;
}

function notNetron(target: string, what: string): never {
  throw new ConvlensError('INVALID_OPTION', `--format netron annotates the nodes of an ONNX file in Netron; '${targetLabel(target)}' is ${what}: export it to ONNX first, or use --format json`, { path: '--format' });
}

/**
 * An analysis asked for that the format does not show is a usage error before anything runs, as
 * REST's 400 is: a pipeline's `--explain` with the table must not exit 0 without the formulas.
 */
function unshownAnalyses(o: AnalyzeFlags): void {
  const asked: [ShownAnalysis, string, boolean][] = [
    ['memory', o.memory || !o.inPlace ? '--memory' : '--in-place', o.memory || o.inPlace],
    ['device', '--device', o.device !== undefined],
    ['convention', '--convention', o.convention !== undefined],
    ['explain', '--explain', o.explain],
    ['deployed', '--deployed', o.deployed],
    // the module summary: table's section, md's and html's tables, json's `modules`
    ['modules', '--depth', o.depth !== undefined],
  ];
  for (const [analysis, flag, on] of asked) {
    if (!on || SHOWN_IN[o.format as keyof typeof SHOWN_IN]?.includes(analysis)) continue;
    // the command line's formats (netron is an attachment, not a report)
    const where = formatsShowing(analysis).filter((f) => f !== 'netron');
    throw new ConvlensError('INVALID_OPTION', `--format ${o.format} does not show it; it shows in ${where.join(', ')}`, { path: flag });
  }
}

function analyze(io: Io, target: string, o: AnalyzeFlags): number {
  refuseOverwrite([targetFile(target), deviceFile(o.device)], [['--out', o.out]]);
  if (o.format === 'netron' && ZOO_BY_NAME.has(target)) notNetron(target, 'a zoo model');
  if (o.erf && o.format !== 'html') {
    throw new ConvlensError('INVALID_OPTION', `--erf adds a section to the HTML report (--format html); for the numbers use \`convlens erf ${target}\``, { path: '--erf' });
  }
  if (o.maxLatency !== undefined && o.device === undefined) {
    throw new ConvlensError('INVALID_OPTION', '--max-latency needs --device (the latency is a roofline lower bound on a device; `convlens devices` lists them)', { path: '--max-latency' });
  }
  unshownAnalyses(o);
  const options = AnalyzeOptionsSchema.parse({ dtype: o.dtype, flops: o.flops, includeBias: o.includeBias });
  // resolved before the analysis, so a misspelt device or convention costs nothing
  const wantMemory = o.memory || o.inPlace || o.maxPeakMemory !== undefined || o.format === 'html';
  const plan = planExtras(
    {
      memory: wantMemory,
      inPlace: o.inPlace,
      device: o.device === undefined ? undefined : deviceOption(o.device),
      convention: o.convention,
      explain: o.explain,
      deployed: o.deployed,
      // JSON carries the module summary as REST's ?depth does; the text formats draw their own
      ...(o.format === 'json' && o.depth !== undefined && { depth: o.depth }),
    },
    (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );

  // a file's size says whether progress is worth showing (stdin's is known once read)
  const file = targetKind(target) === 'onnx' && target !== STDIN;
  const size = file ? statSync(target).size : 0;
  const bar = progress(io, o.progress, size >= LARGE_ONNX_BYTES);
  if (file) bar.phase(`reading ${target} (${(size / 1e6).toFixed(1)} MB)`);
  const read = readTarget(target);
  const onnx = read.kind === 'onnx';
  if (o.format === 'netron' && !onnx) {
    bar.end();
    notNetron(target, 'a JSON spec');
  }
  const source = targetSource(read, { inputShape: o.input, resolution: o.resolution }, ANALYZE_FLAGS);
  if (onnx) bar.phase('importing ONNX');
  const { graph, origin } = loadGraph(source, { values: false });
  bar.phase(`analysing ${graph.layers.length} layers`);
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, options, inference);
  const extras = computeExtras({ graph, inference, report }, plan);
  const { memory, roofline: rl, convention, explain, deployed } = extras;
  bar.end();

  const shown = { memory: o.memory || o.inPlace ? memory : undefined, roofline: rl, convention, deployed };
  // where it came from, as the service's renderings say it under the title (`ONNX file (opset 13, …)`, `built-in model …`)
  const sourced = { ...report, source: origin };
  let text: string;
  switch (o.format) {
    case 'json':
      // the service's JSON: the report, where it came from (`source`: the ONNX opset, producer), the extras asked for
      text = JSON.stringify(withExtras(sourced, { ...extras, memory: shown.memory }), null, 2);
      break;
    case 'csv':
      text = reportCsv(report, { ...shown, ...(explain && { explain }) });
      break;
    case 'md':
      text = reportMarkdown(sourced, { depth: o.depth ?? DEFAULT_MODULE_DEPTH }) + markdownExtras(shown);
      break;
    case 'html':
      text = reportHtml({ report: sourced, memory, roofline: rl, deployed, convention, ...(o.erf && { erf: reportErfSync(source) }) }, { depth: o.depth ?? DEFAULT_MODULE_DEPTH });
      break;
    case 'netron': {
      const { attachment, skipped } = netronAttachment(report, onnxNodes((source as { bytes: Uint8Array }).bytes));
      if (skipped.length) io.err(`convlens: no Netron metrics for ${skipped.length} layers (unnamed or duplicate node names in the file): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}`);
      text = JSON.stringify(attachment, null, 2);
      break;
    }
    default: {
      const sections = [table(report)];
      if (o.depth !== undefined && o.depth > 0) sections.push(modulesText(report, o.depth));
      if (shown.memory) sections.push(memoryText(shown.memory));
      if (rl) sections.push(rooflineText(rl));
      if (convention) sections.push(conventionText(convention));
      if (deployed) sections.push(deployedText(deployed));
      text = sections.join('\n\n');
    }
  }
  emit(io, text, o.out, o.format === 'netron' ? 'Netron attachment (open it in Netron while the model is shown)' : `${o.format} report`);

  const verdict = judge(report, {
    maxParams: o.maxParams,
    maxMacs: o.maxMacs,
    maxMemory: o.maxMemory,
    maxPeakMemory: o.maxPeakMemory,
    maxLatency: o.maxLatency,
    peakMemoryBytes: memory?.peak.bytes,
    latencySeconds: rl?.totals.seconds,
    failOn: o.failOn,
    allowIncomplete: o.allowIncomplete,
  });
  for (const m of verdict.messages) io.err(`convlens: ${m}`);
  return verdict.exitCode;
}
