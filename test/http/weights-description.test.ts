/**
 * What the request schemas say of a state_dict's num_batches_tracked is what the binder does
 * (graph/given-weights.ts): since BN declared it (an int64 scalar buffer, WeightSpec.unread), a
 * spec's or zoo model's `bn1.num_batches_tracked` binds and is shape-checked; only a norm imported
 * from ONNX ignores it. Found by a review: REST's `weights` description (OpenAPI) and GraphQL's
 * run(weights:) still said "num_batches_tracked ignored".
 */
import { describe, expect, it } from 'vitest';
import { RunRequest } from '../../src/http/requests.js';
import { loadSDL } from '../../src/http/graphql/sdl.js';
import { buildSchema } from 'graphql';

describe("the weights descriptions of a run: a batch norm's num_batches_tracked binds", () => {
  const rest = (RunRequest as unknown as { shape: { weights: { description: string } } }).shape.weights.description;
  const graphql = buildSchema(loadSDL()).getQueryType()!.getFields().run!.args.find((a) => a.name === 'weights')!.description!;
  it.each([
    ['REST (OpenAPI)', rest],
    ['GraphQL run(weights:)', graphql],
  ])('%s names it as bound, ignored only from ONNX', (_, text) => {
    expect(text).not.toMatch(/num_batches_tracked ignored/);
    expect(text).toContain("num_batches_tracked of a batch norm (a scalar; ignored by a norm imported from ONNX, which has none)");
  });
});
