/**
 * `convlens compare OLD NEW`: the second network relative to the first (analysis/compare.ts), as a
 * table, JSON ({comparison, gates}) or Markdown for a pull-request comment, with the gates of
 * GATE_FLAGS (`--max-macs-increase 5%`, `--max-params-increase 0`).
 *
 * Peak memory and latency are compared when asked (--memory, --device) and computed by themselves
 * for their gates (--max-peak-memory-increase; --max-latency-increase needs --device).
 *
 * Exit codes: 0 every gate passed (or none given), 1 a gate failed, 2 bad input or usage, 4 a gate
 * could not be judged because an analysis is incomplete (unsupported operators), unless
 * --allow-incomplete. An error reading or analysing one of the networks names it and its side
 * (`convlens: new network b.onnx: ONNX_INVALID: …`).
 */
import { Command, Option } from 'commander';
import { analyzeGraph } from '../analysis/analyze.js';
import { COMPARE_METRICS, compareReports, evaluateGates, GATE_FLAGS, METRIC_LABELS, parseThreshold } from '../analysis/compare.js';
import type { CompareExtras, CompareMetric, Comparison, Gate, GateVerdict } from '../analysis/compare.js';
import type { BuiltInDevice, DeviceProfile } from '../analysis/devices.js';
import { comparisonMarkdown } from '../analysis/formats/compare-markdown.js';
import { inferGraph } from '../analysis/infer.js';
import { analyzeMemory } from '../analysis/memory.js';
import { AnalyzeOptionsSchema, DTYPES, FLOP_CONVENTIONS } from '../analysis/report.js';
import type { AnalyzeOptions, Dtype, Report } from '../analysis/report.js';
import { roofline } from '../analysis/roofline.js';
import { ConvlensError } from '../errors.js';
import { loadGraph } from '../graph/load.js';
import { OnTarget, withFlags } from './errors.js';
import type { FlagPaths } from './errors.js';
import { readTarget, targetFile, targetLabel, targetSource } from './target.js';
import type { ReadTarget, TargetSizes } from './target.js';
import { STDIN } from './read-file.js';
import { human } from './format.js';
import { EXIT } from './gates.js';
import { deviceFile, deviceOption, emit, fileOption, once, refuseOverwrite, inputShapesOption, resolutionOption } from './io.js';
import type { Io } from './io.js';
import { columns, secondsText } from './sections.js';

export const COMPARE_FORMATS = ['table', 'json', 'md'] as const;

export const COMPARE_EXIT_HELP = `Exit codes:
  0  compared, and every gate given passed
  1  a gate failed
  2  invalid input or usage (a bad file, option or limit)
  3  internal error
  4  a gate could not be judged: an analysis is incomplete (unsupported operators), unless --allow-incomplete`;

/** commander's attribute name of a flag: --max-macs-increase → maxMacsIncrease. */
const attribute = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function compareCommand(io: Io, setCode: (code: number) => void): Command {
  const cmd = new Command('compare')
    .description('compare two networks (each a file or zoo name): totals with deltas, layers matched by name, module path or position, added and removed; gates for CI')
    .argument('<old>', 'the network before (file path, - for stdin, or zoo model name)')
    .argument('<new>', 'the network after')
    .option('--input <shape>', 'shape for dynamic ONNX inputs of both, e.g. 1,3,224,224 (the first input), or NAME=SHAPE, repeated for each named input', inputShapesOption)
    .option('--input-old <shape>', 'shape for dynamic ONNX inputs of OLD (as --input: SHAPE or NAME=SHAPE, repeated)', inputShapesOption)
    .option('--input-new <shape>', 'shape for dynamic ONNX inputs of NEW (as --input)', inputShapesOption)
    .option('--resolution <pixels>', 'input resolution for zoo models', resolutionOption)
    .addOption(new Option('--dtype <dtype>', 'bytes per element').choices(Object.keys(DTYPES)).default('float32'))
    .addOption(new Option('--flops <convention>', 'FLOP convention').choices([...FLOP_CONVENTIONS, 'seed']).default('2macs'))
    .option('--include-bias', 'count bias additions in FLOPs', false)
    .option('--memory', 'compare peak activation memory too', false)
    .option('--device <name|profile.json>', 'compare the roofline latency lower bound on this device too')
    .addOption(new Option('--format <format>', 'output').choices([...COMPARE_FORMATS]).default('table'))
    .option('--out <file>', 'write the comparison to this file; stderr gets one line saying where (- is stdout itself)', fileOption);
  for (const m of COMPARE_METRICS) {
    cmd.option(`${GATE_FLAGS[m]} <limit>`, `fail (exit 1) when ${METRIC_LABELS[m]} grows by more than this: a number (0: no increase) or a percentage (5%); a negative one asks for a decrease (-10%)`, once(String));
  }
  return cmd
    .option('--allow-incomplete', `judge the gates on the analysed layers when an analysis is incomplete (otherwise exit ${EXIT.INCOMPLETE})`, false)
    .addHelpText('after', `\n${COMPARE_EXIT_HELP}`)
    .action((before: string, after: string, o: Record<string, unknown>) => setCode(compare(io, before, after, o)));
}

