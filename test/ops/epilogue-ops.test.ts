/** The epilogue table partners load (ops/epilogue-ops.ts) is exactly the registry's in-place ops that fuse into a conv's epilogue, the same objects. */
import { describe, expect, it } from 'vitest';
import { EPILOGUE_OPS } from '../../src/ops/epilogue-ops.js';
import { OPS } from '../../src/ops/registry.js';

describe('EPILOGUE_OPS', () => {
  it('holds every registered op with fusesIntoConvEpilogue and runInPlace (relu, relu6, clip, gelu, …), and nothing else', () => {
    const registered = OPS.filter((op) => op.fusesIntoConvEpilogue === true && op.runInPlace !== undefined);
    expect([...EPILOGUE_OPS.keys()].sort()).toEqual(registered.map((op) => op.name).sort());
    for (const op of registered) expect(EPILOGUE_OPS.get(op.name)).toBe(op);
    expect([...EPILOGUE_OPS.keys()]).toEqual(expect.arrayContaining(['relu', 'relu6', 'clip', 'leakyRelu', 'gelu', 'hardSwish']));
  });
});
