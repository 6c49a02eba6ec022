/**
 * What torchvision's source (0.14, the version scripts/convention_truth.py measures) applies as a
 * function rather than an nn.Module, by zoo layer name: module-hook tools (thop, torchinfo,
 * ptflops' hooks) count these layers differently. Read from the model files:
 *
 *   googlenet.py, inception.py  BasicConv2d.forward: F.relu(x, inplace=True)
 *   inception.py                InceptionA/C/E: F.avg_pool2d(x, 3, 1, 1); InceptionB/D: F.max_pool2d(x, 3, 2)
 *   densenet.py                 DenseNet.forward: F.relu(features), F.adaptive_avg_pool2d(out, (1, 1))
 *   mobilenetv2.py              MobileNetV2._forward_impl: nn.functional.adaptive_avg_pool2d(x, (1, 1))
 *   segmentation/deeplabv3.py   ASPPPooling.forward and _SimpleSegmentationModel.forward: F.interpolate
 *
 * Everything else in the zoo's torchvision models is an nn.Module, or a Python operator (`+=`,
 * `*`) for residual additions and SE scalings, which no PyTorch-level tool counts.
 */
import type { ConventionInput } from '../../src/conventions/index.js';

export function functionalLayers(model: string, input: ConventionInput): string[] {
  const names = input.report.layers.map((l) => l.name);
  switch (model) {
    case 'googlenet':
      return names.filter((n) => n.endsWith('.relu'));
    case 'inception_v3':
      return names.filter((n) => n.endsWith('.relu') || /^Mixed_\w+\.(avg|max)_pool$/.test(n));
    case 'densenet121':
      return ['relu', 'avgpool'];
    case 'mobilenet_v2':
      return ['avgpool'];
    case 'deeplabv3_resnet50':
      return ['classifier.0.convs.4.upsample', 'out', 'aux'];
    default:
      return [];
  }
}
