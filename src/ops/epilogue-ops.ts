/**
 * The point-wise activations a split conv's partner threads apply to their bands as they write
 * them (runtime/team-kernels.ts), by name: the registry's ops that fuse into a conv's epilogue
 * (OpDef.fusesIntoConvEpilogue) with an in-place kernel. A partner loads these two modules, not
 * the whole registry (every op and its schemas; measured under tsx: 170–220 ms and 93–96 MiB RSS
 * against 340–380 ms and 100 MiB). test/ops/epilogue-ops.test.ts checks that the two agree.
 */
import * as activation from './activation.js';
import * as activationMore from './activation-more.js';
import type { OpDef } from './types.js';

const isEpilogue = (v: unknown): v is OpDef =>
  typeof v === 'object' && v !== null && typeof (v as OpDef).name === 'string' && (v as OpDef).fusesIntoConvEpilogue === true && typeof (v as OpDef).runInPlace === 'function';

export const EPILOGUE_OPS: ReadonlyMap<string, OpDef> = new Map([...Object.values(activation), ...Object.values(activationMore)].filter(isEpilogue).map((op) => [op.name, op]));
