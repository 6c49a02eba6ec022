/**
 * The CLI's gates: budgets (--max-params, --max-macs, --max-memory) and warnings (--fail-on), and
 * what an incomplete analysis (unsupported operators: totals.complete false) does to them.
 *
 * The counts of an incomplete analysis cover the analysed layers only, so they are lower bounds:
 * a budget they already exceed has certainly failed (exit 1), but one they stay within proves
 * nothing, nor does a warning that was not raised. So when any gate is given and the analysis is
 * incomplete, the run fails with its own exit code (4) naming the unsupported operators, unless
 * --allow-incomplete asks to gate on the analysed layers alone.
 */
import type { Report } from '../analysis/report.js';
import type { WarningCode } from '../analysis/warning-codes.js';
import { secondsText } from './sections.js';

const grouped = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 20 });
const bytes = (v: number) => `${grouped(v)} B`;

export const EXIT = {
  /** Analysed; every gate given passed. */
  OK: 0,
  /** A budget or a --fail-on warning gate failed. */
  GATE_FAILED: 1,
  /** Invalid input or usage: a bad file, spec or option (the error catalog's codes). */
  INVALID_INPUT: 2,
  /** A bug in convlens. */
  INTERNAL_ERROR: 3,
  /** A gate was given but the analysis is incomplete (unsupported operators) and --allow-incomplete was not. */
  INCOMPLETE: 4,
  /** `convlens worker` only: Redis could not be reached within WORKER_REDIS_WAIT_MS of the start. */
  QUEUE_UNREACHABLE: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** For `--help` and the README. */
export const EXIT_CODES_HELP = `Exit codes:
  0  analysed, and every gate given passed
  1  a budget (--max-params, --max-macs, --max-memory, --max-peak-memory, --max-latency),
     a compare gate (--max-macs-increase …) or a --fail-on warning gate failed
  2  invalid input or usage (a bad file, spec, option or --fail-on code)
  3  internal error
  4  a gate was given but the analysis is incomplete (unsupported operators; the counts are
     lower bounds), unless --allow-incomplete; a budget exceeded even so still exits 1`;

/** `sweep --help`: no gates; some sizes refused is the answer, none analysed is a bad input. */
export const SWEEP_EXIT_HELP = `Exit codes:
  0  swept: at least one size analysed (a size the network refuses is an error row, its reason on stderr)
  2  invalid input or usage (a bad file, spec or option), or no size could be analysed
  3  internal error`;

/** `erf --help`. */
export const ERF_EXIT_HELP = `Exit codes:
  0  computed
  2  invalid input or usage (a bad file, spec, option, layer, channel or position; a network with no
     gradient to the input)
  3  internal error`;

export interface Gates {
  maxParams?: number;
  maxMacs?: number;
  maxMemory?: number;
  /** Budget on the peak activation memory (bytes), judged against `peakMemoryBytes`. */
  maxPeakMemory?: number;
  /** Budget on the roofline latency lower bound (seconds), judged against `latencySeconds`. */
  maxLatency?: number;
  /** analysis/memory.ts peak.bytes, when the memory analysis ran. */
  peakMemoryBytes?: number;
  /** analysis/roofline.ts totals.seconds, when a device was given. */
  latencySeconds?: number;
  failOn?: readonly WarningCode[];
  allowIncomplete?: boolean;
}

export interface GateVerdict {
  exitCode: ExitCode;
  /** Diagnostics for stderr, one per line, without the `convlens: ` prefix. */
  messages: string[];
}

const list = (items: readonly string[], max = 5) => items.slice(0, max).join(', ') + (items.length > max ? `, … (${items.length} in all)` : '');

/** "2× Tanh (tanh1, tanh2), 1× GRU (gru)" */
export function describeUnsupported(unsupported: Report['totals']['unsupported']): string {
  return unsupported.map((u) => `${u.count}× ${u.opType} (${list(u.nodes)})`).join(', ');
}

export function judge(r: Report, g: Gates): GateVerdict {
  const t = r.totals;
  const incomplete = !t.complete;
  const bound = incomplete ? ' (a lower bound: the analysis is incomplete)' : '';
  const failures: string[] = [];
  const given: string[] = [];
  // figures as the report and compare's gates print them (11,689,512; 26.76 ms): they were raw digits, 0.0267557233091165 s
  // (rounded alike, a latency is given in full seconds: 0.0267557233091165 s > 0.026755 s)
  const budget = (flag: string, what: string, value: number, max: number | undefined, show: (v: number) => string = grouped) => {
    if (max === undefined) return;
    given.push(flag);
    const exact = show === secondsText ? (x: number) => `${x} s` : show;
    const [v, m] = show(value) === show(max) ? [exact(value), exact(max)] : [show(value), show(max)];
    if (value > max) failures.push(`budget exceeded: ${what} ${v} > ${m}${bound}`);
  };
  budget('--max-params', 'params', t.params, g.maxParams);
  budget('--max-macs', 'MACs', t.macs, g.maxMacs);
  budget('--max-memory', 'memory access', t.memoryAccess.bytes, g.maxMemory, bytes);
  budget('--max-peak-memory', 'peak activation memory', g.peakMemoryBytes ?? 0, g.maxPeakMemory, bytes);
  // the roofline is a lower bound by construction: a bound above the budget has failed for certain
  budget('--max-latency', 'latency lower bound', g.latencySeconds ?? 0, g.maxLatency, secondsText);
  if (g.failOn?.length) {
    given.push('--fail-on');
    for (const w of r.warnings) if (g.failOn.includes(w.code as WarningCode)) failures.push(`warning ${w.code}: ${w.message}`);
  }

  const messages: string[] = [];
  if (incomplete) {
    const downstream = r.warnings.find((w) => w.code === 'LAYERS_NOT_ANALYSED')?.layers;
    const notAnalysed = Array.isArray(downstream) ? downstream.map(String) : [];
    messages.push(
      `incomplete analysis: unsupported operators ${describeUnsupported(t.unsupported)}` +
        `${notAnalysed.length ? `; not analysed downstream: ${list(notAnalysed)}` : ''}; the counts cover the analysed layers only`,
    );
  }
  messages.push(...failures);
  if (failures.length) return { exitCode: EXIT.GATE_FAILED, messages };
  if (incomplete && given.length) {
    if (g.allowIncomplete) {
      messages.push(`${given.join(', ')} passed on the analysed layers only (--allow-incomplete)`);
    } else {
      messages.push(
        `${given.join(', ')} cannot pass on an incomplete analysis: params ${grouped(t.params)} and MACs ${grouped(t.macs)} are lower bounds; ` +
          `give --allow-incomplete to gate on the analysed layers only (exit ${EXIT.INCOMPLETE})`,
      );
      return { exitCode: EXIT.INCOMPLETE, messages };
    }
  }
  return { exitCode: EXIT.OK, messages };
}
