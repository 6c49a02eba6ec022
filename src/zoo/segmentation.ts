/**
 * Segmentation nets: U-Net (Ronneberger et al. 2015: max-pool down, transposed-conv up, concat
 * skips) and DeepLabV3 (Chen et al. 2017) with a dilated ResNet-50 (output stride 8), ASPP with
 * rates 12/24/36 and image pooling, bilinear upsampling, and the auxiliary FCN head, as
 * torchvision.models.segmentation.deeplabv3_resnet50(aux_loss=True) runs it; FCN (Long et al. 2015,
 * fcn_resnet50(aux_loss=True): the same dilated trunk, a 3×3 FCNHead on layer4 and the auxiliary one on
 * layer3) and LR-ASPP (Howard et al. 2019, lraspp_mobilenet_v3_large: a dilated MobileNetV3-Large,
 * a 1×1 branch gated by a pooled sigmoid branch on the 1/16 map, upsampled to the 1/8 features and
 * summed with their own 1×1 classifier); the ResNet-101 ones and DeepLabV3 on the dilated MobileNetV3-Large
 * (deeplabv3_mobilenet_v3_large(aux_loss=True)) alike.
 */
import { NetBuilder, imageInput, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';
import { resnetTrunk } from './resnet.js';
import { V3_LARGE, mobilenetV3Features } from './mobilenet.js';

function doubleConv(b: NetBuilder, p: string, x: string, out: number): string {
  let y = b.act(`${p}.2`, b.bn(`${p}.1`, b.conv(`${p}.0`, x, out, 3, { padding: 1, bias: false })), 'relu');
  y = b.act(`${p}.5`, b.bn(`${p}.4`, b.conv(`${p}.3`, y, out, 3, { padding: 1, bias: false })), 'relu');
  return y;
}

export interface UNetOptions {
  resolution?: Resolution;
  base?: number;
  depth?: number;
  classes?: number;
}

export function unet({ resolution = 256, base = 64, depth = 4, classes = 2 }: UNetOptions = {}): NetworkSpec {
  const b = new NetBuilder('unet', imageInput(resolution), `U-Net, ${depth} levels, base width ${base}, ConvTranspose2d upsampling`);
  const skips = [doubleConv(b, 'inc', 'input', base)];
  for (let i = 1; i <= depth; i++) {
    const pooled = b.add(`down${i}.0`, 'maxPool2d', skips[i - 1], { kernelSize: 2 });
    skips.push(doubleConv(b, `down${i}.1`, pooled, base * 2 ** i));
  }
  let x = skips[depth];
  for (let i = 1; i <= depth; i++) {
    const width = base * 2 ** (depth - i);
    const up = b.add(`up${i}`, 'convTranspose2d', x, { outChannels: width, kernelSize: 2, stride: 2 });
    x = doubleConv(b, `conv${i}`, b.add(`cat${i}`, 'concat', [skips[depth - i], up]), width);
  }
  b.conv('outc', x, classes, 1);
  return b.build();
}

/** torchvision's DeepLabHead: ASPP (rates 12, 24, 36 and image pooling) → 3×3 to 256, BN, ReLU → 1×1 classifier; bilinear to the input size. */
function deeplabHead(b: NetBuilder, high: string, classes: number, full: [number, number]): string {
  const [, , fh, fw] = b.shape(high);
  const aspp = 'classifier.0';
  const branches = [b.convBnAct(`${aspp}.convs.0`, high, 256, 1)];
  [12, 24, 36].forEach((rate, i) => branches.push(b.convBnAct(`${aspp}.convs.${i + 1}`, high, 256, 3, { padding: rate, dilation: rate })));
  let pool = b.add(`${aspp}.convs.4.0`, 'adaptiveAvgPool2d', high, { outputSize: 1 });
  pool = b.act(`${aspp}.convs.4.3`, b.bn(`${aspp}.convs.4.2`, b.conv(`${aspp}.convs.4.1`, pool, 256, 1, { bias: false })), 'relu');
  // ASPPPooling.forward's and the model's F.interpolate: function calls
  branches.push(b.functional(b.add(`${aspp}.convs.4.upsample`, 'upsample', pool, { mode: 'bilinear', size: [fh, fw], alignCorners: false })));
  let x = b.add(`${aspp}.cat`, 'concat', branches);
  x = b.add(`${aspp}.project.3`, 'dropout', b.convBnAct(`${aspp}.project`, x, 256, 1), { p: 0.5 });
  // torchvision's DeepLabHead is one nn.Sequential: ASPP, then 3×3 conv, BN, ReLU (classifier.1–3), then the 1×1
  x = b.act('classifier.3', b.bn('classifier.2', b.conv('classifier.1', x, 256, 3, { bias: false, padding: 1 })), 'relu');
  x = b.conv('classifier.4', x, classes, 1);
  return b.functional(b.add('out', 'upsample', x, { mode: 'bilinear', size: full, alignCorners: false }));
}

/** torchvision's FCNHead: 3×3 to in/4 channels, BN, ReLU, dropout 0.1, 1×1 classifier; bilinear to the input size. */
function fcnHead(b: NetBuilder, p: string, x: string, classes: number, full: [number, number], out: string): string {
  let y = b.convBnAct(p, x, Math.floor(b.ch(x) / 4), 3);
  y = b.conv(`${p}.4`, b.add(`${p}.3`, 'dropout', y, { p: 0.1 }), classes, 1);
  return b.functional(b.add(out, 'upsample', y, { mode: 'bilinear', size: full, alignCorners: false }));
}

/** A dilated ResNet-50 or -101 trunk (output stride 8), the head on layer4, the auxiliary FCN head on layer3. */
function resnetSegmentation(name: string, head: 'deeplabv3' | 'fcn', depths: number[], resolution: Resolution, classes: number): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.segmentation.${name} (aux_loss=True)`);
  const [, , layer3, layer4] = resnetTrunk(b, 'bottleneck', depths, 'backbone.', [false, true, true]);
  const full = sides(resolution);
  const out = head === 'deeplabv3' ? deeplabHead(b, layer4, classes, full) : fcnHead(b, 'classifier', layer4, classes, full, 'out');
  return b.build([out, fcnHead(b, 'aux_classifier', layer3, classes, full, 'aux')]);
}

export const deeplabv3_resnet50 = (resolution: Resolution = 520, classes = 21) => resnetSegmentation('deeplabv3_resnet50', 'deeplabv3', [3, 4, 6, 3], resolution, classes);
export const deeplabv3_resnet101 = (resolution: Resolution = 520, classes = 21) => resnetSegmentation('deeplabv3_resnet101', 'deeplabv3', [3, 4, 23, 3], resolution, classes);
export const fcn_resnet50 = (resolution: Resolution = 520, classes = 21) => resnetSegmentation('fcn_resnet50', 'fcn', [3, 4, 6, 3], resolution, classes);
export const fcn_resnet101 = (resolution: Resolution = 520, classes = 21) => resnetSegmentation('fcn_resnet101', 'fcn', [3, 4, 23, 3], resolution, classes);

/** DeepLabV3 on the dilated MobileNetV3-Large (1/16, 960 channels); the auxiliary FCN head on features.4 (1/8, 40 channels), as LR-ASPP's low branch. */
export function deeplabv3_mobilenet_v3_large(resolution: Resolution = 520, classes = 21): NetworkSpec {
  const b = new NetBuilder('deeplabv3_mobilenet_v3_large', imageInput(resolution), 'torchvision.models.segmentation.deeplabv3_mobilenet_v3_large (aux_loss=True)');
  const features = mobilenetV3Features(b, V3_LARGE, 'backbone.', true);
  const full = sides(resolution);
  const out = deeplabHead(b, features[features.length - 1], classes, full);
  return b.build([out, fcnHead(b, 'aux_classifier', features[4], classes, full, 'aux')]);
}

export function lraspp_mobilenet_v3_large(resolution: Resolution = 520, classes = 21): NetworkSpec {
  const b = new NetBuilder('lraspp_mobilenet_v3_large', imageInput(resolution), 'torchvision.models.segmentation.lraspp_mobilenet_v3_large');
  const features = mobilenetV3Features(b, V3_LARGE, 'backbone.', true);
  // torchvision: low = the block before the third-last stride (features.4, 1/8), high = the last (1/16)
  const [low, high] = [features[4], features[features.length - 1]];
  const h = 'classifier';
  let x = b.act(`${h}.cbr.2`, b.bn(`${h}.cbr.1`, b.conv(`${h}.cbr.0`, high, 128, 1, { bias: false })), 'relu');
  let s = b.add(`${h}.scale.0`, 'adaptiveAvgPool2d', high, { outputSize: 1 });
  s = b.act(`${h}.scale.2`, b.conv(`${h}.scale.1`, s, 128, 1, { bias: false }), 'sigmoid');
  x = b.add(`${h}.mul`, 'mul', [x, s]);
  const [, , lh, lw] = b.shape(low);
  x = b.functional(b.add(`${h}.upsample`, 'upsample', x, { mode: 'bilinear', size: [lh, lw], alignCorners: false }));
  x = b.add(`${h}.add`, 'add', [b.conv(`${h}.low_classifier`, low, classes, 1), b.conv(`${h}.high_classifier`, x, classes, 1)]);
  return b.build([b.functional(b.add('out', 'upsample', x, { mode: 'bilinear', size: sides(resolution), alignCorners: false }))]);
}
