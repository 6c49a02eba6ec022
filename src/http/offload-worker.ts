/**
 * Worker side of large JSON requests (offload.ts): the JSON is parsed and checked here with the
 * same functions the event loop uses for small ones, so the answers are the same either way. A
 * catalog error comes back as `{ ok: false, error }` (pool.ts turns it into the same 4xx); tensors
 * and the report's JSON bytes are moved back, not copied.
 */
import type { RenderFormat } from '../analysis/render.js';
import { analyzeTask, compareTask, runTask, sweepTask } from '../runtime/tasks.js';
import type { MemoryGrant } from '../runtime/memory-grant.js';
import { answerTask } from '../runtime/task-answer.js';
import { noteDigest } from '../runtime/file-digest.js';
import { TASKS } from '../runtime/worker.js';
import { reportResultJson, runResultJson } from '../jobs/run-result.js';
import { prepareJob, queuedJob } from '../jobs/request.js';
import { adopt, parseJsonBytes, parseRequestField, requestObject } from './body.js';
import { foldRequest, operatorRequest, restAnswer, runRequest } from './compute.js';
import { fieldsOf } from './compute-body.js';
import type { OffloadTask } from './offload.js';
import { compareRequest, sweepRequest } from './report-requests.js';
import { analyzeInput } from './rest.js';
import { checkFormatOptions } from './report-answers.js';
import type { ReportFormat } from './formats.js';
import { jsonAnswerBytes, movable } from './json-bytes.js';
import { prepareGraphql } from './graphql/prepare.js';

/** The answer's text as bytes the pool can move. */
const jsonBytes = (text: string): Uint8Array => movable(Buffer.from(text));

function handle(task: OffloadTask): unknown {
  if (task.kind === 'analyze') {
    const body = parseJsonBytes(task.json);
    const input = analyzeInput(body, task.query);
    const { format } = task;
    checkFormatOptions(input.options, format as ReportFormat, task.query);
    if (format === 'json') return jsonAnswerBytes(analyzeTask(input));
    return jsonBytes(analyzeTask({ ...input, render: { formats: [format as RenderFormat], depth: input.options.depth, topK: input.options.topK } }).renderings![format as RenderFormat]!);
  }
  if (task.kind === 'graphql') return prepareGraphql(task.json, task.graphqlTokens, task.maxElements, task.jobs, task.maxDocumentBytes);
  if (task.kind === 'job') {
    // as http/jobs.ts parses a small body or field on the event loop
    const body = task.where === 'request' ? requestObject(parseRequestField(task.json)) : parseJsonBytes(task.json, task.graphqlTokens);
    if (!task.limits) return body;
    // the files were moved here: the prepared job's ONNX files and tensors may be views of them, moved back
    for (const bytes of task.files?.values() ?? []) adopt(bytes);
    const form = task.files && { files: task.files, ...(task.fileNames && { fileNames: task.fileNames }) };
    // for a Redis queue: checked here and written as the JSON it stores (jobs/redis.ts submitJson)
    return task.queued ? queuedJob(body, task.limits, form) : prepareJob(body, task.limits, form);
  }
  if (task.kind === 'report') return task.maxResultBytes === undefined ? jsonAnswerBytes(analyzeTask(task.input)) : reportResultJson(analyzeTask(task.input), task.maxResultBytes);
  if (task.kind === 'compareReport') return jsonAnswerBytes(compareTask(task.input));
  if (task.kind === 'sweepReport') return jsonAnswerBytes(sweepTask(task.input));
  // a run job: run as the pool's run task runs it (its team splitting its layers), written as JSON here
  if (task.kind === 'runReport') return movable(runResultJson(TASKS.run(task.input), task.encoding, task.maxResultBytes));
  // the request's bytes were moved here: nobody else holds them, so tensors may be views of them
  for (const bytes of task.files.values()) adopt(bytes);
  const fields = fieldsOf(task.where === 'request' ? parseRequestField(task.json) : parseJsonBytes(task.json), task.where);
  const body = { fields, files: task.files };
  switch (task.kind) {
    case 'compare': {
      const result = compareTask({ ...compareRequest(fields, task.files, task.shapes, task.fileNames), markdown: task.markdown });
      return task.asJson ? jsonAnswerBytes(result) : result;
    }
    case 'sweep': {
      const result = sweepTask({ ...sweepRequest(fields, task.files, task.shapes, task.fileNames), markdown: task.markdown });
      return task.asJson ? jsonAnswerBytes(result) : result;
    }
    case 'operator':
      return operatorRequest(task.name, body, task.maxElements, task.preference);
    case 'fold':
      return foldRequest(body, task.maxElements);
    case 'run': {
      const { task: run, encoding } = runRequest(body, task.maxElements, task.preference);
      // refused before its kernels when its tensors alone are over MAX_RESPONSE_BYTES, as on the event loop's path
      return { result: runTask({ ...run, ...restAnswer(task.maxResponseBytes ?? Infinity, encoding, task.accept) }), encoding };
    }
  }
}

export default function offload(task: OffloadTask & { memoryGrant?: MemoryGrant; taskStarted?: SharedArrayBuffer; fileDigest?: string }): unknown {
  // a run's ONNX file part, hashed by the route as it arrived (runtime/pool.ts RunOptions.fileDigest, beside the request's fields): the model cache's key
  const model = task.kind === 'run' ? task.files.get('model') : undefined;
  if (model) noteDigest(model, task.fileDigest);
  // as runtime/worker.ts answers: a large request's memory goes back before the thread sleeps
  return answerTask(() => handle(task), task.memoryGrant, task.taskStarted);
}
