/**
 * Reads what the model contract needs from the ONNX graph itself (patch-embedding Conv,
 * embedding dim) plus a summary for `info`, without loading the weights.
 * Internal: not part of the public API.
 * @module
 */
import { dirname, resolve } from 'node:path';

import { DinoError } from '../errors';
import type { IoInfo } from '../backends/backend';
import { inspectOnnx } from '../onnx/inspect';
import type { OnnxTensorInfo } from '../onnx/inspect-types';
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
  /** The graph's inputs and outputs as declared in the file (what the contract is detected from). */
  inputs: IoInfo[];
  outputs: IoInfo[];
  /** The ONNX file followed by every external data file it references (what the engine key hashes). */
  files: string[];
}

function ioInfo(t: OnnxTensorInfo): IoInfo {
  return { name: t.name, type: t.elemType, shape: t.shape ? [...t.shape] : [] };
}

/** Reads the graph facts with one pass of the streaming inspector (the weights are skipped, not read). */
export async function readGraphFacts(path: string): Promise<GraphInfo> {
  const info = await inspectOnnx(path);
  if (info.externalData.missing.length > 0) {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `The model's weights are stored in external data file(s) that are missing next to it: ${info.externalData.missing.join(', ')}`,
    );
  }
  const facts: GraphInfo = {
    inputs: info.inputs.map(ioInfo),
    outputs: info.outputs.map(ioInfo),
    files: [path, ...info.externalData.files.map((f) => f.path ?? resolve(dirname(path), f.location))],
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
