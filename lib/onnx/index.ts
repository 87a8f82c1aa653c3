/**
 * The project's own ONNX tooling: a streaming inspector that never loads weights, a typed graph
 * builder and writer, and the seeded tiny DINOv3-shaped test model.
 * @module
 */
export { inspectOnnx, inspectOnnxBuffer, type InspectBufferOptions } from './inspect';
export type * from './inspect-types';
export { attr, OnnxGraphBuilder, tensorFloat16, tensorFloat32, tensorInt64, type GraphBuilderOptions, type NodeOptions } from './builder';
export { serializeModel, type AttributeValue, type GraphSpec, type ModelSpec, type NodeSpec, type TensorSpec, type ValueInfoSpec } from './writer';
export {
  buildTinyDinov3,
  resolveTinyDinov3Options,
  writeTinyDinov3,
  type TinyDinov3Config,
  type TinyDinov3Dtype,
  type TinyDinov3File,
  type TinyDinov3FixedSize,
  type TinyDinov3Options,
} from './tiny-dinov3';
export { main as makeTinyModelMain, USAGE as MAKE_TINY_MODEL_USAGE, type MakeTinyModelIo } from './make-tiny-model';
export { fromFloat16Array, fromFloat16Bits, toFloat16Array, toFloat16Bits } from './float16';
export { DataType, elemTypeCode, elemTypeName, type DataTypeCode, type OnnxElemType } from './schema';
