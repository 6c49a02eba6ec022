/**
 * The third pass of run rates (Inferred.runWork, each op's file): tiny specs that pad a [1, 1, 1, 1]
 * input (0.5 around one 0) to [1, 1, 4096, 4096] (16,777,216 elements) and read it through a chain
 * of one op, as many layers as take the estimate just over 10^11. Counted by the cost (1 a FLOP,
 * 1 an element a pad wrote, each 4096² output written 1 + FRESH_ELEMENT_WORK) each chain was under
 * 10^11; at the rates bench/op-rates.ts measured (2026-12-05, 2 vCPU AMD EPYC shared at load
 * 11–16; relu 0.6–4.9 ns an element, leakyRelu 12.8–37, hardTanh 3.3–36, a pad of rows of 1
 * 118 ns an element) each is 413 WORK_TOO_LARGE before any kernel runs. Three pads of
 * [16777216, 1] on their last axis ran 7.0 s (load 14): 117 of them, the old estimate's 10^11, about 4 minutes.
 */
import { describe, it } from 'vitest';
import { S, N, W, PADDED, padded, chain, refusedAt, type Spec } from './work-chains.js';

describe('activations at their run rates', () => {
  it('90 relu on 4096² (15 + W an element; cost 7.9e10)', () => {
    const per = (15 + W) * N;
    refusedAt(chain('relu', 90), 'l0', per, PADDED + 90 * per, PADDED + 89 * per);
  });

  it('84 relu6 and hardTanh (20 + W); 73 leakyRelu (30 + W); 40 softsign (100 + W); 54 hardSigmoid (60 + W); 65 hardSwish (40 + W)', () => {
    for (const [op, rate, n] of [['relu6', 20, 84], ['hardTanh', 20, 84], ['leakyRelu', 30, 73], ['softsign', 100, 40], ['hardSigmoid', 60, 54], ['hardSwish', 40, 65]] as const) {
      const per = (rate + W) * N;
      refusedAt(chain(op, n), 'l0', per, PADDED + n * per, PADDED + (n - 1) * per);
    }
  });
});

describe('pad and argMax at their run rates', () => {
  it('5 constant pads of the 4096² values as [16777216, 1], a row each, on the last axis (1200 a row + 5 + W an element; cost 4.4e9)', () => {
    const spec: Spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 1] }],
      layers: [padded, { name: 'r', op: 'reshape', inputs: ['t'], shape: [N, 1] }, ...Array.from({ length: 5 }, (_, i) => ({ name: `l${i}`, op: 'pad', inputs: [i === 0 ? 'r' : `l${i - 1}`], pads: [0, 1, 0, -1] }))],
    };
    const per = (1200 + 5 + W) * N;
    // the reshape hands back its input's memory: 1 an element
    refusedAt(spec, 'l0', per, PADDED + N + 5 * per, PADDED + N + 4 * per);
  });

  it('60 argMax along the last axis of the 4096² values (100 an input element, + 4096 written; cost 1.0e9), and argMin the same', () => {
    for (const op of ['argMax', 'argMin']) {
      const spec: Spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [padded, ...Array.from({ length: 60 }, (_, i) => ({ name: `l${i}`, op, inputs: ['t'], dim: 3 }))] };
      const per = 100 * N + S;
      refusedAt(spec, 'l0', per, PADDED + 60 * per, PADDED + 59 * per);
    }
  });
});
