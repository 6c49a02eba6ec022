/**
 * `convlens sweep TARGET --sizes 160,224,320`: the network at several input sizes
 * (analysis/sweep.ts): params, MACs, peak activation memory, latency on --device, final feature
 * map, its receptive field, and which sizes are valid. A progress bar on stderr ticks once per
 * size (on a terminal, or with --progress). On stdout the report is written row by row as the sizes
 * are analysed, and a reader gone stops the sweep (cli/sweep-stream.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { sweepMarkdown } from '../analysis/formats/sweep-markdown.js';
import { AnalyzeOptionsSchema, DTYPES, FLOP_CONVENTIONS } from '../analysis/report.js';
import { MAX_SWEEP_SIZES, sweepResolutions } from '../analysis/sweep.js';
import { MAX_RESOLUTION } from '../graph/load.js';
import { withDecode } from '../runtime/memory-grant.js';
import type { SweepReport } from '../analysis/sweep.js';
import { withFlags } from './errors.js';
import { targetFile, targetSource } from './target.js';
import type { FlagPaths } from './errors.js';
import { EXIT, SWEEP_EXIT_HELP } from './gates.js';
import { deviceFile, deviceOption, emit, fileOption, progress, inputShapesOption, refuseOverwrite } from './io.js';
import type { Io } from './io.js';
import { sizeLabel, sweepStream, sweepTable } from './sweep-stream.js';

export const SWEEP_FORMATS = ['table', 'json', 'md'] as const;

/**
 * The sweep request's fields (analysis/sweep.ts, graph/load.ts, cli/target.ts) as the options that give them;
 * `$.input` is --input-name's when it was given, else the network's own (it has no input to resize).
 */
const sweepFlags = (inputName: boolean, target: string): FlagPaths => ({ '$.sizes': '--sizes', '$.input': inputName ? '--input-name' : target, '$.inputShapes': '--input', '$.device': '--device', '$.resolution': '--sizes' });

/** `160,224,320x480` → [160, 224, [320, 480]]. */
export function sizesOption(v: string): (number | [number, number])[] {
  // an empty entry (`224,,320`, or "$UNSET") is refused, not skipped: the list was mistyped
  const sizes = v.split(',').map((s) => s.trim()).map((s) => {
    const m = /^(\d+)(?:[xX×](\d+))?$/.exec(s);
    if (!m) throw new InvalidArgumentError(`'${s}' is not a size: give sides (224) or H×W (224x320), comma-separated`);
    const sides = [m[1], m[2]].filter((d) => d !== undefined).map(Number);
    // past 2^53 the digits would be rounded before the range is checked: each side is checked here
    if (sides.some((d) => d < 1 || d > MAX_RESOLUTION)) throw new InvalidArgumentError(`'${s}': each side is an integer from 1 to ${MAX_RESOLUTION}`);
    return sides.length === 1 ? sides[0] : ([sides[0], sides[1]] as [number, number]);
  });
  if (sizes.length === 0 || sizes.length > MAX_SWEEP_SIZES) throw new InvalidArgumentError(`1 to ${MAX_SWEEP_SIZES} sizes`);
  return sizes;
}

export function sweepCommand(io: Io, setCode: (code: number) => void): Command {
  return new Command('sweep')
    .description('analyse a network at several input sizes: params, MACs, peak memory, latency (--device), final feature map, receptive field, valid sizes')
    .argument('<target>', 'file path (- reads stdin) or zoo model name')
    .addHelpText('after', `\n${SWEEP_EXIT_HELP}`)
    .requiredOption('--sizes <sizes>', 'input sizes, comma-separated: a side (224) or H×W (224x320)', sizesOption)
    .option('--device <name|profile.json>', 'add the roofline latency lower bound on this device')
    .option('--input <shape>', 'shape for dynamic ONNX inputs, e.g. 1,3,224,224 (N and C are kept, H and W swept), or NAME=SHAPE, repeated for each named input', inputShapesOption)
    .option('--input-name <name>', 'the input to resize (default: the first NCHW input)')
    .option('--in-place', 'peak memory with element-wise layers written in place', false)
    .addOption(new Option('--dtype <dtype>', 'bytes per element').choices(Object.keys(DTYPES)).default('float32'))
    .addOption(new Option('--flops <convention>', 'FLOP convention').choices([...FLOP_CONVENTIONS, 'seed']).default('2macs'))
    .option('--include-bias', 'count bias additions in FLOPs', false)
    .addOption(new Option('--format <format>', 'output').choices([...SWEEP_FORMATS]).default('table'))
    .option('--out <file>', 'write the sweep to this file; stderr gets one line saying where (- is stdout itself)', fileOption)
    .option('--progress', 'show a progress bar on stderr (by default only on a terminal)')
    .option('--no-progress', 'never show progress')
    .action((target: string, o) => {
      const flags = sweepFlags(o.inputName !== undefined, target);
      return withFlags(flags, () => {
        refuseOverwrite([targetFile(target), deviceFile(o.device)], [['--out', o.out]]);
        const options = AnalyzeOptionsSchema.parse({ dtype: o.dtype, flops: o.flops, includeBias: o.includeBias });
        // a profile file read here (as analyze reads it), a built-in id resolved by the sweep
        const device = o.device === undefined ? undefined : deviceFile(o.device) !== undefined ? deviceOption(o.device) : (o.device as string);
        const bar = progress(io, o.progress);
        const sizes = o.sizes as (number | [number, number])[];
        bar.tick(0, sizes.length, sizeLabel(sizes[0]));
        const source = targetSource(target, { inputShape: o.input }, flags);
        // on stdout the report is written as the sweep goes, and a reader gone stops it (cli/sweep-stream.ts); a file gets it at the end
        const stream = o.out === undefined || o.out === '-' ? sweepStream(io, o.format, sizes) : undefined;
        const onSize = (done: number, total: number, entry: SweepReport['sizes'][number]) => {
          bar.tick(done, total, done < total ? sizeLabel(sizes[done]) : 'done');
          stream?.row(entry);
        };
        // an ONNX file judged before it is decoded (its work counted for the reference and each size), and decoded once
        const report = withDecode(source, sizes.length + 1, () =>
          sweepResolutions(source, { sizes, device, inPlace: o.inPlace, ...(o.inputName !== undefined && { input: o.inputName }) }, options, onSize, undefined, stream && ((head) => stream.head(head))),
        );
        bar.end();
        if (stream) stream.end(report);
        else emit(io, o.format === 'json' ? JSON.stringify(report, null, 2) : o.format === 'md' ? sweepMarkdown(report) : sweepTable(report), o.out, `${o.format} sweep`);
        // as analyze and compare say it: the counts of an incomplete analysis are lower bounds
        if (report.sizes.some((s) => s.complete === false)) io.err('convlens: an analysis is incomplete (unsupported operators): its totals are lower bounds');
        const failed = report.sizes.filter((s) => s.status === 'error');
        for (const s of failed) io.err(`convlens: ${s.size.join('×')}: ${s.reasons.join('; ')}`);
        // some sizes refused is the sweep's answer (which sizes work); none analysed is a bad input
        setCode(failed.length === report.sizes.length ? EXIT.INVALID_INPUT : EXIT.OK);
      });
    });
}
