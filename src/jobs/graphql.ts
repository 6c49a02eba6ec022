/**
 * GraphQL resolvers for jobs (SDL: schema/graphql/Job*.graphql): the mutations submitJob and
 * cancelJob, the query job(id) for polling, and the Job type's computed fields. Spread into
 * mercurius's resolvers by http/graphql.ts:
 *
 *   const j = jobResolvers(opts.jobs);
 *   resolvers: { …, Query: { …, ...j.Query }, Mutation: j.Mutation, Job: j.Job }
 *
 * Errors are ConvlensErrors, formatted with catalog codes like every other resolver's.
 */
import { ConvlensError, movePaths } from '../errors.js';
import type { JobQueue, JobStatusHead, JobView } from './types.js';
import type { ReadyJob, ReadyJobs } from './request.js';
import { jobId } from './types.js';

/** A job's status, its result left as the store's JSON bytes until `result` is selected. */
type JobObject = JobStatusHead & { resultBytes?: Buffer };
const lazy = (view: JobView): JobObject => ({ ...view.head, resultBytes: view.result });

/**
 * submitJob's arguments as the body of POST /v1/jobs (`{ kind, …request }`), or the error they are:
 * the resolver's first step, run on the event loop for a small GraphQL body and in the large-JSON
 * worker for a large one (http/graphql/prepare.ts), so the errors are the same.
 */
export function jobBody(args: { kind: unknown; request: unknown }): Record<string, unknown> {
  const { request } = args;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ConvlensError('SPEC_INVALID', 'request must be a JSON object: the fields of POST /v1/analyze, /v1/run or a batch', { path: '$.request' });
  }
  if ('kind' in request) throw new ConvlensError('INVALID_OPTION', 'give kind as the argument, not inside request', { path: '$.request.kind' });
  return { kind: args.kind, ...request };
}

/**
 * `chargeResult`: called with a result's bytes before it is parsed for the answer (the GraphQL
 * answer's budget, http/graphql/answer-budget.ts); it throws when they do not fit. `prepared`: a
 * large GraphQL body's job, made ready as `jobs` takes it (ReadyJobs) in the worker that parsed the
 * body (http/graphql/prepare.ts; it throws the error jobBody met there), or undefined.
 */
export function jobResolvers(
  jobs: JobQueue & Partial<ReadyJobs>,
  chargeResult: (ctx: object | undefined, bytes: number) => void = () => {},
  prepared: (ctx: unknown, info: unknown) => ReadyJob | undefined = () => undefined,
) {
  return {
    Query: {
      job: async (_: unknown, args: { id: string }): Promise<JobObject | null> => {
        const view = await jobs.get(jobId(args.id));
        return view ? lazy(view) : null;
      },
    },
    Mutation: {
      submitJob: async (_: unknown, args: { kind: string; request: unknown }, ctx?: unknown, info?: unknown): Promise<JobObject> => {
        // a large body's: made ready in the worker that parsed it (prepared, or checked and written as JSON), queued as it is
        const ready = jobs.submitReady ? prepared(ctx, info) : undefined;
        const body = ready ? undefined : jobBody(args);
        try {
          return lazy(await (ready ? jobs.submitReady!(ready) : jobs.submit(body)));
        } catch (e) {
          // the body's paths (`$.model`, `$.spec.layers[0]`) are the `request` argument's here; `$.kind` is the argument kind
          if (!(e instanceof ConvlensError)) throw e;
          const path = e.details.path;
          if (typeof path !== 'string' || !path.startsWith('$') || path === '$.kind') throw e;
          // the message names the path too ("unknown field 'x' at $.x"): movePaths moves it with it
          throw movePaths(e, (p) => (p.startsWith('$') && p !== '$.kind' ? `$.request${p.slice(1)}` : p));
        }
      },
      cancelJob: async (_: unknown, args: { id: string }): Promise<JobObject> => {
        const view = await jobs.cancel(jobId(args.id));
        if (!view) throw new ConvlensError('JOB_NOT_FOUND', `no job ${args.id}; it may have expired (JOB_TTL_SECONDS)`, { path: '$.id' });
        return lazy(view);
      },
    },
    Job: {
      resultsUrl: (job: JobObject) => job.links.results,
      result: (job: JobObject, _: unknown, ctx: object | undefined) => {
        if (job.resultBytes === undefined) return null;
        chargeResult(ctx, job.resultBytes.byteLength);
        return JSON.parse(job.resultBytes.toString('utf8')) as unknown;
      },
      error: (job: JobObject) => {
        if (!job.error) return null;
        const { code, message, ...details } = job.error;
        return { code, message, details: Object.keys(details).length ? details : null };
      },
    },
  };
}
