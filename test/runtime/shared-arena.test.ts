/**
 * The team's arena (runtime/shared-arena.ts): first fit over free blocks merged with their
 * neighbours, growth at the end that keeps views valid, regions found from any view into them,
 * and a run's leftovers given back by its mark.
 */
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { SharedArena } from '../../src/runtime/shared-arena.js';

const floatsAt = (a: Float32Array) => a.byteOffset / 4;

describe('SharedArena', () => {
  it('regions start at 16-byte boundaries, one after another: 5 floats take 8, 1 takes 4', () => {
    const arena = new SharedArena(1 << 20);
    const [a, b, c] = [arena.alloc(5), arena.alloc(1), arena.alloc(8)];
    expect([floatsAt(a), floatsAt(b), floatsAt(c)]).toEqual([0, 8, 12]);
    expect([a.length, b.length, c.length]).toEqual([5, 1, 8]);
    expect(arena.heldFloats).toBe(20);
    expect(arena.owns(a)).toBe(true);
    expect(arena.owns(new Float32Array(4))).toBe(false);
  });

  it('first fit: a released region is reused by a request it fits, the rest of it stays free', () => {
    const arena = new SharedArena(1 << 20);
    const a = arena.alloc(16);
    arena.alloc(4);
    arena.release(a);
    const b = arena.alloc(8); // into a's 16
    const c = arena.alloc(8); // the other 8 of them
    const d = arena.alloc(4); // nothing free: after the 4 at 16
    expect([floatsAt(b), floatsAt(c), floatsAt(d)]).toEqual([0, 8, 20]);
  });

  it('releases merge with both neighbours: three adjacent 4-float regions freed in the order 0, 8, 4 give one 12-float block', () => {
    const arena = new SharedArena(1 << 20);
    const [a, b, c] = [arena.alloc(4), arena.alloc(4), arena.alloc(4)];
    arena.alloc(4);
    arena.release(a);
    arena.release(c);
    arena.release(b);
    expect(floatsAt(arena.alloc(12))).toBe(0);
  });

  it('a free block at the top is extended rather than left behind: after releasing the last 4 floats, 8 start where they did', () => {
    const arena = new SharedArena(1 << 20);
    arena.alloc(4);
    const b = arena.alloc(4);
    arena.release(b);
    expect(floatsAt(arena.alloc(8))).toBe(4);
  });

  it('grows in 1 MiB steps as regions are taken, and views taken before a growth keep their values', () => {
    const arena = new SharedArena(1 << 24);
    const a = arena.alloc(1000);
    a.fill(7);
    expect(arena.bytes).toBe(1 << 20);
    const big = arena.alloc(300_000); // past 1 MiB in all
    expect(arena.bytes).toBe(2 << 20);
    big.fill(1);
    expect(a.every((v) => v === 7)).toBe(true);
  });

  it('a request past the reserved size: TENSOR_TOO_LARGE', () => {
    const arena = new SharedArena(1 << 20);
    const e = (() => {
      try {
        arena.alloc(1 << 20);
      } catch (err) {
        return err as ConvlensError;
      }
    })();
    expect(e).toBeInstanceOf(ConvlensError);
    expect(e!.code).toBe('TENSOR_TOO_LARGE');
  });

  it('a growth that throws (TENSOR_TOO_LARGE) loses nothing: the free block at the top is still where the next request goes', () => {
    const arena = new SharedArena(1 << 20);
    arena.release(arena.alloc(100));
    expect(() => arena.alloc(1 << 20)).toThrow(ConvlensError);
    expect(floatsAt(arena.alloc(100))).toBe(0);
  });

  it('regionOf(data, since): a region taken before the mark is not found (a run finds only its own)', () => {
    const arena = new SharedArena(1 << 20);
    const before = arena.alloc(4);
    const mark = SharedArena.mark();
    const after = arena.alloc(4);
    expect(arena.regionOf(before, mark)).toBeNull();
    expect(arena.regionOf(before)).toEqual([0, 16]);
    expect(arena.regionOf(after, mark)).toEqual([16, 32]);
  });

  it('regionOf and release from a view into part of a region (a reshape or a slice of it); nothing for a released region or another buffer', () => {
    const arena = new SharedArena(1 << 20);
    arena.alloc(4);
    const r = arena.alloc(10);
    const part = new Float32Array(r.buffer, r.byteOffset + 8, 4);
    expect(arena.regionOf(part)).toEqual([16, 16 + 48]);
    arena.release(part);
    expect(arena.regionOf(r)).toBeNull();
    expect(arena.heldFloats).toBe(4);
    arena.release(r); // twice: nothing
    expect(arena.heldFloats).toBe(4);
    expect(arena.regionOf(new Float32Array(4))).toBeNull();
  });

  it('endRun(mark) gives back what was taken since the mark and is still held, not what was taken before (an outer run around a nested one)', () => {
    const arena = new SharedArena(1 << 20);
    const outer = arena.alloc(4);
    const mark = SharedArena.mark();
    const inner = [arena.alloc(4), arena.alloc(4)];
    arena.release(inner[0]);
    arena.endRun(mark);
    expect(arena.regionOf(outer)).toEqual([0, 16]);
    expect(arena.regionOf(inner[1])).toBeNull();
    expect(arena.heldFloats).toBe(4);
  });
});
