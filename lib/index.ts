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
 * @module dinov3-trt
 */
// Model and features
export { loadModel, Model, type ModelInfo } from './model/model';
export { Features, type FeatureTimings, type SimilarityTarget } from './features';
export { DEFAULTS, type BackendChoice, type ExtractOptions, type LoadOptions } from './options';
export { decodeImage, type DecodeOptions, type DecodedImage, type ImageInput, type PixelFormat, type RawImage } from './image/input';
export type { DeviceImage, DevicePixelFormat } from './image/device-image';
export type { Size, SizeLike } from './util/size';
export type { BackendName } from './backends/backend';
export type { GraphSummary } from './model/graph-facts';

// Analysis
export type {
  Grid,
  Heatmap,
  KMeansOptions,
  KMeansResult,
  PatchIndex,
  PcaOptions,
  PcaResult,
  PixelPoint,
} from './analysis/types';
export { matchPatches, type MatchOptions, type PatchMatch, type PatchMatches } from './analysis/correspondence';
export { readNpy, writeNpy, encodeNpy, type NpyArray, type NpyData } from './io/npy';

// Rendering
export { renderHeatmap, type HeatmapRenderOptions } from './render/heatmap';
export { renderSegmentation, type LabelGrid, type SegmentationRenderOptions } from './render/segmentation';
export { renderPca, type PcaPicture, type PcaRenderOptions } from './render/pca';
export { toPng } from './render/png';
export { COLORMAP_NAMES, type ColormapName } from './render/colormaps';
export type { Palette, PaletteName } from './render/palettes';
export type { RenderBase } from './render/base-image';
export type { Interpolation, Rgb, RgbImage } from './render/types';

// Sources, pipelines, live server
export { openSource, type CaptureResult, type CaptureStatus, type SourceDecoder, type SourceInfo, type SourceStats, type VideoSource } from './video/sources/source';
export type { Frame, FrameFormat, FrameMemory } from './video/sources/frame';
export type { SourceOptions } from './video/sources/options';
export type { ParsedUri, SourceProtocol } from './video/sources/uri';
export type { NativeCaptureFormat, NativeCudaDevice, NativeFrameMemory, NativeFramePlane } from './binding';
export { segmentVideo, type SegmentVideoOptions, type SegmentedFrame } from './pipeline/segment-video';
export { trackVideo, type TrackVideoOptions, type TrackedFrame } from './pipeline/track-video';
export type { PropagationOptions } from './analysis/propagate';
export type { LabelMap } from './io/label-png';
export { segmentStreams, type SegmentStreamsOptions, type StreamResult } from './pipeline/segment-streams';
export { ClusterTracker, type ClusterReset, type ClusterTrackerOptions, type TrackedClusters } from './pipeline/cluster-tracker';
export { PipelineStats, type Stage } from './pipeline/stats';
export type { FrameTimings } from './pipeline/frames';
export { segmentStream, type LiveFrame, type SegmentStreamOptions } from './live/stream';
export { LiveControls, type LiveMode, type LiveSettings } from './live/controls';
export { serveLive, type LiveService, type MjpegServer, type MjpegServerOptions, type ServeLiveOptions } from './live/server';
export { openVideoWriter, type VideoWriterOptions } from './video/encoder';
export type { FrameSink } from './video/sink';
export type { VideoTool } from './video/programs';

// TensorRT
export { buildEngine, type EngineInfo } from './tensorrt/build-engine';
export type { BuildEngineOptions, BuildProgress, EngineSizes, Precision } from './tensorrt/options';
export type { AccuracyReport } from './tensorrt/accuracy';
export type { CandidateResult, EnginePrecision } from './tensorrt/ladder';
export type { Profile } from './tensorrt/profile';

// ONNX model facts
export { inspectOnnx } from './onnx/inspect';
export type {
  OnnxDim,
  OnnxElemType,
  OnnxExternalDataInfo,
  OnnxExternalFile,
  OnnxExternalFileStatus,
  OnnxInitializerSummary,
  OnnxModelInfo,
  OnnxNamedDims,
  OnnxOpsetImport,
  OnnxPatchEmbedding,
  OnnxTensorInfo,
  OnnxTypeTally,
} from './onnx';

// Machine and errors
export { capabilities, type Capabilities, type ComponentStatus } from './capabilities';
export { DinoError, ERROR_CODES, isDinoError, type ErrorCode } from './errors';
