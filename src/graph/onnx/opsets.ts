/**
 * The ai.onnx opsets the importer reads. Its mappers follow the operator specs from opset 7 (NumPy
 * broadcasting; opsets 1–6 broadcast by attribute, BatchNormalization took is_test and spatial,
 * consumed_inputs everywhere) to opset 21 (GroupNormalization's per-channel scale, QuantizeLinear's
 * output_dtype; Gelu and GridSample's renamed modes at 20; dilated AveragePool at 19). A model of a
 * later opset that ONNX has released is read by those definitions, with a warning
 * (analysis/import-warnings.ts); one before 7 or past the newest release is refused, since what its
 * operators mean is not known here. This file imports nothing, so analysis and import may share it.
 */

/** The first ai.onnx opset the importer reads. */
export const OLDEST_READ_OPSET = 7;
/** The last ai.onnx opset whose operator changes the importer's mappers follow. */
export const NEWEST_READ_OPSET = 21;
/** The newest ai.onnx opset an ONNX release defines (ONNX 1.19: opset 24); past it the file is refused. */
export const NEWEST_ONNX_OPSET = 24;

/** Why a model's ai.onnx opset cannot be read, or null when it can (perhaps with a warning). */
export function opsetRefusal(opset: number): string | null {
  if (opset < OLDEST_READ_OPSET) {
    return `the model declares ai.onnx opset ${opset}; convlens reads opsets ${OLDEST_READ_OPSET} to ${NEWEST_ONNX_OPSET} (before opset 7, Add, Mul and the like broadcast by attribute and BatchNormalization's attributes differ): convert it first, e.g. onnx.version_converter.convert_version(model, 13)`;
  }
  if (opset > NEWEST_ONNX_OPSET) {
    return `the model declares ai.onnx opset ${opset}, past opset ${NEWEST_ONNX_OPSET}, the newest ONNX defines as convlens knows it: what its operators mean is unknown, so it is not read (convlens reads opsets ${OLDEST_READ_OPSET} to ${NEWEST_ONNX_OPSET})`;
  }
  return null;
}
