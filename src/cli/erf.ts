/**
 * `convlens erf TARGET`: the effective receptive field of one output unit of a network (a zoo
 * model, a .json spec or an .onnx file with its weights), computed in this process: the gradient
 * of y[0, channels, i, j].sum() with respect to the input (runtime/erf.ts), at a given .npy input
 * or averaged over seeded random ones; the statistics (and per stage) as a table or JSON; the
 * heatmap as PNG and SVG files, the gradient as .npy. A video network's clip [N, C, T, H, W]: the
 * unit is t,row,column and the frames get rows of their own (the theoretical extent, each one's share).
 * A network of several inputs: --input-name names the one measured (runtime/erf-input.ts); random and
 * luo draw every input; a .npy file for each, `--input NAME=FILE.npy` repeated (cli/erf-inputs.ts),
 * gives them as POST /v1/erf's `inputs` by name; a bare `--input FILE.npy` feeds a network of one input.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { OptionValues } from 'commander';
import type { ErfStats, ErfTemporal } from '../analysis/erf.js';
import { erfResponse } from '../http/erf.js';
import { MAX_SAMPLES } from '../http/erf-request.js';
import { computeErf, inlineRunner } from '../runtime/erf.js';
import { unitChannels } from '../runtime/backward.js';
import { encodeNpy } from '../tensor/encoding.js';
import { MAX_SEED } from '../tensor/random.js';
import { ConvlensError } from '../errors.js';
import { withFlags } from './errors.js';
import { readTarget, targetFile, targetLabel, targetSource } from './target.js';
import { weightInitFor } from '../runtime/weights.js';
import type { FlagPaths } from './errors.js';
import { ERF_EXIT_HELP, EXIT } from './gates.js';
import { collector, emit, fileOption, refuseOverwrite, resolutionOption, shape, writeOutput } from './io.js';
import { DEFAULT_INPUT, checkStdin, erfInputOption, explain, npyArgs, readInputs } from './erf-inputs.js';
import { sizedByTensors } from '../runtime/checks.js';
import type { ErfInput } from './erf-inputs.js';
import { columns } from './sections.js';
import type { Io } from './io.js';

const list = (what: string) => (v: string) => {
  // Number('') is 0: an empty value ("$UNSET", or `1,,2`) would be taken as channel or row 0
  const parts = v.split(',').map((s) => s.trim());
  // decimal digits: Number() also reads 1e2, +3, 0x10 and 2.0 as indices (--input's rule, io.ts shape)
  if (parts.some((s) => !/^[0-9]+$/.test(s))) throw new InvalidArgumentError(`${what}: non-negative integers separated by commas, got ${JSON.stringify(v)}`);
  const out = parts.map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < 0)) throw new InvalidArgumentError(`${what}: non-negative integers separated by commas, got ${JSON.stringify(v)}`);
  return out;
};

/** --seed: the generator's state is 32 bits (tensor/random.ts), so 2^32 would quietly be seed 0. */
const seedOption = (v: string): number => {
  const n = Number(v);
  // one message for every value out of range (−1 said "up to 2^53 − 1"); '' is not seed 0
  if (!/^[0-9]+$/.test(v.trim()) || !Number.isInteger(n) || n < 0 || n > MAX_SEED) throw new InvalidArgumentError(`an integer from 0 to ${MAX_SEED} (2^32 − 1), got ${JSON.stringify(v)}`);
  return n;
};

/** --samples: 1 to MAX_SAMPLES, one message for every value outside (1.5 said "up to 2^53 − 1", the shared integer's range). */
const samplesOption = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_SAMPLES) throw new InvalidArgumentError(`an integer from 1 to ${MAX_SAMPLES} (random inputs averaged over), got ${JSON.stringify(v)}`);
  return n;
};

/** --input-name names a graph input: an empty name ("$UNSET") would quietly mean the first image input. */
const inputName = (v: string): string => {
  if (v.trim() === '') throw new InvalidArgumentError('--input-name: an input of the network, got ""; leave --input-name out for its first image input');
  return v;
};

