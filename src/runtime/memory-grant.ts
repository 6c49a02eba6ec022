/**
 * A task's memory, charged to its request's share of the memory budget while the task runs.
 *
 * Admission (http/admission.ts) reserves a POST's memory from its Content-Length before the body is
 * read. That covers tensors, whose memory is proportional to their bytes, but not the analysis of a
 * graph: a layer of a JSON spec is about 50 bytes, and analysing it holds 5–11 KB (its node,
 * inference, costs, receptive field and report, then the report's JSON). A 1.2 MB spec of 20,000
 * layers took 215 MB. Only the worker knows how many layers a request holds, once it has built the
 * graph; so the worker asks the request for the memory then, before it analyses.
 *
 * The grant is a small SharedArrayBuffer, a mailbox for one question at a time (a worker runs one
 * task at a time): a state word, a text length, and the text (the question, then the answer, as JSON).
 * - The main thread waits on the state with Atomics.waitAsync (openMemoryGrant), off its event loop.
 * - The worker writes `{ bytes, what }`, sets ASKED, wakes the main thread, and sleeps in
 *   Atomics.wait (chargeMemory): the analysis is synchronous code, and the answer decides whether
 *   it runs at all.
 * - The main thread grows the request's reservation (or fails to), writes `{ error? }`, sets
 *   ANSWERED and wakes the worker. A task's first ask refused only because the request's other
 *   tasks running now hold the rest is answered once they have released (openMemoryGrant).
 * The cost, on a 1-layer analysis of about 170 µs through a one-worker pool: a MessagePort per
 * task added about 110 µs; this mailbox adds about 45 µs (3–100 from run to run), most of it the
 * round trip through the main thread's event loop.
 *
 * Without a grant (the CLI, tests, tasks called inline) chargeMemory does nothing: there is no
 * budget to charge.
 */
