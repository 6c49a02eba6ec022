/**
 * Integer options of requests, with one message for every way a value misses: not a number, a
 * fraction, or out of range all say the range ("must be an integer from 1 to 8192"). A message set
 * on z.number() alone also covers its .min() and .max() in zod 4, and said "must be an integer" of
 * 100000.
 */
import { z } from 'zod';

/** "must be an integer from min to max" (or "… ≥ min" without an upper bound). */
export const integerRange = (min: number, max?: number): string => (max === undefined ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`);

/** An integer in [min, max]; `what` starts the message ("samples must be …") where the path does not name the field. */
export function integerIn(min: number, max?: number, what?: string): z.ZodNumber {
  const error = `${what ? `${what} ` : ''}${integerRange(min, max)}`;
  const n = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? n : n.max(max, { error });
}

/** A query parameter's digits as the integer `schema` (an integerIn) checks; a minus sign or a fraction is refused with its range too. */
export function queryInteger(schema: z.ZodNumber) {
  const max = schema.maxValue !== null && Number.isFinite(schema.maxValue) ? schema.maxValue : undefined;
  return z
    .string()
    .regex(/^\d+$/, { error: integerRange(schema.minValue ?? 0, max) })
    .transform(Number)
    .pipe(schema);
}
