/**
 * The large-JSON worker entry (http/offload-worker.ts) gives its memory back after every task, as
 * runtime/worker.ts does (runtime/memory.ts collectIfOver): after an answer and after a refusal.
 */
import { Piscina } from 'piscina';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const collected = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/runtime/memory.js', async (original) => ({
  ...(await original<typeof import('../../src/runtime/memory.js')>()),
  collectIfOver: () => {
    collected.count++;
    return false;
  },
}));

const { default: offload } = await import('../../src/http/offload-worker.js');

const spec = { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3 }] };

describe('the large-JSON worker', () => {
  beforeEach(() => {
    collected.count = 0;
  });

  it('collects after an analysis it answered (a 3→4 3×3 conv at 8×8: 4·3·9·36 = 3,888 MACs)', () => {
    // the answer's bytes are moved, not copied: Piscina.move wraps it
    const moved = offload({ kind: 'analyze', json: JSON.stringify(spec), query: {}, format: 'json' }) as Record<symbol, unknown>;
    const answer = moved[Piscina.valueSymbol] as { ok: boolean; value: Uint8Array };
    expect(answer.ok).toBe(true);
    expect(JSON.parse(Buffer.from(answer.value).toString()).totals.macs).toBe(3888);
    expect(collected.count).toBe(1);
  });

  it('collects after a request it refused (SPEC_INVALID), and answers the refusal', () => {
    const answer = offload({ kind: 'analyze', json: '{"layers": 3}', query: {}, format: 'json' }) as { ok: boolean; error: { code: string } };
    expect(answer).toMatchObject({ ok: false, error: { code: 'SPEC_INVALID' } });
    expect(collected.count).toBe(1);
  });
});
