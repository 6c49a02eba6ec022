/** The operator and model catalogs, one shape for REST and GraphQL alike. */
import { z } from 'zod';
import { OPS } from '../ops/registry.js';
import { ZOO } from '../zoo/index.js';

export const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

export function operatorCatalog() {
  return OPS.map((op) => ({
    name: op.name,
    summary: op.summary,
    pytorch: op.pytorch,
    inputs: op.inputNames,
    minInputs: op.minInputs,
    variadic: op.variadic ?? false,
    attributes: jsonSchemaOf(op.attrs),
    runnable: typeof op.run === 'function',
  }));
}

export function modelCatalog() {
  return ZOO.map((z) => ({ name: z.name, resolution: z.resolution, description: z.build(z.resolution).description ?? null, torchvision: z.torchvision ?? null }));
}
