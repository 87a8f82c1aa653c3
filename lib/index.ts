/**
 * dinov3-trt: DINOv3 vision features for Node.js — TensorRT on Jetson and NVIDIA GPUs, ONNX
 * Runtime everywhere — with patch similarity, k-means segmentation and PCA on the raw feature
 * tensors.
 *
 * @example
 * ```ts
 * import { loadModel } from 'dinov3-trt';
 * await using model = await loadModel('dinov3-vits16.onnx');
 * const features = await model.extract('cat.jpg', { size: 448 });
 * const heatmap = await features.similarity({ row: 14, col: 14 });
 * const { labels } = await features.kmeans({ k: 4 });
 * ```
 * @packageDocumentation
 */
export { loadModel, Model, type ModelInfo } from './model/model';
export { Features, type FeatureTimings } from './features';
export type { SimilarityTarget } from './analysis/similarity';
export {
  KMEANS_DEFAULTS,
  PCA_DEFAULTS,
  type Grid,
  type Heatmap,
  type KMeansOptions,
  type KMeansResult,
  type PatchIndex,
  type PcaOptions,
  type PcaResult,
  type PixelPoint,
} from './analysis/types';
export { capabilities, type Capabilities, type ComponentStatus } from './capabilities';
export { DinoError, ERROR_CODES, isDinoError, type ErrorCode } from './errors';
export { decodeImage, type DecodeOptions, type ImageInput, type PixelFormat, type RawImage } from './image/input';
export { DEFAULTS, IMAGENET_MEAN, IMAGENET_STD, type BackendChoice, type ExtractOptions, type LoadOptions } from './options';
export { parseSize, type Size, type SizeLike } from './util/size';
export { readNpy, writeNpy, encodeNpy, decodeNpy, type NpyArray, type NpyData } from './io/npy';
export type { BackendName } from './backends/backend';
