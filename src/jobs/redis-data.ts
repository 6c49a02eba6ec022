/**
 * What a BullMQ job carries (JobData), and BullMQ's Queue and Job for jobs/redis.ts, a job's data stored as JSON bytes written elsewhere:
 * BullMQ writes a job's data with JSON.stringify where it adds it, on the event loop, and a large
 * job's request is written in the large-JSON worker instead (jobs/redis.ts submitJson,
 * jobs/request.ts queuedJob). BullMQ hands the data to its Lua script as an argument, and ioredis
 * sends bytes as they are: the text is never a string here (decoding 18.8 MB to a string and ioredis
 * encoding it again took about 0.17 s of the event loop a job). The worker that runs the job reads
 * the same JSON either way.
 */
import { Job, Queue } from 'bullmq';
import type { JobKind } from './types.js';

/** What a BullMQ job carries: the request as submitted (a worker prepares it again). */
export interface JobData {
  kind: JobKind;
  body: Record<string, unknown>;
  /** Models in a batch (for its progress before it starts). */
  total: number | null;
  /** A multipart submission's file part names, in the order of their keys (jobKeys file(i)); absent without. */
  files?: string[];
  /** Their filenames as the client gave them, by part name. */
  fileNames?: Record<string, string>;
}

/** A job's data already written as JSON (the UTF-8 of the text BullMQ would write with JSON.stringify), under this key of the data object it is given. */
const DATA_JSON = Symbol('dataJson');

/**
 * BullMQ's Job, its data stored as text written elsewhere when it carries one (DATA_JSON): BullMQ
 * writes a job's data with JSON.stringify where it adds it, on the event loop, and a large job's
 * request is written in the large-JSON worker instead (submitJson). The symbol key is not JSON, so
 * BullMQ's own stringify sees an empty object.
 */
class TextDataJob extends Job<JobData> {
  override asJSON(): ReturnType<Job['asJSON']> {
    const json = super.asJSON();
    const bytes = (this.data as { [DATA_JSON]?: Buffer } | undefined)?.[DATA_JSON];
    return bytes === undefined ? json : { ...json, data: bytes as unknown as string };
  }
}

/** The queue adding TextDataJobs (BullMQ's Queue creates its jobs through its Job getter). */
export class JobsQueue extends Queue<JobData> {
  protected override get Job(): typeof Job {
    return TextDataJob as typeof Job;
  }
}

/**
 * A job's data as JSON.stringify writes `{ kind, body, total, files, fileNames }`, the body's JSON
 * (JSON.stringify's UTF-8, written in a worker) put in as it is; BullMQ's own stringify sees `{}`.
 */
export function dataAsBytes(kind: JobKind, body: Uint8Array, rest: Pick<JobData, 'total' | 'files' | 'fileNames'>): JobData {
  const bytes = Buffer.concat([Buffer.from(`{"kind":${JSON.stringify(kind)},"body":`), body, Buffer.from(`,${JSON.stringify(rest).slice(1)}`)]);
  return { [DATA_JSON]: bytes } as unknown as JobData;
}
