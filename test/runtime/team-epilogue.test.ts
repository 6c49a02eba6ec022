/**
 * A split conv's activation crosses to the partners as bytes: epilogueBytes (the leader) makes
 * them per job, activationOf (a partner) reads them back and reuses the last while they repeat.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { EPILOGUE_OPS } from '../../src/ops/epilogue-ops.js';
import { activationOf, epilogueBytes } from '../../src/runtime/team-epilogue.js';

const relu = EPILOGUE_OPS.get('relu')!;
const clip = EPILOGUE_OPS.get('clip')!;

/** `bytes` in shared memory, as a partner finds them in the arena. */
function inShared(bytes: Uint8Array): Uint8Array {
  const v = new Uint8Array(new SharedArrayBuffer(bytes.length + 8), 4, bytes.length);
  v.set(bytes);
  return v;
}

describe('epilogueBytes', () => {
  it('clip(0, 6): the op name and attributes as they are at the job (an attribute changed since: the new value)', () => {
    const attrs = { min: 0, max: 6 };
    expect(deserialize(epilogueBytes({ op: clip, attrs, residual: null })!)).toEqual({ op: 'clip', attrs: { min: 0, max: 6 } });
    attrs.max = 1;
    expect(deserialize(epilogueBytes({ op: clip, attrs, residual: null })!)).toEqual({ op: 'clip', attrs: { min: 0, max: 1 } });
    expect((deserialize(epilogueBytes({ op: relu, attrs: {}, residual: null })!) as { op: string }).op).toBe('relu');
  });

  it('the same op and attributes again (another object, equal values, −Infinity included): the same bytes, not serialized again; another value or op: new bytes', () => {
    const first = epilogueBytes({ op: clip, attrs: { min: -Infinity, max: 6 }, residual: null })!;
    expect(epilogueBytes({ op: clip, attrs: { min: -Infinity, max: 6 }, residual: new Float32Array(2) })).toBe(first);
    const other = epilogueBytes({ op: clip, attrs: { min: -Infinity, max: 6.5 }, residual: null })!;
    expect(other).not.toBe(first);
    expect(deserialize(other)).toEqual({ op: 'clip', attrs: { min: -Infinity, max: 6.5 } });
    expect((deserialize(epilogueBytes({ op: relu, attrs: { min: -Infinity, max: 6.5 }, residual: null })!) as { op: string }).op).toBe('relu');
  });

  it('no activation: null', () => {
    expect(epilogueBytes({ op: null, attrs: undefined, residual: new Float32Array(4) })).toBeNull();
  });
});

describe('activationOf', () => {
  it('reads clip(min −Infinity, max 6) back from shared memory, the op resolved by name', () => {
    const got = activationOf(inShared(serialize({ op: 'clip', attrs: { min: -Infinity, max: 6 } })));
    expect(got.op).toBe(clip);
    expect(got.attrs).toEqual({ min: -Infinity, max: 6 });
  });

  it('the same bytes again give the same activation; rewritten shared bytes give the new one', () => {
    const shared = inShared(serialize({ op: 'clip', attrs: { min: 0, max: 6 } }));
    const first = activationOf(shared);
    expect(activationOf(shared)).toBe(first);
    // the arena's bytes are rewritten for the next job (same length: max 6 → max 5)
    shared.set(serialize({ op: 'clip', attrs: { min: 0, max: 5 } }));
    const next = activationOf(shared);
    expect(next).not.toBe(first);
    expect(next.attrs).toEqual({ min: 0, max: 5 });
    expect(first.attrs).toEqual({ min: 0, max: 6 });
  });

  it('an op that is not an in-place activation (conv2d) is refused', () => {
    expect(() => activationOf(inShared(serialize({ op: 'conv2d', attrs: {} })))).toThrow(/conv2d/);
  });
});
