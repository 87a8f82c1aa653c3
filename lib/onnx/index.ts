/**
 * The project's own ONNX tooling, as the public API sees it: the streaming inspector that never
 * loads weights and the types of what it reports. The graph builder, the writer and the seeded
 * tiny DINOv3 test model are in `dinov3-trt/testing` (lib/testing.ts).
 * @module
 */
export { inspectOnnx, inspectOnnxBuffer, type InspectBufferOptions } from './inspect';
export type * from './inspect-types';
export { DataType, elemTypeCode, elemTypeName, type DataTypeCode, type OnnxElemType } from './schema';
