/**
 * Every warning code a report can carry, with what it means: the structural checks of
 * analysis/warnings.ts and the receptive-field notes the operators raise (ops/receptive-field.ts,
 * ops/deform-conv.ts). The CLI's `--fail-on` accepts exactly these; test/analysis/warning-codes.test.ts
 * checks that every `code: '…'` written under src/analysis and src/ops is listed here.
 * This file imports nothing, so any module may import it without a cycle.
 */
export const WARNING_CODE_DESCRIPTIONS = {
  BATCHNORM_FOLDED: 'an ONNX export whose batch norms the exporter folded into the convolutions',
  EXPORTER_CONSTANTS_AS_BUFFERS: "an ONNX export's constants the exporter computed (onnx::Add_…) added to attention scores, counted as buffers: a relative-position bias gathered from its table, or a mask",
  CONSTANT_LAYERS_NOT_COUNTED: "layers of an ONNX file computing a constant from its literals alone (Swin's shifted-window mask, a detector's anchor grid) too large to fold: listed, left out of the totals as folded constants are",
  EXPORTER_CONSTANTS_COUNTED: "an ONNX export's constants the exporter computed (onnx::Add_…, read by element-wise layers) counted as parameters: a gathered bias table or a mask, where the PyTorch module holds fewer",
  UNSUPPORTED_OPERATOR: 'an operator convlens cannot analyse; the totals are incomplete',
  LAYERS_NOT_ANALYSED: 'layers downstream of an unsupported operator, whose input shape is unknown',
  CHANNELS_NOT_MULTIPLE_OF_8: 'a weighted layer outputs a channel count that is not a multiple of 8',
  FINAL_FEATURE_MAP_TOO_SMALL: 'the final feature map is smaller than 3×3',
  INPUT_NOT_MULTIPLE_OF_STRIDE: 'the input size is not a multiple of the total stride',
  RECEPTIVE_FIELD_EXCEEDS_INPUT: 'an output unit\'s box is wider than the input: it reaches padding, or is the envelope of a broadcast or tiled operand\'s reads',
  FC_DOMINATES: 'one fully connected layer holds most of the parameters or MACs',
  UNUSED_LAYER: 'a layer nobody reads and no declared output: it does not run at inference',
  NOT_RUN_AT_THIS_SIZE: 'a layer no declared output depends on (a training-only head) that could not run at this input size: its parameters count, it and the layers after it have no shapes or costs',
  MISALIGNED_PATHS: 'a merge of paths with different effective strides or centres',
  DATA_DEPENDENT_RECEPTIVE_FIELD: 'a deformable convolution or grid sampling, whose receptive field depends on learned offsets or the grid values',
  DATA_DEPENDENT_SHAPE: 'an output whose size depends on tensor values (TopK with a computed k, NonMaxSuppression): analysed at its stated upper bound',
  NORMALISATION_RECEPTIVE_FIELD: 'a normalisation by statistics over the spatial dims (groupNorm, instanceNorm, layerNorm over H, W): the field turns global (spans the normalised dims when they are some of H, W only); the warning gives the local field before it',
  WEIGHTS_SHARED: 'layers that read weights an earlier layer holds (a head applied to every pyramid level): counted once, at the first reader',
  IF_BOTH_BRANCHES_COUNTED: 'an ONNX If inlined with both branches (its condition computed at import): the costs of both are counted, an upper bound of the branch taken',
  ONNX_OPSET_NEWER_THAN_READ: 'an ONNX model of an ai.onnx opset after 27: its operators are read by their opset-27 definitions',
  ONNX_OPERATOR_BEFORE_OPSET: "ONNX nodes of an operator the model's ai.onnx opset predates (Range at opset 7; onnxruntime refuses the file): read by the operator's first definition",
  ONNX_OPERATOR_DEPRECATED: "ONNX nodes of an operator the model's ai.onnx opset has deprecated (Upsample at opset 10 or later, Scatter at 11 or later; onnx.checker and onnxruntime refuse the file): read by the operator's last definition before (Upsample-9, Scatter-9)",
  ROI_ALIGN_MODE_DEFAULTED: "an ONNX RoiAlign at opset ≥ 16 that states no coordinate_transformation_mode: ONNX's default half_pixel is run; torchvision < 0.15 exports omit it for models that ran aligned=False",
  ATTENTION_RECEPTIVE_FIELD: 'self-attention: global attention makes the field global; windowed attention reads exactly the window holding the unit',
} as const satisfies Record<string, string>;

export type WarningCode = keyof typeof WARNING_CODE_DESCRIPTIONS;

/** The codes, in the order above. */
export const WARNING_CODES = Object.keys(WARNING_CODE_DESCRIPTIONS) as readonly WarningCode[];

export function isWarningCode(code: string): code is WarningCode {
  return Object.hasOwn(WARNING_CODE_DESCRIPTIONS, code);
}
