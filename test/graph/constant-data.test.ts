import { describe, expect, it } from 'vitest';
import { constantData } from '../../src/graph/constant-data.js';
import type { GraphConstant } from '../../src/graph/graph.js';

const stored = (dataType: GraphConstant['dataType'], shape: number[], raw: Uint8Array): GraphConstant => ({ name: 'c', shape, dataType, value: null, raw, typed: null, initializer: true });

describe('constantData: a stored initializer as float32 values', () => {
  it('int8 raw bytes [0x80, 0xff, 0x00, 0x7f] are −128, −1, 0, 127 (a quantized layer\'s weights)', () => {
    expect([...constantData(stored('int8', [4], Uint8Array.from([0x80, 0xff, 0x00, 0x7f])))!]).toEqual([-128, -1, 0, 127]);
  });
  it('int32 little-endian raw bytes of −7 and 300 (a quantized layer\'s bias)', () => {
    const raw = new Uint8Array(Int32Array.from([-7, 300]).buffer);
    expect([...constantData(stored('int32', [2], raw))!]).toEqual([-7, 300]);
  });
  it('uint8 zero points 0 and 255', () => {
    expect([...constantData(stored('uint8', [2], Uint8Array.from([0, 255])))!]).toEqual([0, 255]);
  });
  it('too few bytes for the shape is no data (null), not a crash', () => {
    expect(constantData(stored('int32', [3], new Uint8Array(8)))).toBeNull();
  });
});
