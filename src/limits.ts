/**
 * Work and memory budgets of the engine: the defaults of the configurable ones (config.ts reads
 * them from MAX_RUN_WORK, MAX_FOLDED_ELEMENTS and WORKER_HEAP_LIMIT_MB), the fixed bounds every
 * analysis applies, and the process's memory budget. A leaf module: the analyzer, the runtime, the
 * admission control and config.ts all read it.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Most work one run (a network or one operator) may cost, in units of one multiply-accumulate, one
 * element-wise FLOP or one element written (outputs and initialised weights), estimated from the
 * analysis before any kernel runs. ResNet-101 at 224×224 costs 8.2·10^9 (7.8·10^9 MACs), so 10^11
 * runs it about 12 times over: roughly 15 s of one worker at the measured 7–9 GMAC/s.
 */
export const DEFAULT_MAX_RUN_WORK = 1e11;

/**
 * Most values constant folding may hold for one graph, in elements: the small constants an ONNX
 * file carries (shapes, axes, scales) plus every value folded from them (Shape → Gather → Concat
 * arithmetic, Expand, Tile …). Exported CNNs use a few thousand; 2^20 numbers are about 8 MiB.
 */
export const DEFAULT_MAX_FOLDED_ELEMENTS = 1 << 20;

/**
 * A worker holding more than this many MiB after a task (V8's heap plus its array buffers and
 * WebAssembly memory) collects its garbage at once, so what a large task allocated goes back to the
 * system before the worker sleeps. A worker holds about 40 MiB idle; tasks that leave less than
 * this pay nothing, larger ones one full collection (10–30 ms).
 */
export const DEFAULT_WORKER_HEAP_LIMIT_MB = 256;

/**
 * Largest scratch buffer a kernel allocates besides its inputs and output, in float32 elements
 * (16 MiB): transposed convolution's columns, deformable convolution's sampled columns and the
 * GEMM's packed tiles in WebAssembly memory (which never shrinks) are made in pieces of at most
 * this. Every kernel's memory is then its tensors (each within MAX_TENSOR_ELEMENTS) plus this.
 */
export const KERNEL_SCRATCH = 1 << 22;

/**
 * Default of MAX_TENSOR_ELEMENTS (config.ts): the largest tensor a run reads or writes, weights
 * included. A value folded at import from the file's weights is never larger (graph/fold-budget.ts).
 */
export const DEFAULT_MAX_TENSOR_ELEMENTS = 64 * 1024 * 1024;

/**
 * Largest single folded value, in elements (one Concat, Expand or arithmetic result), unless it is
 * computed from float initializers of the file larger than this: then as large as the largest of
 * them (graph/fold-budget.ts).
 */
export const MAX_FOLDED_TENSOR = 65_536;

/**
 * Most element operations one folded value may take (its elements × the inputs combined into it),
 * unless it is computed from the file's float initializers; and what a graph's folds may take in
 * all besides FOLD_WORK_PER_ELEMENT per element of those (graph/fold-budget.ts).
 */
export const MAX_FOLD_WORK = 1 << 22;

/**
 * Element operations (MACs, element-wise FLOPs, elements written) a graph's folds may take per
 * element of the float initializers they read, on top of MAX_FOLD_WORK. Weight standardisation
 * takes 8–14 per element of its weight (measured: by InstanceNormalization 8, BiT's 11, timm's
 * StdConv2d 14: reshapes, a transpose, three means, the centring, the square, the batch norm); a
 * chain of Adds over a weight (2 per element each: the sum and the element written) stops after 8
 * of them, plus those MAX_FOLD_WORK pays for.
 */
export const FOLD_WORK_PER_ELEMENT = 16;

/**
 * Values a fold computed from the file's float initializers may hold in flight beyond what is left
 * of the graph's folding budget, in multiples of the largest initializer it is computed from:
 * standardising a weight holds its transposed copy, the centred values and their squares at once.
 */
export const FOLD_IN_FLIGHT = 3;

/**
 * Largest count the analysis reports (elements of a tensor, MACs or FLOPs of a layer): beyond
 * 2^53 a double no longer counts exactly, and such sizes come only from hostile attributes
 * (an upsampling by 1e300). Over it is SIZE_TOO_LARGE at inference.
 */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** The memory the process may use: the container's limit (cgroup v2, then v1) when lower than the machine's. */
export function memoryLimit(): number {
  let limit = os.totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n) && n > 0) limit = Math.min(limit, n);
      break;
    } catch {
      // absent: not in that cgroup version
    }
  }
  return limit;
}

/** MEMORY_BUDGET_BYTES, or half of the memory the process may use. */
export function memoryBudgetBytes(config: { MEMORY_BUDGET_BYTES?: number }): number {
  return config.MEMORY_BUDGET_BYTES ?? Math.floor(memoryLimit() / 2);
}

/** Parts of one multipart form (@fastify/multipart's limits, app.ts): .npy files, and fields (only `request` is read). */
export const FORM_MAX_FILES = 32;
export const FORM_MAX_FIELDS = 16;

/**
 * The process's grace after SIGTERM (server.ts): SHUTDOWN_DELAY_MS, then TASK_TIMEOUT_MS for the
 * tasks running when close begins (or REQUEST_TIMEOUT_MS, if longer, for bodies still arriving),
 * then this much more; past it close-with-grace exits 1 and any answer not yet written is lost.
 */
export const CLOSE_GRACE_SLACK_MS = 5_000;
/** After close begins, tasks that have not got a worker within this are refused 503 NOT_READY, so that those that did have TASK_TIMEOUT_MS plus 3 s of the grace to run and write their answer (runtime/pool.ts stopStarting). */
export const CLOSE_START_MS = 2_000;

/** GraphQL: most lexical tokens in a document (GRAPHQL_MAX_TOKENS's default; http/body.ts scans no longer a document for tensor names). */
export const DEFAULT_GRAPHQL_MAX_TOKENS = 10_000;
/**
 * GraphQL: most UTF-8 bytes of a document (GRAPHQL_MAX_DOCUMENT_BYTES's default; http/graphql/document-size.ts),
 * refused before it is read. GraphiQL's introspection query is 1,927–2,075 bytes, the README's
 * examples under 300, and every document of test/http/graphql*.test.ts under 70,000 (they pass with
 * this at 70,000); large values go in variables, which it does not bound.
 */
export const DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES = 1 << 20;