interface Side {
  report: Report;
  extras: CompareExtras;
}

/** One network analysed; its errors name it and its side (`old network a.onnx: …`), their REST paths the options. */
function side(which: 'old' | 'new', target: ReadTarget, size: TargetSizes & { flags: FlagPaths }, options: AnalyzeOptions, memory: boolean, device?: DeviceProfile | BuiltInDevice): Side {
  try {
    return withFlags(size.flags, () => {
      const { graph } = loadGraph(targetSource(target, size, size.flags), { values: false });
      const inference = inferGraph(graph);
      const report = analyzeGraph(graph, options, inference);
      const extras: CompareExtras = {};
      if (memory) extras.peakMemoryBytes = analyzeMemory(graph, inference, report).peak.bytes;
      if (device) extras.latencySeconds = roofline(report, device, options.dtype as Dtype).totals.seconds;
      return { report, extras };
    });
  } catch (e) {
    throw new OnTarget(`${which} network ${targetLabel(target.target)}`, target.target, e);
  }
}

function compare(io: Io, oldTarget: string, newTarget: string, o: Record<string, unknown>): number {
  refuseOverwrite([targetFile(oldTarget), targetFile(newTarget), deviceFile(o.device as string | undefined)], [['--out', o.out as string | undefined]]);
  const gates: Gate[] = [];
  for (const metric of COMPARE_METRICS) {
    const flag = GATE_FLAGS[metric];
    const limit = o[attribute(flag)];
    if (typeof limit === 'string') gates.push({ metric, maxIncrease: parseThreshold(limit, flag), givenAs: flag });
  }
  const gated = (m: CompareMetric) => gates.some((g) => g.metric === m);
  if (gated('latencySeconds') && o.device === undefined) {
    throw new ConvlensError('INVALID_OPTION', `${GATE_FLAGS.latencySeconds} needs --device (the latency is a roofline lower bound on a device; \`convlens devices\` lists them)`, { path: GATE_FLAGS.latencySeconds });
  }
  const options = AnalyzeOptionsSchema.parse({ dtype: o.dtype, flops: o.flops, includeBias: o.includeBias });
  const device = typeof o.device === 'string' ? deviceOption(o.device) : undefined;
  const memory = o.memory === true || gated('peakMemoryBytes');
  // --input and --resolution go to the sides that read them (ONNX files, zoo models), and at least
  // one must; --input-old and --input-new name their side, which must be an ONNX file
  const shared = o.input as TargetSizes['inputShape'];
  // --input is both sides' shape: with --input-old or --input-new one side would have two (the side's silently won)
  const own = ['--input-old', '--input-new'].filter((f) => o[attribute(f)] !== undefined);
  if (shared && own.length) throw new ConvlensError('INVALID_OPTION', `--input gives both networks' shapes and ${own.join(' and ')} one side's: give --input-old and --input-new instead`, { path: '--input' });
  const resolution = o.resolution as number | undefined;
  if (oldTarget === STDIN && newTarget === STDIN) throw new ConvlensError('INVALID_OPTION', 'OLD and NEW are both - (stdin), which holds one file: give one of them as a file');
  const targets = [oldTarget, newTarget].map((t, i) => {
    try {
      return readTarget(t);
    } catch (e) {
      throw new OnTarget(`${i === 0 ? 'old' : 'new'} network ${targetLabel(t)}`, t, e);
    }
  });
  const kinds = targets.map((t) => t.kind);
  if (shared && !kinds.includes('onnx')) throw new ConvlensError('INVALID_OPTION', "--input gives the shapes of an ONNX file's dynamic inputs; neither network is an ONNX file", { path: '--input' });
  if (resolution !== undefined && !kinds.includes('model')) throw new ConvlensError('INVALID_OPTION', "--resolution sets a built-in model's input size; neither network is a built-in model", { path: '--resolution' });
  const sizeOf = (i: number, own: unknown, flag: string) => ({
    inputShape: (own as TargetSizes['inputShape']) ?? (kinds[i] === 'onnx' ? shared : undefined),
    resolution: kinds[i] === 'model' ? resolution : undefined,
    // the side's REST fields as the options that gave them
    flags: { '$.inputShapes': own ? flag : '--input', '$.resolution': '--resolution' },
  });
  const a = side('old', targets[0], sizeOf(0, o.inputOld, '--input-old'), options, memory, device);
  const b = side('new', targets[1], sizeOf(1, o.inputNew, '--input-new'), options, memory, device);
  const cmp = compareReports(a.report, b.report, { before: a.extras, after: b.extras });
  const verdict = gates.length ? evaluateGates(cmp, gates, { allowIncomplete: o.allowIncomplete === true }) : undefined;

  const format = o.format as (typeof COMPARE_FORMATS)[number];
  const text =
    format === 'json'
      ? JSON.stringify({ comparison: cmp, ...(verdict && { gates: verdict }) }, null, 2)
      : format === 'md'
        ? comparisonMarkdown(cmp, verdict)
        : compareTable(cmp, verdict);
  emit(io, text, o.out as string | undefined, `${format} comparison`);

  if (!cmp.complete) io.err('convlens: an analysis is incomplete (unsupported operators): its totals are lower bounds');
  if (cmp.conventionsDiffer.length) io.err(`convlens: the reports count differently: ${cmp.conventionsDiffer.join('; ')}`);
  if (!verdict) return EXIT.OK;
  for (const r of verdict.results) if (r.status !== 'pass') io.err(`convlens: ${r.status === 'fail' ? 'gate failed' : 'gate not judged'}: ${r.message}`);
  if (verdict.results.some((r) => r.status === 'fail')) return EXIT.GATE_FAILED;
  if (verdict.results.some((r) => r.reason === 'unavailable')) return EXIT.INVALID_INPUT;
  if (verdict.results.some((r) => r.reason === 'incomplete')) {
    io.err(`convlens: give --allow-incomplete to judge the gates on the analysed layers only (exit ${EXIT.INCOMPLETE})`);
    return EXIT.INCOMPLETE;
  }
  return EXIT.OK;
}

