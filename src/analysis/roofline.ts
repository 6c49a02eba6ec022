/**
 * Latency on a device by the roofline model (Williams, Waterman, Patterson, "Roofline: an
 * insightful visual performance model for multicore architectures", CACM 2009), per executed layer:
 *
 *   compute time = FLOPs / peak(dtype)        FLOPs: the report's `2macs` count (2·MACs +
 *                + intOps / peak(int8)        element-wise, + bias adds when includeBias), whatever
 *                                             convention the report was asked for; intOps: 2 per
 *                                             integer MAC of a quantized layer (QLinearConv,
 *                                             ConvInteger, QLinearMatMul, MatMulInteger: its
 *                                             `intMacs`, which the float conventions leave out), at
 *                                             the device's int8 peak (its dtype's peak without one)
 *   memory time  = bytes / bandwidth          bytes: the layer's memory-access elements (inputs +
 *                                             outputs + weights, as the report counts them) × the
 *                                             element size of the roofline's dtype
 *   time         = max(compute, memory)       compute-bound when compute ≥ memory
 *
 * and the network's time is the sum over executed layers (smallest first, so it does not depend on their order). It is a lower bound: no kernel launch
 * or framework overhead, compute and memory traffic perfectly overlapped within a layer, every
 * operand read from memory once (perfect reuse inside a layer, none across layers), peak clocks.
 * A layer convlens cannot analyse (unsupported operator) adds nothing and is listed in `skipped`;
 * a constant too large to fold (CONSTANT_LAYERS_NOT_COUNTED) adds nothing and is not listed, as a folded one.
 */
import { z } from 'zod';
import { DTYPES } from './report.js';
import type { Dtype, Report } from './report.js';
import type { BuiltInDevice, DeviceProfile } from './devices.js';
import { uncountedLayers } from './constant-work.js';

export const ROOFLINE_NOTE =
  'A lower bound: the roofline assumes peak clocks, no kernel-launch or framework overhead, compute and memory traffic perfectly overlapped, and every operand moved to or from memory exactly once per layer (perfect reuse within a layer, none across layers). Real latency is higher.';

const Bound = z.enum(['compute', 'memory', 'none']).describe("which roof limits the layer: 'none' for a layer with no FLOPs and no bytes");

const RooflineLayerSchema = z.object({
  name: z.string(),
  op: z.string(),
  flops: z.number().describe('2·MACs + element-wise FLOPs (the 2macs convention)'),
  intOps: z.number().describe("integer ops of a quantized layer: 2 per integer MAC (its intMacs), at the device's int8 peak; 0 elsewhere"),
  bytes: z.number().describe('memory-access elements × bytes per element of the dtype'),
  arithmeticIntensity: z.number().nullable().describe('(flops + intOps) / bytes'),
  computeSeconds: z.number(),
  memorySeconds: z.number(),
  seconds: z.number().describe('max(computeSeconds, memorySeconds)'),
  bound: Bound,
});

export const RooflineReportSchema = z
  .object({
    device: z.object({
      id: z.string().nullable().describe('built-in profile id; null for a custom profile'),
      name: z.string(),
      dtype: z.string().describe('element type requested: bytes are counted in it'),
      computeDtype: z.string().describe('element type whose peak is used (float32 when the device lacks the requested one)'),
      peakFlops: z.number().describe('FLOP/s (ops/s for int8)'),
      intPeakOps: z.number().describe("ops/s at which integer ops (intOps) are counted: the device's int8 peak, or peakFlops when it gives none"),
      bandwidth: z.number().describe('bytes/s'),
      ridgePoint: z.number().describe('peakFlops / bandwidth: the arithmetic intensity (FLOP/byte) above which a layer is compute-bound'),
      source: z.string().nullable(),
    }),
    fallback: z
      .object({ requested: z.string(), used: z.string(), reason: z.string() })
      .nullable()
      .describe('set when the device has no arithmetic for the requested dtype'),
    layers: z.array(RooflineLayerSchema),
    skipped: z.array(z.string()).describe('executed layers convlens cannot analyse (unsupported operators): not in the total'),
    totals: z.object({
      seconds: z.number().describe('Σ layer seconds: the latency lower bound'),
      flops: z.number(),
      intOps: z.number().describe('Σ layer intOps: integer ops of quantized layers'),
      bytes: z.number(),
      computeBoundSeconds: z.number(),
      memoryBoundSeconds: z.number(),
      computeBoundLayers: z.number(),
      memoryBoundLayers: z.number(),
      attainedFlops: z.number().nullable().describe('(flops + intOps) / seconds: the throughput the bound implies'),
    }),
    complete: z.boolean(),
    note: z.string(),
  })
  .describe('Roofline latency lower bound on a device');