/** --layer names a layer: an empty name ("$UNSET") would quietly mean the default layer. */
const layerName = (v: string): string => {
  if (v.trim() === '') throw new InvalidArgumentError('--layer: a layer name, got ""; leave --layer out for the final feature map');
  return v;
};

const n = (v: number | null, digits = 1) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

function statsRows(s: ErfStats): [string, string][] {
  const t = s.theoretical;
  const box = (b: { top: number; left: number; bottom: number; right: number } | null) => (b ? `rows ${b.top}…${b.bottom}, columns ${b.left}…${b.right}` : '-');
  return [
    ['theoretical field', `${t.size.map((v) => n(v)).join('×')}${t.global ? ' (global)' : ''}: ${box(t.box)}`],
    ['non-zero gradient', `${box(s.support.box)} (${s.support.pixels} pixels, ${s.support.insideTheoretical ? 'inside' : 'NOT inside'} the theoretical field)`],
    ['mass radius 50/90/95 %', [s.radius.p50, s.radius.p90, s.radius.p95].map((v) => n(v, 2)).join(' / ')],
    ['Gaussian σ (rows, columns)', s.gaussian ? s.gaussian.sigma.map((v) => v.toFixed(2)).join(', ') : '-'],
    ['95 % area / theoretical', `${s.effectiveArea} / ${t.area} = ${s.areaRatio.toFixed(4)}`],
    ['high-contribution area ratio', s.highContribution.map((h) => `t=${h.t}: ${h.areaRatio === null ? '-' : h.areaRatio.toFixed(4)}`).join(', ')],
  ];
}

/** A clip's rows: the frames the unit can see, and each frame's share of Σ|gradient|. */
function temporalRows(t: ErfTemporal): [string, string][] {
  const th = t.theoretical;
  return [
    ['theoretical frames', `${th.from}…${th.to} of ${t.frames.length} (field ${n(th.size)} frames${th.global ? ', global' : ''})`],
    ['share of |gradient| per frame', t.frames.map((f) => f.toFixed(3)).join(' ')],
  ];
}

export function erfCommand(io: Io, setCode: (code: number) => void): Command {
  return new Command('erf')
    .description("effective receptive field of one output unit: input gradient statistics against the theoretical field, per stage; heatmap PNG/SVG")
    .argument('<target>', 'file path (.json spec or .onnx with weights; - reads stdin) or zoo model name')
    .addHelpText('after', `\n${ERF_EXIT_HELP}`)
    .option('--layer <name>', 'the layer whose unit it is (default: the final feature map)', layerName)
    .option('--channels <list>', 'channels summed into the unit, e.g. 0,5 (default: all)', list('--channels'))
    .option('--position <row,column>', "the unit in its map; t,row,column in a clip's map [N, C, T, H, W] (default: the centre)", list('--position'))
    .addOption(
      new Option('--input <random|luo|[name=]file.npy>', "the input: seeded N(0,1) inputs (random), Luo et al.'s setting (luo: weights re-seeded per sample too), a .npy file, or on a network of several inputs NAME=FILE.npy repeated, one for each")
        .argParser(collector(erfInputOption))
        .default(DEFAULT_INPUT, 'random'),
    )
    .option('--input-name <name>', "the network input the ERF is measured at, on a network of several (default: its first image or clip); with random and luo every other input is drawn too", inputName)
    .option('--samples <k>', `random inputs averaged over (1–${MAX_SAMPLES})`, samplesOption, 8)
    .option('--seed <n>', 'seed of random inputs and of weights not in the file (0 to 2^32 − 1)', seedOption, 0)
    .option('--resolution <pixels>', 'input resolution for a zoo model', resolutionOption)
    .option('--input-shape <shape>', 'shape for dynamic ONNX inputs, e.g. 1,3,224,224 (a clip: 1,3,16,112,112)', shape)
    .addOption(new Option('--weight-init <from>', 'weights: from the ONNX file or seeded').choices(['file', 'seed']))
    .option('--no-stages', 'skip the per-stage statistics')
    .addOption(new Option('--stage-by <rule>', 'stages end at each downsampling (stride) or at module name boundaries (name: layer1 … layer4)').choices(['stride', 'name']).default('stride'))
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json']).default('table'))
    .option('--png <file>', 'write the heatmap PNG here (- is stdout: then the statistics need --out)', fileOption)
    .option('--svg <file>', 'write the heatmap SVG here (- is stdout: then the statistics need --out)', fileOption)
    .option('--gradient <file>', 'write the gradient (or mean |gradient|) as .npy here (- is stdout: then the statistics need --out)', fileOption)
    .option('--out <file>', 'write the statistics to this file; stderr gets one line saying where (- is stdout itself)', fileOption)
    .action((target: string, o, command: Command) => {
      // the shapes came from the .npy given as --input only when --input-shape was not given
      const flags = erfFlags(o.inputShape === undefined && npyFiles(o).length > 0);
      // --samples has a default: only one typed conflicts with a given input
      const samplesGiven = command.getOptionValueSource('samples') === 'cli';
      return withFlags(flags, () => erf(io, setCode, target, o, flags, samplesGiven));
    });
}

