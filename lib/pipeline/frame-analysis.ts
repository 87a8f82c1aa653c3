/**
 * The analysis step every video pipeline runs on a frame's features: clusters with stable
 * colours, a similarity map, or a PCA picture whose component signs stay aligned from frame to
 * frame. The offline and live presets (segment-video.ts, live/stream.ts) share it; new stages
 * (tracking, matching) join here.
 * @module
 */
import type { Heatmap, PatchIndex, PcaResult, PixelPoint } from '../analysis/types';
import type { Features } from '../features';
import type { ClusterTracker, TrackedClusters } from './cluster-tracker';
import { alignPcaSigns } from './pca-signs';

/** What to compute for a frame. */
export type AnalysisMode =
  | { kind: 'segment'; tracker: ClusterTracker }
  | { kind: 'heatmap'; target: PatchIndex | PixelPoint }
  | { kind: 'pca' };

export interface FrameAnalysisResult {
  clusters: TrackedClusters | undefined;
  heatmap: Heatmap | undefined;
  pca: PcaResult | undefined;
}

/** Runs the analysis of successive frames of one stream (it keeps the previous PCA for the signs). */
export class FrameAnalysis {
  #previousPca: PcaResult | undefined;

  async run(features: Features, mode: AnalysisMode, signal?: AbortSignal): Promise<FrameAnalysisResult> {
    if (mode.kind === 'segment') return { clusters: await mode.tracker.update(features, signal), heatmap: undefined, pca: undefined };
    if (mode.kind === 'heatmap') return { clusters: undefined, heatmap: await features.similarity(mode.target), pca: undefined };
    const pca = alignPcaSigns(this.#previousPca, await features.pca({ components: 3, ...(signal ? { signal } : {}) }));
    this.#previousPca = pca;
    return { clusters: undefined, heatmap: undefined, pca };
  }
}
