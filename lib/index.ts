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
export { Features, type FeatureTimings, type SimilarityTarget } from './features';
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
export type { DeviceImage, DevicePixelFormat } from './image/device-image';
export { decodeImage, type DecodeOptions, type ImageInput, type PixelFormat, type RawImage } from './image/input';
export { DEFAULTS, IMAGENET_MEAN, IMAGENET_STD, type BackendChoice, type ExtractOptions, type LoadOptions } from './options';
export { parseSize, type Size, type SizeLike } from './util/size';
export { readNpy, writeNpy, encodeNpy, decodeNpy, type NpyArray, type NpyData } from './io/npy';
export type { BackendName } from './backends/backend';
export { buildEngine, defaultCacheDir, type EngineInfo } from './tensorrt/build-engine';
export type { BuildEngineOptions, BuildProgress, EngineSizes, Precision } from './tensorrt/options';
export type { AccuracyReport } from './tensorrt/accuracy';
export { openSource, VideoSource, type CaptureResult, type CaptureStatus, type SourceDecoder, type SourceStats } from './video/sources/source';
export { Frame, type FrameFormat, type FrameMemory } from './video/sources/frame';
export type { SourceOptions } from './video/sources/options';
export { parseSourceUri, type ParsedUri, type SourceProtocol } from './video/sources/uri';
export { segmentStream, type LiveFrame, type LiveTimings, type SegmentStreamOptions } from './live/stream';
export { LiveControls, type LiveMode, type LiveSettings } from './live/controls';
export { mjpegServer, serveLive, type LiveService, type MjpegServer, type MjpegServerOptions, type ServeLiveOptions } from './live/server';
export { inspectOnnx, writeTinyDinov3, buildTinyDinov3, type OnnxModelInfo, type TinyDinov3Options } from './onnx';
export { renderHeatmap, type HeatmapRenderOptions } from './render/heatmap';
export { renderSegmentation, SEGMENTATION_DEFAULTS, type LabelGrid, type SegmentationRenderOptions } from './render/segmentation';
export { renderPca, type PcaRenderOptions } from './render/pca';
export { toPng } from './render/png';
export { colormap, colormapColor, COLORMAP_NAMES, type ColormapName } from './render/colormaps';
export { paletteColors, PALETTE_NAMES, type Palette, type PaletteName } from './render/palettes';
export type { RenderBase } from './render/base-image';
export type { Interpolation, Rgb, RgbImage } from './render/types';
export { openVideo, type OpenVideoOptions, type OpenedVideoInfo, type VideoFrame, type VideoReader } from './video/decoder';
export { probeVideo, type VideoInfo } from './video/probe';
export { openVideoWriter, type VideoWriterOptions } from './video/encoder';
export { openFrameWriter, frameFileName } from './video/frame-writer';
export { openImageDir, type ImageDirFrame, type ImageDirReader } from './video/image-dir';
export { ProgressBar, type ProgressStream } from './video/progress';
export type { FrameSink } from './video/sink';
export type { VideoTool } from './video/programs';
export { segmentVideo, type SegmentVideoOptions, type SegmentedFrame } from './pipeline/segment-video';
export { ClusterTracker, CLUSTER_TRACKER_DEFAULTS, type ClusterReset, type ClusterTrackerOptions, type TrackedClusters } from './pipeline/cluster-tracker';
export { openFrameSource, type FrameSource, type FrameSourceOptions, type SourceFrame, type SourceInfo } from './pipeline/source';
export { PipelineStats, type Stage, type StageTimings } from './pipeline/stats';
export { changedShare } from './pipeline/stability';
export type { NativeCaptureFormat, NativeCudaDevice, NativeFrameMemory, NativeFramePlane } from './binding';
export type { GraphSummary } from './model/graph-facts';
export type {
  OnnxDim,
  OnnxElemType,
  OnnxExternalDataInfo,
  OnnxExternalFile,
  OnnxExternalFileStatus,
  OnnxInitializerSummary,
  OnnxNamedDims,
  OnnxOpsetImport,
  OnnxPatchEmbedding,
  OnnxTensorInfo,
  OnnxTypeTally,
  TinyDinov3Config,
  TinyDinov3Dtype,
  TinyDinov3File,
  TinyDinov3FixedSize,
} from './onnx';
export type { Profile } from './tensorrt/profile';
export type { DecodedImage } from './image/input';
export type { PcaPicture } from './render/pca';
