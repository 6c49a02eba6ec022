/**
 * GraphQL's effectiveReceptiveField (SDL: schema/graphql/Erf*.graphql): the arguments checked by
 * POST /v1/erf's own request schema (http/erf-request.ts, so errors carry the same codes and
 * paths), the same tasks over the pool, the summary as ErfResult (tensors as Tensor objects).
 *
 * What the answer carries is charged (graphql/answer-budget.ts): the gradient's and magnitude's
 * `data` and `base64` as any Tensor's, the heatmap's `png` (its base64 length, before it is
 * encoded) and `svg` against the same answer budget. The heatmap is drawn only when selected.
 */
import type { FastifyReply } from 'fastify';
import type { GraphQLResolveInfo } from 'graphql';
import { computeErf, poolRunner } from '../../runtime/erf.js';
import type { ErfJob } from '../../runtime/erf.js';
import { dict } from '../../records.js';
import { preparedField } from './prepare.js';
import { unitChannelCount, unitChannels } from '../../runtime/backward.js';
import type { TaskPool } from '../../runtime/pool.js';
import { requestTasks } from '../admission.js';
import { erfRequest } from '../erf-request.js';
import { chargeAnswer } from './answer-budget.js';
import { selectedFields } from './selection.js';
import { finite } from './results.js';

type Context = { reply?: FastifyReply };

/** Bytes of `n` bytes as a JSON string of base64: 4 characters per 3 bytes, padded, and the quotes. */
export const base64JsonBytes = (n: number): number => 4 * Math.ceil(n / 3) + 2;

/**
 * The statistics with NaN and ±Infinity as null, as REST's JSON writes them: a gradient holding NaN
 * (a NaN input given as base64) makes mass and the Gaussian's moments NaN, which GraphQL's Float
 * refuses to serialise (an INTERNAL error that nulled the whole field).
 */
function asJsonNumbers<T>(value: T): T {
  if (typeof value === 'number') return finite(value) as T;
  if (Array.isArray(value)) return value.map(asJsonNumbers) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJsonNumbers(v)])) as T;
  return value;
}

/** A job built in the worker, as erfRequest builds it here: its tensors by name in prototype-less records again (a structured clone gives them Object's prototype). */
const rebuilt = (job: ErfJob, heatmap: boolean): ErfJob => ({ ...job, inputs: dict(Object.entries(job.inputs)), weights: dict(Object.entries(job.weights)), heatmap });

const HEATMAP_ADVICE = 'select statistics without the heatmap, or ask POST /v1/erf (its answer is streamed, up to MAX_RESPONSE_BYTES)';

export function erfQuery(pool: TaskPool, maxElements: number) {
  return {
    effectiveReceptiveField: async (_: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => {
      // omitted arguments arrive as null; the request schema reads them as absent
      const fields = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
      // the heatmap (a PNG of the input's size and an SVG) is drawn only when selected
      const heatmap = info ? selectedFields(info).has('heatmap') : true;
      // a large body's job was built in the worker that parsed it (graphql/prepare.ts), its tensors moved here
      const built = info && preparedField(ctx?.reply?.request, info, 'effectiveReceptiveField');
      const job = built ? rebuilt(built, heatmap) : erfRequest({ fields: { ...fields, heatmap }, files: new Map() }, maxElements).job;
      const s = await computeErf(poolRunner(pool, ctx?.reply ? requestTasks(ctx.reply.request) : {}), job);
      return {
        source: s.source,
        layer: s.target.layer,
        tensor: s.target.tensor,
        shape: s.target.shape,
        unit: { channels: unitChannels(s.target), channelCount: unitChannelCount(s.target), position: s.target.position },
        input: { name: s.input, mode: s.mode, samples: s.inputs },
        gradient: s.gradient,
        magnitude: s.magnitude,
        statistics: asJsonNumbers(s.stats),
        temporal: s.temporal && asJsonNumbers(s.temporal),
        stages: s.stages.map((st) => ({ layer: st.layer, stride: st.stride, temporalStride: st.temporalStride, shape: st.shape, statistics: asJsonNumbers(st.stats) })),
        // the PNG's bytes, encoded by ErfHeatmap.png once charged
        heatmap: heatmap ? { png: s.png ?? new Uint8Array(0), svg: s.svg ?? '' } : null,
      };
    },
  };
}

/** ErfHeatmap's fields, each charged against the answer's budget (`maxAnswerBytes`) before it is encoded. */
export const erfTypeResolvers = (maxAnswerBytes: number) => ({
  ErfHeatmap: {
    png: (p: { png: Uint8Array }, _: unknown, ctx: object | undefined) => {
      chargeAnswer(ctx, base64JsonBytes(p.png.byteLength), maxAnswerBytes, "the heatmap's png (base64)", HEATMAP_ADVICE, 'answer', { field: 'heatmap.png' });
      return Buffer.from(p.png.buffer, p.png.byteOffset, p.png.byteLength).toString('base64');
    },
    svg: (p: { svg: string }, _: unknown, ctx: object | undefined) => {
      chargeAnswer(ctx, Buffer.byteLength(JSON.stringify(p.svg)), maxAnswerBytes, "the heatmap's svg", HEATMAP_ADVICE, 'answer', { field: 'heatmap.svg' });
      return p.svg;
    },
  },
});
