/**
 * A small MViT of test/fixtures/networks/ (scripts/goldens_mvit_network.py) over frames: convlens's
 * effective receptive field reads an image input [N, C, H, W], so the clip [1, 3, T, H, W] is given as
 * frames [1, 3·T, H, W] and reshaped back (layer `clip`) before conv_proj, as scripts/erf_goldens_mvit.py
 * feeds torchvision's MViT. The gradient of the frames is the clip's, reshaped.
 */
import { mvit } from '../../src/zoo/mvit.js';
import type { MvitConfig } from '../../src/zoo/mvit.js';
import type { NetworkSpec } from '../../src/zoo/builder.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { readNetworkGolden } from './network-golden.js';

export interface MvitOverFrames {
  spec: NetworkSpec;
  /** the fixture's clip as frames [1, 3·T, H, W] */
  frames: Tensor;
  given: Record<string, Tensor>;
}

export function mvitOverFrames(name: string): MvitOverFrames {
  const g = readNetworkGolden<MvitConfig & { frames: number }>(`${name}.json`);
  const spec = mvit(name, g.config, g.resolution, g.config.frames, g.numClasses);
  const [n, c, t, h, w] = spec.inputs[0].shape;
  const layers = spec.layers.map((l) => (l.inputs === 'input' ? { ...l, inputs: 'clip' } : l));
  return {
    spec: { ...spec, inputs: [{ name: 'frames', shape: [n, c * t, h, w] }], layers: [{ name: 'clip', op: 'reshape', inputs: 'frames', shape: [n, c, t, h, w] }, ...layers] },
    frames: tensor([n, c * t, h, w], g.input.data),
    given: g.given,
  };
}