/** The ERF request's fields (runtime/backward.ts, runtime/erf-task.ts, graph/load.ts, cli/target.ts) as the options that give them. */
const erfFlags = (shapeFromNpy: boolean): FlagPaths => ({
  '$.layer': '--layer',
  // a file's stripped weights: seed them (--weight-init seed), as the message says
  '$.weights': '--weight-init',
  '$.channels': '--channels',
  '$.position': '--position',
  '$.input': '--input',
  '$.inputName': '--input-name',
  // the given input's tensor (`$.inputs.input`); `$.inputs` alone is the network's inputs
  '$.inputs.': '--input',
  // an ONNX file's dynamic input: --input-shape (the option that sets it), or the shape of the .npy given as --input
  '$.inputShapes': shapeFromNpy ? '--input' : '--input-shape',
  '$.resolution': '--resolution',
  '$.samples': '--samples',
  '$.seed': '--seed',
});

/** The .npy files given as --input (none for `random` and `luo`). */
const npyFiles = (o: OptionValues) => npyArgs(o.input as ErfInput);

/**
 * `-` is stdout for --out, --png, --svg and --gradient; stdout holds one of them. With the heatmap
 * or the gradient there, the statistics need --out FILE; PNG and .npy bytes are not written to a
 * terminal.
 */
function checkStdout(io: Io, o: OptionValues): void {
  const files: [string, string | undefined][] = [['--png', o.png], ['--svg', o.svg], ['--gradient', o.gradient]];
  const toStdout = files.filter(([, f]) => f === '-').map(([flag]) => flag);
  if (toStdout.length === 0) return;
  const refuse = (message: string) => {
    throw new ConvlensError('INVALID_OPTION', message, { path: toStdout[0] });
  };
  if (toStdout.length > 1) refuse(`${toStdout.join(' - and ')} - ${toStdout.length === 2 ? 'both ask for stdout, which holds one output: give one of them a file' : 'all ask for stdout, which holds one output: give all but one of them files'}`);
  if (o.out === undefined || o.out === '-') refuse(`${toStdout[0]} - writes to stdout, where the statistics go too: give --out FILE for them (or --out /dev/null)`);
  if (toStdout[0] !== '--svg' && io.outIsTTY) refuse(`${toStdout[0]} - writes binary to stdout, which is a terminal: redirect it to a file or a pipe`);
}

