/** The keys a zod request schema knows at a path: what an unknown key's error lists (requests.ts unknownKeys). */
import { z } from 'zod';

/** A schema without its optional, default, nullable and pipe wrappers, and a union as its branches. */
function variants(schema: z.ZodType | undefined): z.ZodType[] {
  let s = schema;
  while (s && !(s instanceof z.ZodObject) && !(s instanceof z.ZodRecord) && !(s instanceof z.ZodUnion)) {
    const def = s._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
    s = def.innerType ?? def.in;
  }
  if (!s) return [];
  return s instanceof z.ZodUnion ? (s.options as z.ZodType[]).flatMap(variants) : [s];
}

/** The keys an object schema knows; a record's, when its keys are an enum (a profile's peaks). */
function keysOf(s: z.ZodType): string[] {
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodRecord) {
    const keys = s._zod.def.keyType as z.ZodType;
    return keys instanceof z.ZodEnum ? (keys.options as PropertyKey[]).map(String) : [];
  }
  return [];
}

/**
 * The keys of the object schema at `path` inside `schema` (through optional, default and pipes, the
 * branches of unions: a network is a name or an object; records with enum keys).
 */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let layer = variants(schema);
  for (const key of path) {
    layer = layer.flatMap((s) => variants(s instanceof z.ZodObject ? (s.shape[String(key)] as z.ZodType | undefined) : s instanceof z.ZodRecord ? (s._zod.def.valueType as z.ZodType) : undefined));
  }
  return [...new Set(layer.flatMap(keysOf))];
}
