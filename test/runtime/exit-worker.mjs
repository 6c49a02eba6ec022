// A pool task module (test/runtime/pool-memory.test.ts) that answers as a real worker does
// (runtime/task-answer.ts, its memory with it), or, asked to, ends its thread as a crash would.
import { register } from 'tsx/esm/api';

register();
const { answerTask } = await import('../../src/runtime/task-answer.ts');

export default function exitOrAnswer({ exit, memoryGrant, taskStarted }) {
  if (exit) process.exit(7);
  return answerTask(() => 1, memoryGrant, taskStarted);
}