/** `flags`: the request fields' options (erfFlags), for targetSource's messages as for withFlags's paths. */
async function erf(io: Io, setCode: (code: number) => void, target: string, o: OptionValues, flags: FlagPaths, samplesGiven = false): Promise<void> {
  // its length is checked against the map it indexes (row,column; t,row,column in a clip's map), at --position (erfFlags)
  checkStdout(io, o);
  const files = npyFiles(o);
  refuseOverwrite([targetFile(target), ...files.map((f) => f.file)], [['--out', o.out], ['--png', o.png], ['--svg', o.svg], ['--gradient', o.gradient]]);
  if (files.length > 0 && samplesGiven) {
    const what = files.length === 1 ? `--input ${files[0].arg} is one given input` : `--input ${files.map((f) => f.arg).join(', ')} are given inputs`;
    throw new ConvlensError('INVALID_OPTION', `--samples averages over random inputs; ${what}: leave --samples out, or use --input random`, { path: '--samples' });
  }
  checkStdin(target, files);
  const given = files.length > 0 ? readInputs(files, 1 << 28) : null;
  const read = readTarget(target);
  if (o.weightInit === 'file' && read.kind !== 'onnx') {
    throw new ConvlensError('INVALID_OPTION', `--weight-init file reads an ONNX file's weights; '${targetLabel(target)}' is ${read.kind === 'model' ? 'a zoo model' : 'a JSON spec'}, which has none: its weights are seeded (--seed)`, { path: '--weight-init' });
  }
  // the given inputs' shapes size an ONNX file's dynamic inputs as the service's ERF does (the
  // shapes --input-shape sets win); a zoo model or spec checks them against its own. Sized here
  // too, so that an error's explanation loads the network the ERF loaded
  const { source } = sizedByTensors(targetSource(read, { inputShape: o.inputShape, resolution: o.resolution }, flags), Object.entries(given ?? {}));
  const summary = await computeErf(inlineRunner, {
    source,
    mode: given ? 'given' : (o.input as { mode: 'random' | 'luo' }).mode,
    samples: given ? 1 : o.samples,
    inputs: given ?? {},
    ...(o.inputName !== undefined && { inputName: o.inputName as string }),
    weights: {},
    weightInit: weightInitFor(o.weightInit, source),
    seed: o.seed,
    target: { layer: o.layer ?? '', channels: o.channels ?? null, position: o.position ?? null },
    stages: o.stages,
    stageBy: o.stageBy,
    heatmap: Boolean(o.png || o.svg || o.format === 'json'),
    maxElements: 1 << 28,
  }).catch((e: unknown) => {
    throw explain(e, source, files);
  });
  if (o.png && summary.png) writeOutput(io, o.png, summary.png);
  if (o.svg && summary.svg) writeOutput(io, o.svg, summary.svg);
  if (o.gradient) writeOutput(io, o.gradient, encodeNpy(summary.gradient));
  let text: string;
  if (o.format === 'json') {
    const { gradient: _g, magnitude: _m, heatmap: _h, ...rest } = erfResponse(summary, 'base64');
    text = JSON.stringify(rest, null, 2);
  } else {
    const chosen = unitChannels(summary.target);
    const unit = `${summary.target.layer} ${summary.target.shape.join('×')}, unit ${summary.target.position?.join(', ') ?? '-'}, ${chosen ? `channels ${chosen.join(', ')}` : 'all channels'}`;
    const input = `${summary.input}: ${summary.mode === 'given' ? `the given input` : `mean |gradient| over ${summary.inputs} ${summary.mode === 'luo' ? "inputs (Luo et al.'s setting)" : 'seeded random inputs'}`}`;
    const rows = [['unit', unit], ['input', input], ...statsRows(summary.stats), ...(summary.temporal ? temporalRows(summary.temporal) : [])];
    const width = Math.max(...rows.map((r) => r[0].length));
    const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
    if (summary.stages.length) {
      // aligned columns as every other table here (they were tab-separated: past 8 characters a layer name pushed its row out of line)
      const fixed = (v: number | null) => (v === null ? '-' : v.toFixed(2));
      const stages = summary.stages.map((s) => [s.layer, [...(s.temporalStride === null ? [] : [s.temporalStride]), ...s.stride].join('×'), s.stats.theoretical.size.join('×'), fixed(s.stats.radius.p50), fixed(s.stats.radius.p95), s.stats.gaussian ? s.stats.gaussian.sigma.map((v) => v.toFixed(2)).join('×') : '-', s.stats.areaRatio.toFixed(4)]);
      lines.push('', 'growth along depth (centre unit of each stage):', columns(['layer', 'stride', 'theoretical', 'r50', 'r95', 'σ', 'area ratio'], stages, [3, 4, 6]));
    }
    text = lines.join('\n');
  }
  emit(io, text, o.out, `${o.format} ERF statistics`);
  setCode(EXIT.OK);
}
