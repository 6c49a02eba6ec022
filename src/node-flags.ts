/**
 * The V8 flags the server process starts with: `npm start` and the Docker image's ENTRYPOINT pass
 * them, `npm run bench` too, and the job worker's commands (docker-compose.yml, the production
 * overlay); test/node-flags.test.ts holds them all to this list. The server and `convlens worker`
 * log a warning when started without them.
 *
 * --initial-old-space-size=128: no full collection (V8 mark-compact) before an isolate's old
 * generation, with the array buffers allocated since its last one, reaches 128 MB. Why: after a full
 * collection V8 sets the next limit from what survived, at least 8 MB above it when the thread
 * allocates little on its own heap (the main thread: the server's holds about 53 MB), and it counts
 * array buffers allocated since that collection against the limit. A request's tensors are array
 * buffers: a 3×3 conv at 128×112×112 through POST /v1/operators holds at least its uploaded input
 * and the worker's answer on the main thread, 6.4 MB each (more in JSON). Once
 * one full collection has set the limit that low, every such request starts another: measured 2026-12-01 on
 * `node src/server.ts` (tsx, two servers of one and two workers, after one forced collection),
 * 62–70 full collections in 80 requests, each 6–19 ms of pause on the main thread plus up to 31 ms
 * of marking steps, and one request 154–166 ms against 139–143 ms with the flag, which left none.
 * The flag sets the floor under every later limit (V8's heap.cc: "allow V8 to skip full GCs below
 * that threshold"); it applies to every isolate of the process, the workers' too, whose peak
 * memory on a forward it did not move (bench memory: ResNet-18, MobileNetV2, ResNet-50 1.33, 1.21,
 * 1.29× their weights and activations, against 1.31, 1.33, 1.31× without).
 */

export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];

/** V8 spells a flag with dashes or underscores alike. */
const normal = (flag: string) => flag.replace(/^--/, '').replaceAll('_', '-');

/** Which of SERVER_NODE_FLAGS this process was not started with (`execArgv`: node's own arguments). */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(normal));
  return SERVER_NODE_FLAGS.filter((flag) => !given.has(normal(flag)));
}

/** Set in the environment of a process this module restarted with the flags: it does not restart again. */
const RESTARTED = 'CONVLENS_NODE_FLAGS_ADDED';

/**
 * A long-running command (`convlens worker`, as `npx convlens worker` starts it) started without
 * SERVER_NODE_FLAGS runs itself again with them: a child node with the flags, this process's own
 * node arguments and argv, stdio shared. The child has its own process group, so a terminal's
 * Ctrl-C reaches it once, through this process (a second SIGINT would end it before its jobs).
 * Resolves to the child's exit code, or null when nothing was missing (run in this process).
 *
 * The child is tied to this process by an IPC channel: should this process die without passing a
 * signal on (SIGKILL, the OOM killer), the channel closes and the child stops as on SIGTERM. Its own
 * process group kept it running before, an orphan polling the queue for ever (seen after a test's
 * SIGKILL of a worker that had not stopped within its 8 s).
 */
export async function rerunWithNodeFlags(): Promise<number | null> {
  if (process.env[RESTARTED] === '1') {
    stopWithParent();
    return null;
  }
  const missing = missingNodeFlags();
  if (missing.length === 0) return null;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true, env: { ...process.env, [RESTARTED]: '1' } });
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const pass = (s: NodeJS.Signals) => child.kill(s);
  for (const s of signals) process.on(s, pass);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
    });
  } finally {
    for (const s of signals) process.off(s, pass);
  }
}

/** In the child rerunWithNodeFlags started: SIGTERM to itself once its parent's channel closes (the channel does not hold the event loop open). */
function stopWithParent(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
