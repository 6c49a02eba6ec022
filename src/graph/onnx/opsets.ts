/**
 * The ai.onnx opsets the importer reads. Its mappers follow the operator specs from opset 7 (NumPy
 * broadcasting; opsets 1–6 broadcast by attribute, BatchNormalization took is_test and spatial,
 * consumed_inputs everywhere) to opset 21 (GroupNormalization's per-channel scale, QuantizeLinear's
 * output_dtype; Gelu and GridSample's renamed modes at 20; dilated AveragePool at 19). A model of a
 * later opset is read by those definitions, with a warning (analysis/import-warnings.ts): ONNX
 * releases a new opset about twice a year, and most of its operators stay as they were, so a newer
 * exporter's file is read rather than refused. One before 7 is refused: its operators broadcast by
 * attribute. This file imports nothing, so analysis and import may share it.
 */

/** The first ai.onnx opset the importer reads. */
export const OLDEST_READ_OPSET = 7;
/** The last ai.onnx opset whose operator changes the importer's mappers follow. */
export const NEWEST_READ_OPSET = 21;

/** Why a model's ai.onnx opset cannot be read, or null when it can (perhaps with a warning). */
export function opsetRefusal(opset: number): string | null {
  if (opset < OLDEST_READ_OPSET) {
    return `the model declares ai.onnx opset ${opset}; convlens reads opsets from ${OLDEST_READ_OPSET} (before opset 7, Add, Mul and the like broadcast by attribute and BatchNormalization's attributes differ): convert it first, e.g. onnx.version_converter.convert_version(model, 13)`;
  }
  return null;
}
