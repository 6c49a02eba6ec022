/**
 * A run job's result as its UTF-8 JSON bytes, written in the worker that ran it (http/offload-worker.ts
 * `runReport`) and moved back, as an analysis's report is: the run response's objects and text never
 * cross the event loop. Within the store's limit, checked before encoding from the tensors' sizes.
 */
import { ConvlensError } from '../errors.js';
import { runResponse } from '../http/compute.js';
import { movable } from '../http/json-bytes.js';
import type { Encoding } from '../http/tensors.js';
import { releaseBuffers } from '../runtime/memory.js';
import type { RunTaskResult } from '../runtime/tasks.js';

/** Bytes per value at most: a float32 as JSON text (`-1.2345678806304932e-38,`, nesting brackets) or base64 (4 bytes as 16/3 characters). */
const BYTES_PER_VALUE = { json: 28, flat: 26, base64: 6, npy: 6 } as const;

function resultTooLarge(bytes: number, limit: number, what: string): ConvlensError {
  return new ConvlensError('JOB_RESULT_TOO_LARGE', `the result (${what}) could take ${bytes} bytes, more than the ${limit} bytes a job result may hold; ask for format base64, fewer captures, or run it synchronously`, {
    path: '$.format',
    estimate: bytes,
    limit,
  });
}

/** A result's UTF-8 JSON bytes; a value past V8's longest string is JOB_RESULT_TOO_LARGE, not an internal error. */
function encode(value: unknown, limit: number): Buffer {
  try {
    return Buffer.from(JSON.stringify(value));
  } catch (e) {
    if (e instanceof RangeError) throw resultTooLarge(limit + 1, limit, 'longer than a string can be');
    throw e;
  }
}

/**
 * An analysis job's report (a batch model's too) as UTF-8 JSON bytes the pool can move. A report
 * past V8's longest string is JOB_RESULT_TOO_LARGE, as a run job's result is: it failed the job with
 * POST /v1/analyze's RESPONSE_TOO_LARGE (http/json-bytes.ts), which names MAX_RESPONSE_BYTES, a limit
 * jobs do not have.
 */
export function reportResultJson(report: unknown, limit: number): Uint8Array {
  let text: string;
  try {
    text = JSON.stringify(report);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ConvlensError('JOB_RESULT_TOO_LARGE', `the report as JSON would be longer than a string can be (about 2^29 characters), more than the ${limit} bytes a job result may hold; ask for fewer analyses (explain, memory, depth) or split the network`, {
      path: '$.options',
      limit,
    });
  }
  return movable(Buffer.from(text));
}

/** A run job's answer as UTF-8 JSON bytes, within `limit`; its tensors' memory given back at once. */
export function runResultJson(result: RunTaskResult, encoding: Encoding, limit: number): Buffer {
  // the tensors' values, plus per tensor its name, shape and stats (256), plus the source and brackets (512)
  const named = [...Object.entries(result.outputs), ...Object.entries(result.captured)];
  const values = named.reduce((n, [, t]) => n + t.data.length, 0);
  const bound = values * BYTES_PER_VALUE[encoding] + named.reduce((n, [name, t]) => n + 256 + 2 * name.length + 12 * t.shape.length, 512);
  try {
    if (bound > limit) throw resultTooLarge(bound, limit, `${values} values as ${encoding}`);
    return encode(runResponse(result, encoding), limit);
  } finally {
    // encoded (or refused): the tensors are dead, their memory goes back now (runtime/memory.ts)
    releaseBuffers(named.map(([, t]) => t.data.buffer));
  }
}
