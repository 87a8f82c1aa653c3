/**
 * `dinov3-trt/testing`: what tests and demos of code built on dinov3-trt need and a running
 * service does not — a seeded, DINOv3-shaped ONNX model made in memory (right contract, untrained
 * weights: it tests the plumbing, never the semantics) and the typed ONNX graph builder it is made
 * with.
 *
 * @example
 * ```ts
 * import { writeTinyDinov3 } from 'dinov3-trt/testing';
 * import { loadModel } from 'dinov3-trt';
 * await writeTinyDinov3('/tmp/tiny.onnx', { depth: 2, seed: 1 });
 * const model = await loadModel('/tmp/tiny.onnx');
 * ```
 * @module dinov3-trt/testing
 */
export {
  buildTinyDinov3,
  writeTinyDinov3,
  type TinyDinov3Config,
  type TinyDinov3Dtype,
  type TinyDinov3File,
  type TinyDinov3FixedSize,
  type TinyDinov3Options,
} from './onnx/tiny-dinov3';
export { attr, OnnxGraphBuilder, tensorFloat16, tensorFloat32, tensorInt64, type GraphBuilderOptions, type NodeOptions } from './onnx/builder';
export type { AttributeValue, GraphSpec, ModelSpec, NodeSpec, TensorSpec, ValueInfoSpec } from './onnx/writer';
