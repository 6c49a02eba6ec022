/** The operator and model catalogs, one shape for REST and GraphQL alike. */
import { z } from 'zod';
import { OPS } from '../ops/registry.js';
import { ZOO } from '../zoo/index.js';

export const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

/** Fixed for the life of the process: computed on first use, then served as is. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export const operatorCatalog = once(() =>
  OPS.map((op) => ({
    name: op.name,
    summary: op.summary,
    pytorch: op.pytorch,
    inputs: op.inputNames,
    minInputs: op.minInputs,
    variadic: op.variadic ?? false,
    attributes: jsonSchemaOf(op.attrs),
    runnable: typeof op.run === 'function',
  })),
);

/** The description comes from building each model once (densenet121 alone has hundreds of layers). */
export const modelCatalog = once(() =>
  ZOO.map((z) => ({ name: z.name, resolution: z.resolution, description: z.build(z.resolution).description ?? null, torchvision: z.torchvision ?? null })),
);