export type RooflineReport = z.infer<typeof RooflineReportSchema>;

/** The peak used for `dtype` on `device`, and why when it is not that dtype's own. */
export function peakFor(device: DeviceProfile, dtype: Dtype): { computeDtype: Dtype; peak: number; fallback: RooflineReport['fallback'] } {
  const own = device.peaks[dtype];
  if (own !== undefined) return { computeDtype: dtype, peak: own, fallback: null };
  const why = 'derivation' in device ? (device as BuiltInDevice).derivation[dtype] : undefined;
  return {
    computeDtype: 'float32',
    peak: device.peaks.float32,
    fallback: {
      requested: dtype,
      used: 'float32',
      reason: `${device.name} gives no ${dtype} peak${why ? ` (${why})` : ''}: computed at its float32 peak, bytes still counted at ${DTYPES[dtype]} per element`,
    },
  };
}

export function roofline(report: Report, device: DeviceProfile, dtype: Dtype = report.conventions.dtype as Dtype): RooflineReport {
  const { computeDtype, peak, fallback } = peakFor(device, dtype);
  const bytesPer = DTYPES[dtype];
  const intPeak = device.peaks.int8 ?? peak;
  const bw = device.bandwidth;
  const layers: RooflineReport['layers'] = [];
  const skipped: string[] = [];
  // a constant too large to fold counts as the folded ones do, nothing: a runtime computes it once, at load (analysis/constant-work.ts)
  const uncounted = uncountedLayers(report);
  for (const l of report.layers) {
    if (!l.executed || uncounted.has(l.name)) continue;
    if (!l.supported) {
      skipped.push(l.name);
      continue;
    }
    const flops = l.flopsByConvention['2macs'];
    const intOps = 2 * l.intMacs;
    const bytes = l.memoryAccess.elements.total * bytesPer;
    const computeSeconds = flops / peak + intOps / intPeak;
    const memorySeconds = bytes / bw;
    const bound = flops + intOps === 0 && bytes === 0 ? 'none' : computeSeconds >= memorySeconds ? 'compute' : 'memory';
    layers.push({
      name: l.name,
      op: l.op,
      flops,
      intOps,
      bytes,
      arithmeticIntensity: bytes > 0 ? (flops + intOps) / bytes : null,
      computeSeconds,
      memorySeconds,
      seconds: Math.max(computeSeconds, memorySeconds),
      bound,
    });
  }
  // summed smallest first, whatever order the layers are listed in: the same layers give the same total to the bit (in
  // list order, one network with its branches written b0…b4 or b4…b0 differed by 1.69e-21 s, and a 0 latency gate failed)
  const sum = (f: (l: RooflineReport['layers'][number]) => number) =>
    layers
      .map(f)
      .sort((x, y) => x - y)
      .reduce((s, v) => s + v, 0);
  const seconds = sum((l) => l.seconds);
  const flops = sum((l) => l.flops);
  const intOps = sum((l) => l.intOps);
  return {
    device: {
      id: 'id' in device ? (device as BuiltInDevice).id : null,
      name: device.name,
      dtype,
      computeDtype,
      peakFlops: peak,
      intPeakOps: intPeak,
      bandwidth: bw,
      ridgePoint: peak / bw,
      source: device.source ?? null,
    },
    fallback,
    layers,
    skipped,
    totals: {
      seconds,
      flops,
      intOps,
      bytes: sum((l) => l.bytes),
      computeBoundSeconds: sum((l) => (l.bound === 'compute' ? l.seconds : 0)),
      memoryBoundSeconds: sum((l) => (l.bound === 'memory' ? l.seconds : 0)),
      computeBoundLayers: layers.filter((l) => l.bound === 'compute').length,
      memoryBoundLayers: layers.filter((l) => l.bound === 'memory').length,
      attainedFlops: seconds > 0 ? (flops + intOps) / seconds : null,
    },
    complete: skipped.length === 0,
    note: ROOFLINE_NOTE,
  };
}
