/**
 * Request examples of the OpenAPI document (Swagger UI's "Try it out" starts from them).
 * test/http/openapi.test.ts sends every one and checks the answer: 200 and the documented schema.
 */
type Examples = Record<string, { summary: string; value: unknown }>;

const tinyBlock = {
  name: 'tiny-resnet-block',
  inputs: [{ name: 'image', shape: [1, 64, 56, 56] }],
  layers: [
    { name: 'conv1', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, bias: false },
    { name: 'bn1', op: 'batchNorm2d' },
    { name: 'relu1', op: 'relu' },
    { name: 'conv2', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, bias: false },
    { name: 'sum', op: 'add', inputs: ['conv2', 'image'] },
    { name: 'out', op: 'relu' },
  ],
};

const tinyConv = {
  inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
    { name: 'relu', op: 'relu' },
  ],
};

const t = (shape: number[], data: number[]) => ({ shape, data });

export const EXAMPLES: Record<string, Examples> = {
  analyze: {
    spec: { summary: 'a network spec', value: tinyBlock },
    model: { summary: 'a built-in model at another resolution, float16 memory', value: { model: 'resnet18', resolution: 160, options: { dtype: 'float16' } } },
  },
  RunRequest: {
    spec: {
      summary: 'a spec on one input, seeded weights, capturing the conv',
      value: { spec: tinyConv, inputs: { x: t([1, 1, 4, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) }, seed: 1, capture: ['conv'] },
    },
  },
  OperatorRequest: {
    conv2d: {
      summary: 'POST /v1/operators/conv2d: a 2×2 kernel over a 3×3 image',
      value: {
        inputs: [t([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])],
        attributes: { outChannels: 1, kernelSize: 2 },
        weights: { weight: t([1, 1, 2, 2], [1, 0, 0, 1]), bias: t([1], [0]) },
      },
    },
  },
  FoldRequest: {
    one: {
      summary: 'one 1×1 channel',
      value: { weight: t([1, 1, 1, 1], [2]), bias: t([1], [0.5]), gamma: t([1], [3]), beta: t([1], [1]), runningMean: t([1], [0.5]), runningVar: t([1], [4]) },
    },
  },
  graphql: {
    analyze: { summary: "resnet18's totals", value: { query: '{ analyze(model: "resnet18") { name totals { params macs flops } } }' } },
  },
};
