/** onnx-tool's per-instruction costs (onnx_tool/node.py l. 19-37), read by its preset's rule files. */
export const NODE = 'onnx_tool/node.py';
export const MUL = 1;
export const ADD = 1;
export const CMP = 1;
export const DIV = 4;
export const EXP = 32;
export const LOG = 43;
export const SQRT = 24;
export const POW = EXP;
export const RESIZE_LINEAR = 4;
export const RESIZE_CUBIC = 8;
