/**
 * GraphQL's effectiveReceptiveField (SDL: schema/graphql/Erf*.graphql): the arguments checked by
 * POST /v1/erf's own request schema (http/erf-request.ts, so errors carry the same codes and
 * paths), the same tasks over the pool, the summary as ErfResult (tensors as Tensor objects).
 */
import type { FastifyReply } from 'fastify';
import { computeErf, poolRunner } from '../../runtime/erf.js';
import type { TaskPool } from '../../runtime/pool.js';
import { requestTasks } from '../admission.js';
import { erfRequest } from '../erf-request.js';

type Context = { reply?: FastifyReply };

export function erfQuery(pool: TaskPool, maxElements: number) {
  return {
    effectiveReceptiveField: async (_: unknown, args: Record<string, unknown>, ctx: Context) => {
      // omitted arguments arrive as null; the request schema reads them as absent
      const fields = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
      const { job } = erfRequest({ fields: { ...fields, heatmap: true }, files: new Map() }, maxElements);
      const s = await computeErf(poolRunner(pool, ctx?.reply ? requestTasks(ctx.reply.request) : {}), job);
      return {
        source: s.source,
        layer: s.target.layer,
        tensor: s.target.tensor,
        shape: s.target.shape,
        unit: { channels: s.target.channels.length === s.target.shape[1] ? null : s.target.channels, channelCount: s.target.channels.length, position: s.target.position },
        input: { name: s.input, mode: s.mode, samples: s.inputs },
        gradient: s.gradient,
        magnitude: s.magnitude,
        statistics: s.stats,
        stages: s.stages.map((st) => ({ layer: st.layer, stride: st.stride, shape: st.shape, statistics: st.stats })),
        heatmap: { png: Buffer.from(s.png ?? new Uint8Array(0)).toString('base64'), svg: s.svg ?? '' },
      };
    },
  };
}