import { envMaxAnalysisWork } from '../analysis/analysis-work.js';
import { waitAsync } from './task-clock.js';
import { ConvlensError, fromSerialized } from '../errors.js';
import type { SerializedError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { GraphSource } from '../graph/load.js';
import { withDecodeBudget } from '../graph/onnx/proto.js';
import { refusedForOwnTasks } from '../memory-budget.js';
import type { MemoryCharge } from '../memory-budget.js';

export type { MemoryCharge };

/** What a task carries to charge its request: the mailbox (shared, not copied, with the worker). */
export type MemoryGrant = SharedArrayBuffer;

/** The mailbox: [state, text length] as Int32, the bytes lent to the task (a Float64 at LENT), then the text. */
const LENT = 8;
const HEADER = 16;
const GRANT_BYTES = 4096;
const IDLE = 0;
const ASKED = 1;
const ANSWERED = 2;
const CLOSED = 3;

/**
 * Longest a worker waits for the main thread's answer. The main thread answers from its event loop
 * within milliseconds; past this it is stuck, and the task stops rather than run unbudgeted.
 */
const ANSWER_WAIT_MS = 30_000;

/**
 * Longest the main thread keeps a task's first ask waiting for the request's other tasks to release
 * (openMemoryGrant): then it answers OVERLOADED, 10 s before the worker would stop waiting for any
 * answer (ANSWER_WAIT_MS), so the task ends with the answer that says why, not with a silence.
 */
export const OWN_TASKS_WAIT_MS = 20_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function write(grant: SharedArrayBuffer, value: unknown): void {
  const text = encoder.encode(JSON.stringify(value));
  if (text.length > GRANT_BYTES - HEADER) throw new ConvlensError('INTERNAL', `a memory grant's message of ${text.length} bytes does not fit its mailbox`);
  new Uint8Array(grant, HEADER).set(text);
  new Int32Array(grant, 0, 2)[1] = text.length;
}

function read<T>(grant: SharedArrayBuffer): T {
  const length = new Int32Array(grant, 0, 2)[1];
  // TextDecoder does not read shared memory: copy the text out first
  return JSON.parse(decoder.decode(new Uint8Array(grant, HEADER, length).slice())) as T;
}

interface Question {
  bytes: number;
  what: string;
  fromBody?: boolean;
  /** Of `bytes`, what the task's loan covers (MemoryCharge.lend). */
  covered?: number;
}

interface Answer {
  error?: SerializedError;
}

/** What the worker is told when charging failed for a reason that is not the budget's (no internals: the catalog's rule). */
const INTERNAL_ANSWER: SerializedError = { code: 'INTERNAL', message: 'the memory budget could not be charged (an internal error)' };


/**
 * The main thread's side: a grant for one task, answered by `charge`; `close()` once the task is over.
 *
 * A task's first ask (its run's peak: it has asked nothing from the body before, and none of its
 * loan is spent: the ask's `covered` is the whole loan; or a graph's analysis before its run) that only the request's other
 * tasks running now make too much (two aliased GraphQL runs at once, each within the budget, not
 * together) is not refused: the task gives its loan back and waits for those tasks to release
 * (MemoryCharge.wait), then is asked again; at most `waitMs` (OWN_TASKS_WAIT_MS), and no longer
 * than the grant is open. Any later ask (a staged run's next stage, a Loop body's iteration: the
 * same high-water charge, chargeRun) is answered at once, as before: the task holds bytes then,
 * and waiting holding them could wait for a task that waits for it.
 * Why no two tasks can wait for each other: a waiting task holds none of the request's running
 * bytes (no ask, and its loan given back), so no refusal is ever due to it, and no task waits for
 * it; a task that holds bytes is not waiting, and its later asks are answered at once, so it runs
 * on to its end and releases (or its grant closes, which releases too). Kept, the loan would be a
 * waiter's holding: two tasks, each lent part of the body's share, could each be refused for the
 * other's loan and wait for a release neither makes.
 */
export function openMemoryGrant(charge: MemoryCharge, waitMs = OWN_TASKS_WAIT_MS): { grant: MemoryGrant; close(): void } {
  const grant = new SharedArrayBuffer(GRANT_BYTES);
  const state = new Int32Array(grant, 0, 2);
  // the body's share no other task of the request holds, lent to this one: its run's peak within it
  // is asked of no one (no round trip through this thread's event loop, which may be busy)
  let lent = charge.lend?.() ?? 0;
  new Float64Array(grant, LENT, 1)[0] = lent;
  // what the task asked from the body (its run's peak) beyond the loan, given back with it when it is over (MemoryCharge.release)
  let fromBodyAsked = 0;
  let closed = false;
  // ends a first ask's wait when the grant closes (made only for such a wait)
  let closing: AbortController | null = null;
  const answer = (error?: unknown): void => {
    const message: Answer = error === undefined ? {} : { error: error instanceof ConvlensError ? error.toJSON() : INTERNAL_ANSWER };
    try {
      write(grant, message);
    } catch {
      // an answer longer than the mailbox (no catalog message is): its code alone
      write(grant, { error: { code: message.error?.code ?? 'INTERNAL', message: INTERNAL_ANSWER.message } });
    }
    Atomics.store(state, 0, ANSWERED);
    Atomics.notify(state, 0);
    listen(ANSWERED);
  };
  /** The task's first ask, refused for the request's other running tasks: answered once they have released enough (or not). */
  const waitForOwnTasks = (wait: NonNullable<MemoryCharge['wait']>, { bytes, what, fromBody = false }: Question): void => {
    // asked in full from here: what the loan covered is given back with the loan, on the task's side
    // too (it is blocked in Atomics.wait for this answer): its later asks from the body are not covered
    if (lent > 0) charge.release?.(lent);
    lent = 0;
    new Float64Array(grant, LENT, 1)[0] = 0;
    closing = new AbortController();
    wait(bytes, what, { waitMs, signal: closing.signal, fromBody }).then(
      () => {
        // granted as the task was stopped: no one reads the answer, and close() has given back all it
        // knew of (a charge not from the body, a graph's analysis, is held until the request ends, as any)
        if (closed) return fromBody ? charge.release?.(bytes) : undefined;
        if (fromBody) fromBodyAsked += bytes;
        answer();
      },
      (e: unknown) => void (closed || answer(e)),
    );
  };
  const listen = (seen: number): void => {
    const waiting = waitAsync(state, 0, seen);
    void (waiting.async ? waiting.value : Promise.resolve(waiting.value)).then(() => {
      const now = Atomics.load(state, 0);
      if (now === CLOSED) return;
      if (now !== ASKED) return listen(now);
      let question: Question | undefined;
      try {
        question = read<Question>(grant);
        const { bytes, what, fromBody, covered = 0 } = question;
        // (what the task holds already, its loan and earlier asks: judged with this ask for a 413)
        charge(bytes, what, fromBody, covered, lent + fromBodyAsked);
        if (fromBody) fromBodyAsked += bytes - covered;
      } catch (e) {
        // its first ask: nothing asked from the body yet, and the whole loan in this ask (from the body)
        // or none of it spent (a graph's analysis, before its run asks)
        const first = question !== undefined && fromBodyAsked === 0 && (question.fromBody ? (question.covered ?? 0) === lent : true);
        if (first && charge.wait && refusedForOwnTasks(e)) return waitForOwnTasks(charge.wait, question!);
        return answer(e);
      }
      answer();
    });
  };
  listen(IDLE);
  return {
    grant,
    close: () => {
      closed = true;
      // ends the wait above (a task that never asked leaves it pending), and a first ask's wait for the request's other tasks
      Atomics.store(state, 0, CLOSED);
      Atomics.notify(state, 0);
      closing?.abort();
      if (lent + fromBodyAsked > 0) charge.release?.(lent + fromBodyAsked);
      lent = 0;
      fromBodyAsked = 0;
    },
  };
}

// the grant of the task this worker is running (one at a time), set by the worker's entry
let current: SharedArrayBuffer | null = null;

/** Runs one task with its grant (or none), so chargeMemory reaches its request. */
export function withMemoryGrant<T>(grant: MemoryGrant | undefined, task: () => T): T {
  const previous = current;
  current = grant ?? null;
  try {
    return task();
  } finally {
    current = previous;
  }
}

/**
 * Asks the running task's request for `bytes` more of the memory budget, and waits for the answer;
 * throws its error (OVERLOADED when the budget is spent for now, GRAPH_TOO_LARGE when the request
 * could never have them). Nothing happens outside a granted task.
 */
function chargeMemory(bytes: number, what: string, fromBody = false): void {
  if (!current || bytes <= 0) return;
  const grant = current;
  // from the body: first from what the request lent the task (openMemoryGrant), asked only beyond it
  let covered = 0;
  if (fromBody) {
    const lent = new Float64Array(grant, LENT, 1);
    covered = Math.min(bytes, lent[0]);
    lent[0] -= covered;
    if (covered === bytes) return;
  }
  const state = new Int32Array(grant, 0, 2);
  write(grant, { bytes, what, ...(fromBody && { fromBody }), ...(covered > 0 && { covered }) } satisfies Question);
  Atomics.store(state, 0, ASKED);
  Atomics.notify(state, 0);
  if (Atomics.wait(state, 0, ASKED, ANSWER_WAIT_MS) === 'timed-out') {
    throw new ConvlensError('OVERLOADED', `the service did not answer this task's request for ${bytes} bytes of the memory budget (for ${what}) within ${ANSWER_WAIT_MS} ms; retry later`);
  }
  if (Atomics.load(state, 0) !== ANSWERED) throw new ConvlensError('OVERLOADED', `this task's memory grant was closed before its request for ${bytes} bytes was answered; retry later`);
  const answer = read<Answer>(grant);
  if (answer.error) throw fromSerialized(answer.error);
}

/**
 * Bytes analysing one layer holds: its node, shapes, costs, receptive field and report entry, and
 * the report's JSON. Measured (2026-12-01, POST /v1/analyze of n 1×1 convs, the server's peak
 * resident memory above its warm idle): 10.8 KB a layer at 5,000 layers, 6.2 at 20,000, 5.5 at
 * 50,000 (about 4.7 KB a layer plus 30 MB the heap grows by at once).
 */
const ANALYSIS_BYTES_PER_LAYER = 8 * 1024;

/** Bytes `explain` adds a layer (each layer's formulas, a report three times as long): measured 5.3–7.6 KB. */
const EXPLAIN_BYTES_PER_LAYER = 6 * 1024;

/** Bytes each other extra analysis (memory, deployed, modules, convention, roofline) adds a layer: measured 0.5–1.4 KB. */
const EXTRA_BYTES_PER_LAYER = 2 * 1024;

/** What a task holds per layer besides one analysis of the graph. */
export interface AnalysisExtras {
  explain?: boolean;
  /** How many other extra analyses (memory, deployed, modules, convention, roofline). */
  others?: number;
  /** Analyses of the network held at once (a sweep: the network and one size of it); default 1. */
  graphs?: number;
}

/**
 * Charges the running task's request for the graph's layers, each at ANALYSIS_BYTES_PER_LAYER per
 * analysis held plus its extras, before it analyses them: its error (OVERLOADED, GRAPH_TOO_LARGE)
 * names what was asked and points at the network's layers in the request.
 */
export function chargeGraph(graph: Graph, source: GraphSource, { explain = false, others = 0, graphs = 1 }: AnalysisExtras = {}): void {
  const layers = graph.layers.length;
  const perLayer = graphs * ANALYSIS_BYTES_PER_LAYER + (explain ? EXPLAIN_BYTES_PER_LAYER : 0) + others * EXTRA_BYTES_PER_LAYER;
  const asked = [explain && 'explain', others > 0 && `${others} other extra ${others === 1 ? 'analysis' : 'analyses'}`].filter(Boolean);
  const what = `analysing ${layers} layers${graphs > 1 ? ` (${graphs} analyses of them at once)` : ''}${asked.length ? ` with ${asked.join(' and ')}` : ''}`;
  chargeAt(source, layers * perLayer, what);
}

/**
 * The charge an ONNX file's import makes for its folds (graph/onnx/import.ts chargeFold): each time
 * the bound of what its weight folds may hold grows (graph/fold-budget.ts: the float initializers
 * they read, plus FOLD_IN_FLIGHT × the largest), the growth in bytes, before the fold runs. A first
 * run of a file computing its weights (a standardised ResNet-50: 23.5 M weights, a bound of 122 MB in 53 asks)
 * is then admitted within the memory budget like its tensors, or refused (OVERLOADED, GRAPH_TOO_LARGE)
 * before it folds; a run from the model cache folds nothing and asks nothing.
 */
export function chargeFold(source: GraphSource): (bytes: number, what: string) => void {
  return (bytes, what) => chargeAt(source, bytes, what);
}

/**
 * Runs `fn` (an import, a sweep) with the source's ONNX file judged before it is decoded
 * (graph/onnx/proto.ts withDecodeBudget, graph/onnx/census.ts checkDecode): its decode's memory
 * (its messages and packed varints, up to ~200 times the bytes that hold them) charged to the running
 * task's request, its work, `times` over, held to MAX_ANALYSIS_WORK (413 ANALYSIS_TOO_LARGE at the
 * file: a 21 MB file of 10^6 one-float initializers imported in 15.7 s, and a sweep of it over 10
 * sizes held a worker to the 120 s TASK_TIMEOUT_MS), and decoded once however often `fn` imports it.
 * `times`: the imports the decode's work stands for (a sweep's sizes + 1; an ERF job's samples, one
 * task and one decode each). A spec or zoo model asks nothing; nor does a run from the model cache,
 * which decodes nothing.
 */
export function withDecode<T>(source: GraphSource, times: number, fn: () => T): T {
  if (source.kind !== 'onnx') return fn();
  return withDecodeBudget(source.bytes, { maxWork: envMaxAnalysisWork(), times, at: source.at ?? 'body', charge: (bytes, what) => chargeAt(source, bytes, what) }, fn);
}

/** Charges the running task's request; a refusal without a path is put at the network in the request (a spec's layers, the ONNX file). */
function chargeAt(source: GraphSource, bytes: number, what: string): void {
  chargeAtPath(source.kind === 'spec' ? `${source.at ?? '$'}.layers` : source.kind === 'onnx' ? (source.at ?? 'body') : undefined, bytes, what);
}

/** Charges the running task's request; a refusal without a path is put at `path`. */
function chargeAtPath(path: string | undefined, bytes: number, what: string, fromBody = false): void {
  try {
    chargeMemory(bytes, what, fromBody);
  } catch (e) {
    if (!path || !(e instanceof ConvlensError) || e.details.path !== undefined) throw e;
    throw new ConvlensError(e.code, e.message, { ...e.details, path });
  }
}

/**
 * The charge a run makes for its peak memory (runtime/run-memory.ts: its activations, the weights
 * it draws or decodes and its kernels' intermediates, known before any kernel runs), asked by
 * runGraph through RunOptions.chargeMemory. Each ask grows the request by what it needs above the
 * largest asked before, so the stages of a staged run (runtime/run-staged.ts) and the iterations
 * of a loop's body ask for their largest, not their sum. The asks are `fromBody` (MemoryCharge): the
 * run's tensors replace the body they were decoded from, so the request's reservation grows only
 * by what they need beyond its body's share (runGraph asks for its inputs and given weights too).
 * A refusal without a path is put at `path`: the request's field that sets the run's sizes (its
 * inputs; an operator call's attributes).
 *
 * A run holding at most UNASKED_RUN_BYTES asks nothing: the mailbox's round trip (about 45 µs) is
 * not spent on every small operator call, and a worker runs one task at a time, so what goes
 * unasked is at most WORKERS × 1 MiB.
 */
/** A run's peak under this is not asked for (chargeRun). */
export const UNASKED_RUN_BYTES = 1024 * 1024;

export function chargeRun(path: string): MemoryCharge {
  let charged = 0;
  return (bytes, what) => {
    if (bytes <= Math.max(charged, UNASKED_RUN_BYTES)) return;
    chargeAtPath(path, bytes - charged, what, true);
    charged = bytes;
  };
}
