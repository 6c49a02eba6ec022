/**
 * Jobs over REST: POST /v1/jobs (202, Location, the status; JSON, or a multipart form whose file
 * parts are the ONNX files and .npy tensors and whose `request` field is the JSON, read as the
 * synchronous routes read theirs: form.ts), GET /v1/jobs/{id} (the status, with
 * the result when done), DELETE /v1/jobs/{id} (cancels a queued or running job at once, its running
 * task stopped; forgets a finished one), GET /v1/jobs/{id}/results (NDJSON: one line per batch model in order as they complete; the
 * result, or an error line, for the others). The store is jobs/memory.ts or jobs/redis.ts.
 */
import { NO_QUERY } from './query-keys.js';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { acceptQuality } from './accept.js';
import { bodyCharge } from './admission.js';
import { RawJson, parseJsonBytes, parseRequestField, requestObject } from './body.js';
import { readForm } from './form.js';
import { ConvlensError } from '../errors.js';
import type { JobQueue, JobView } from '../jobs/types.js';
import { FINISHED, jobId, statusJson } from '../jobs/types.js';

export const NDJSON = 'application/x-ndjson';

const notFound = (id: string) =>
  id === ''
    ? new ConvlensError('JOB_NOT_FOUND', 'no job id given: name the job, /v1/jobs/{id} (POST /v1/jobs answers its id)', { path: 'id' })
    : new ConvlensError('JOB_NOT_FOUND', `no job ${id}; it may have finished more than JOB_TTL_SECONDS ago, or been deleted`, { path: 'id' });

/**
 * The status, its result written as the bytes the store holds: one piece after another, with their
 * length, never joined nor encoded again (a 31 MB result sent as a string stalled the event loop
 * 0.5–1.7 s a read, measuring and encoding it; joined, copying it page by page took 0.2 s).
 */
function sendStatus(reply: FastifyReply, view: JobView, status = 200): FastifyReply {
  const pieces = statusJson(view);
  reply.status(status).header('content-type', 'application/json; charset=utf-8');
  if (pieces.length === 1) return reply.send(pieces[0]);
  return reply.header('content-length', String(pieces.reduce((n, p) => n + p.byteLength, 0))).send(Readable.from(pieces, { objectMode: false }));
}

// Whether an Accept header allows NDJSON: absent, or its most specific matching range has q > 0
// (`application/x-ndjson;q=0, */*` refuses it; the `*/*` allowed it when any matching range was enough).
export function acceptsNdjson(accept: string | undefined): boolean {
  return !accept || !accept.trim() || acceptQuality(accept, NDJSON) > 0;
}

export interface JobsOptions {
  jobs: JobQueue;
  registry?: Registry;
  /** BODY_LIMIT: a form's largest file part. */
  fileLimit?: number;
  /** JSON_BODY_LIMIT (or BODY_LIMIT if lower): a form's `request` field. */
  fieldLimit?: number;
}

