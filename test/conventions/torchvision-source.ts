/**
 * What torchvision's source (0.14, the version scripts/convention_truth.py measures) applies as a
 * function rather than an nn.Module: module-hook tools (thop, torchinfo, ptflops' hooks) count these
 * layers differently. The zoo's generators mark them in the spec's `functional` (src/zoo: BasicConv2d's
 * F.relu and Inception-v3's F.avg_pool2d / F.max_pool2d, DenseNet's F.relu and F.adaptive_avg_pool2d,
 * MobileNetV2's adaptive_avg_pool2d, the segmentation models' F.interpolate), so the service counts
 * them as the tools do; the tests read the same list, against the tools' measured totals.
 */
import { ZOO_BY_NAME } from '../../src/zoo/index.js';

export function functionalLayers(model: string, resolution?: number): string[] {
  const entry = ZOO_BY_NAME.get(model);
  if (!entry) throw new Error(`no zoo model ${model}`);
  return (entry.build(resolution ?? entry.resolution) as { functional?: string[] }).functional ?? [];
}

/** The layers the zoo marks `subclassed`: torchvision's Conv3DSimple / Conv3DNoTemporal(nn.Conv3d) in r3d_18 and mc3_18. */
export function subclassedLayers(model: string, resolution?: number): string[] {
  const entry = ZOO_BY_NAME.get(model);
  if (!entry) throw new Error(`no zoo model ${model}`);
  return (entry.build(resolution ?? entry.resolution) as { subclassed?: string[] }).subclassed ?? [];
}
