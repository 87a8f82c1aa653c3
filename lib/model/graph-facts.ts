/**
 * Reads what the model contract needs from the ONNX graph itself (patch-embedding Conv,
 * embedding dim) plus a summary for `info`, without loading the weights.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { inspectOnnx } from '../onnx/inspect';
import type { GraphFacts } from './contract';

/** Facts about the graph, reported by {@link ModelInfo.graph}. */
export interface GraphSummary {
  /** Default-domain opset version. */
  opset: number | undefined;
  /** Nodes in the main graph. */
  nodes: number;
  /** Bytes of weights (inline and external). */
  parameterBytes: number;
  /** Weights are stored in external data files. */
  externalData: boolean;
  /** The graph contains LayerNormalization (opset 17) nodes: TensorRT 8.5 cannot parse them. */
  hasLayerNorm: boolean;
  /** The graph contains If nodes (the DINOv3 RoPE export problem on TensorRT 10.3). */
  hasIf: boolean;
  /** Any weights are float16. */
  fp16Weights: boolean;
}

export interface GraphInfo extends GraphFacts {
  summary: GraphSummary;
}

export async function readGraphFacts(path: string): Promise<GraphInfo> {
  const info = await inspectOnnx(path);
  if (info.externalData.missing.length > 0) {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `The model's weights are stored in external data file(s) that are missing next to it: ${info.externalData.missing.join(', ')}`,
    );
  }
  const facts: GraphInfo = {
    summary: {
      opset: info.opsetVersion,
      nodes: info.nodeCount,
      parameterBytes: info.initializers.totalBytes,
      externalData: info.externalData.used,
      hasLayerNorm: info.hasLayerNormalization,
      hasIf: info.hasIfNodes,
      fp16Weights: info.hasFp16Weights,
    },
  };
  if (info.patchEmbedding?.patchSize !== undefined) facts.patchSize = info.patchEmbedding.patchSize;
  if (info.embeddingDim !== undefined) facts.embedDim = info.embeddingDim;
  return facts;
}