export async function jobsRoutes(app: FastifyInstance, opts: JobsOptions): Promise<void> {
  const { jobs } = opts;
  const formLimits = { fileLimit: opts.fileLimit ?? Infinity, fieldLimit: opts.fieldLimit ?? Infinity };
  if (opts.registry) {
    new Gauge({
      name: 'convlens_jobs',
      help: 'Jobs by state: queued (waiting for a worker) and running; on Redis, the whole queue',
      labelNames: ['state'],
      registers: [opts.registry],
      async collect() {
        try {
          const c = await jobs.counts();
          this.set({ state: 'queued' }, c.queued);
          this.set({ state: 'running' }, c.running);
        } catch {
          // Redis away: no sample rather than a failed scrape
          this.reset();
        }
      },
    });
  }
  // open result streams end when the app closes, rather than holding close() until their jobs finish
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  // a JSON body over OFFLOAD_JSON_BYTES arrives unparsed (app.ts's parser reads offloadJson) and is parsed in a worker
  app.post('/v1/jobs', { config: { ...NO_QUERY.config, offloadJson: true } }, async (request, reply) => {
    if (Buffer.isBuffer(request.body)) {
      throw new ConvlensError(
        'UNSUPPORTED_MEDIA_TYPE',
        'POST /v1/jobs takes JSON, { "kind": "analyze" | "run" | "batch", … } with ONNX files as onnxBase64, or a multipart form: the ONNX file as the file part "model" (a batch\'s as "models[i]") and the JSON in the "request" field',
        { path: 'headers.content-type' },
      );
    }
    let view: JobView;
    if (request.isMultipart()) {
      // the file parts as the synchronous routes read them, up to BODY_LIMIT and charged to the memory
      // budget as they arrive; the JSON parsed here, as a JSON body to this route is
      const form = await readForm(request, { ...formLimits, charge: bodyCharge(request) });
      const files = { files: form.files, fileNames: form.fileNames };
      // a `request` field over OFFLOAD_JSON_BYTES is parsed (and the job prepared) in a worker, as a large body is
      if (form.fields instanceof RawJson) view = jobs.submitJson ? await jobs.submitJson(form.fields.text, 'request', files) : await jobs.submit(requestObject(parseRequestField(form.fields.text)), files);
      else view = await jobs.submit(form.fields, files);
    } else if (request.body instanceof RawJson) {
      const { text } = request.body;
      view = jobs.submitJson ? await jobs.submitJson(text, 'body') : await jobs.submit(parseJsonBytes(text));
    } else view = await jobs.submit(request.body);
    return sendStatus(reply.header('location', view.head.links.self), view, 202);
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', NO_QUERY, async (request, reply) => {
    const view = await jobs.get(jobId(request.params.id));
    if (!view) throw notFound(request.params.id);
    return sendStatus(reply, view);
  });

  app.delete<{ Params: { id: string } }>('/v1/jobs/:id', NO_QUERY, async (request, reply) => {
    const view = await jobs.cancel(jobId(request.params.id));
    if (!view) throw notFound(request.params.id);
    return sendStatus(reply, view);
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id/results', NO_QUERY, async (request, reply) => {
    const id = jobId(request.params.id);
    if (!acceptsNdjson(request.headers.accept)) {
      throw new ConvlensError('NOT_ACCEPTABLE', `results come as ${NDJSON} (one JSON document per line); Accept allows only ${request.headers.accept}`, { path: 'headers.accept' });
    }
    if (!(await jobs.get(id))) throw notFound(id);
    // the stream stops when the client goes away, or the app closes
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const stop = AbortSignal.any([closing.signal, gone.signal]);
    const lines = jobs.lines(id, stop);
    async function* ndjson() {
      // read once fastify has written the head: send it now, not with the first line (which may be minutes away)
      if (!reply.raw.headersSent) reply.raw.flushHeaders();
      let sent = 0;
      try {
        for await (const line of lines) {
          sent++;
          // a line's bytes as they are (a report's are tens of MB), then its newline
          if (typeof line === 'string') yield `${line}\n`;
          else {
            yield line;
            yield '\n';
          }
        }
      } catch (e) {
        // the head is out (a 200 under way) before the store's first read: what that read throws is
        // the answer's last line too, not a cut connection (Redis stopping between the job's read
        // above and the stream's first: the client had a 200 head, then a reset, and no line)
        if (!(e instanceof ConvlensError)) throw e;
        const error = new ConvlensError(e.code, `${e.message.replace(/; retry later$/, '')}; the ${sent} lines before this one are all that could be sent`, { ...e.details, linesSent: sent });
        yield `${JSON.stringify({ error: error.toJSON() })}\n`;
        return;
      }
      if (!closing.signal.aborted) return;
      // the app is closing: once this answer is sent, its connection goes too. Its head went out
      // before the close without `connection: close`, and the server closed only the idle
      // connections then, so a keep-alive client held the close for its keep-alive timeout (70 s seen)
      reply.raw.once('finish', () => {
        const socket = request.raw.socket as { end?: () => void } | null;
        if (typeof socket?.end === 'function') socket.end();
      });
      if (gone.signal.aborted) return;
      const view = await jobs.get(id).catch(() => null);
      if (view && FINISHED.has(view.head.status)) {
        // a job of one answer that finished as the stream stopped: that answer (a batch's lines are its models')
        if (sent === 0 && view.head.kind !== 'batch') {
          yield view.result ?? JSON.stringify({ error: view.head.error });
          yield '\n';
        }
        return;
      }
      // the job is not over: the last line says so, rather than an answer that just ends
      const error = new ConvlensError('NOT_READY', `the service is stopping before job ${id} finished; GET /v1/jobs/${id} says where it is, and its results can be read again from a replica that runs`, { path: 'id' });
      yield `${JSON.stringify({ error: error.toJSON() })}\n`;
    }
    return reply.header('content-type', `${NDJSON}; charset=utf-8`).header('cache-control', 'no-store').send(Readable.from(ndjson()));
  });
}