const percent = (p: number | null) => (p === null ? 'new' : `${p > 0 ? '+' : ''}${p.toFixed(2)}%`);
const value = (m: CompareMetric, v: number) => (m === 'latencySeconds' ? secondsText(v) : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(6));
const signedValue = (m: CompareMetric, v: number) => (v > 0 ? '+' : v < 0 ? '-' : '') + value(m, Math.abs(v));

/** The comparison for a terminal: totals, the layer counts, the most changed layers, the gates. */
export function compareTable(cmp: Comparison, verdict?: GateVerdict, topChanged = 10): string {
  const totals = columns(
    ['metric', 'before', 'after', 'delta', 'delta %'],
    cmp.totals.map((t) => [METRIC_LABELS[t.metric], value(t.metric, t.before), value(t.metric, t.after), signedValue(t.metric, t.delta), percent(t.percent)]),
    [1, 2, 3, 4],
  );
  const { matched, added, removed } = cmp.layers;
  const changed = matched.filter((d) => d.changed);
  const top = [...changed].sort((x, y) => Math.abs(y.macs.delta) - Math.abs(x.macs.delta) || Math.abs(y.params.delta) - Math.abs(x.params.delta)).slice(0, topChanged);
  const lines = [
    `${cmp.before.name} → ${cmp.after.name}`,
    '',
    totals,
    '',
    `layers: ${matched.length} matched (${matched.filter((d) => d.matchedBy !== 'name').length} by module path or position), ${changed.length} changed, ${added.length} added, ${removed.length} removed`,
  ];
  if (top.length) {
    lines.push(
      '',
      columns(
        ['changed layer', 'op', 'output', 'params', 'MACs'],
        top.map((d) => [
          d.before === d.after ? d.after : `${d.before} → ${d.after}`,
          d.op.before === d.op.after ? d.op.after : `${d.op.before} → ${d.op.after}`,
          `${d.outputShape.before?.join('×') ?? '?'}${d.outputShape.after?.join('×') === d.outputShape.before?.join('×') ? '' : ` → ${d.outputShape.after?.join('×') ?? '?'}`}`,
          signedValue('params', d.params.delta),
          signedValue('macs', d.macs.delta),
        ]),
        [3, 4],
      ),
    );
  }
  const list = (what: string, ls: typeof added) => (ls.length ? [`${what}: ${ls.slice(0, 10).map((l) => `${l.name} (${l.op}, ${human(l.params)} params)`).join(', ')}${ls.length > 10 ? `, … (${ls.length} in all)` : ''}`] : []);
  lines.push(...list('added', added), ...list('removed', removed));
  if (verdict) lines.push('', ...verdict.results.map((r) => `${r.status.toUpperCase()}  ${r.givenAs} ${r.threshold}: ${r.message}`));
  return lines.join('\n');
}
