/**
 * `inspectOnnx`: what an ONNX file contains (inputs, outputs, opsets, weights, external data)
 * and the facts the DINOv3 model contract needs (patch size, embedding dim, registers,
 * LayerNormalization, If nodes, fp16), read without loading the weights.
 * @module
 */
import { dirname, resolve } from 'node:path';
import { DinoError, isDinoError } from '../errors';
import {
  findPatchEmbedding,
  opHistogram,
  realInputs,
  registerInfo,
  summarizeInitializers,
  tensorInfo,
  allNodes,
} from './analyze';
import { FileSource, MemorySource, type ByteSource } from './byte-source';
import { checkExternalData } from './external-data';
import type { OnnxModelInfo } from './inspect-types';
import type { ParsedGraph, ParsedModel } from './model-types';
import { parseModel } from './parse';
import { ProtoReader } from './protobuf';

export type * from './inspect-types';

/** Options of {@link inspectOnnxBuffer}. */
export interface InspectBufferOptions {
  /** Directory against which external data locations are checked; without it they are reported `'unchecked'`. */
  readonly baseDir?: string;
}

const SIGNATURES: ReadonlyArray<{ bytes: readonly number[]; what: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (a PyTorch checkpoint?)' },
  { bytes: [0x7b], what: 'a JSON/text file' },
];

async function sniff(source: ByteSource): Promise<string | undefined> {
  const n = Math.min(8, source.size);
  if (n === 0) return undefined;
  await source.load(0, n);
  const head = source.buffer.subarray(0, n); // load(0, n) leaves offset 0 at index 0
  return SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b))?.what;
}

function invalid(label: string, reason: string, cause?: unknown): DinoError {
  return new DinoError('ERR_DINO_INVALID_MODEL', `${label} is not a valid ONNX model: ${reason}`, cause === undefined ? undefined : { cause });
}

async function parseSource(source: ByteSource, label: string): Promise<ParsedModel & { graph: ParsedGraph }> {
  if (source.size === 0) throw invalid(label, 'the file is empty');
  const looksLike = await sniff(source);
  if (looksLike) throw invalid(label, `it looks like ${looksLike}`);
  let model: ParsedModel;
  try {
    model = await parseModel(new ProtoReader(source));
  } catch (err) {
    if (isDinoError(err, 'ERR_DINO_INVALID_MODEL')) {
      throw new DinoError('ERR_DINO_INVALID_MODEL', `${label}: ${err.message}`, { cause: err, details: { ...err.details } });
    }
    if (isDinoError(err)) throw err;
    throw invalid(label, err instanceof Error ? err.message : String(err), err);
  }
  if (model.graph === undefined) throw invalid(label, 'it has no graph (not an ONNX ModelProto)');
  if (model.irVersion <= 0) throw invalid(label, 'it has no ir_version (not an ONNX ModelProto)');
  if (model.opsetImports.length === 0) throw invalid(label, 'it imports no operator set');
  return { ...model, graph: model.graph };
}

async function describe(
  model: ParsedModel & { graph: ParsedGraph },
  source: ByteSource,
  path: string | undefined,
  baseDir: string | undefined,
): Promise<OnnxModelInfo> {
  const graph = model.graph;
  const warnings: string[] = [];
  let subgraphNodeCount = 0;
  const ifNodeNames: string[] = [];
  const nodes = allNodes(graph);
  for (const { node, depth } of nodes) {
    if (depth > 0) subgraphNodeCount++;
    if (node.opType === 'If' && node.domain === '') ifNodeNames.push(node.name);
  }
  const histogram = opHistogram(nodes);
  const layerNormalizationCount = histogram['LayerNormalization'] ?? 0;
  const patchEmbedding = findPatchEmbedding(graph);
  const registers = registerInfo(graph);
  const initializers = summarizeInitializers(graph);
  const externalData = await checkExternalData(graph, nodes, baseDir);

  for (const f of externalData.files) {
    if (f.status === 'missing') warnings.push(`external data file "${f.location}" is missing (expected at ${f.path ?? f.location}, ${f.requiredBytes} bytes for ${f.tensorCount} tensors)`);
    if (f.status === 'too-small') warnings.push(`external data file "${f.location}" has ${f.actualBytes ?? 0} bytes but ${f.requiredBytes} are referenced`);
    if (f.status === 'outside-model-dir') warnings.push(`external data location "${f.location}" is absolute or outside the model directory`);
  }
  if (ifNodeNames.length > 0) warnings.push(`${ifNodeNames.length} If node(s): TensorRT 10.3 cannot parse the RoPE export's If nodes; fold them first`);
  if (!patchEmbedding) warnings.push('no Conv fed by the image input was found (no patch embedding)');
  if (model.graph.sparseInitializerCount > 0) warnings.push(`${model.graph.sparseInitializerCount} sparse initializer(s) are not counted`);

  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    path,
    fileSize: source.size,
    bytesRead: source.bytesRead,
    irVersion: model.irVersion,
    opsetImports: model.opsetImports,
    opsetVersion: opset?.version,
    producer: { name: model.producerName, version: model.producerVersion },
    graphName: graph.name,
    metadata: model.metadata,
    inputs: realInputs(graph).map(tensorInfo),
    outputs: graph.outputs.map(tensorInfo),
    nodeCount: graph.nodes.length,
    subgraphNodeCount,
    opHistogram: histogram,
    initializers,
    externalData,
    patchEmbedding,
    embeddingDim: patchEmbedding?.outChannels,
    hasLayerNormalization: layerNormalizationCount > 0,
    layerNormalizationCount,
    hasIfNodes: ifNodeNames.length > 0,
    ifNodeNames,
    registerInitializers: registers.initializers,
    registerCountHint: registers.countHint,
    hasFp16Weights: (initializers.byElemType.float16?.count ?? 0) > 0,
    warnings,
  };
}

function openError(path: string, err: unknown): DinoError {
  const code = (err as { code?: unknown } | undefined)?.code;
  const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : 'cannot be opened';
  return new DinoError('ERR_DINO_FILE_NOT_FOUND', `ONNX model ${path} ${why}`, { cause: err, details: { path } });
}

/**
 * Inspects the ONNX model at `path` without loading its weights: the file is read through a
 * small positional window and tensor data is skipped by seeking, so a 1.2 GB model costs only
 * the bytes of its graph structure. External data files are checked with `stat` only.
 *
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT if `path` is not a non-empty string;
 *   ERR_DINO_FILE_NOT_FOUND if it cannot be opened; ERR_DINO_INVALID_MODEL if it is not an
 *   ONNX model or is truncated (the message says how many bytes are missing, and where).
 */
export async function inspectOnnx(path: string): Promise<OnnxModelInfo> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Expected a non-empty string for path but received ${String(path)} of type ${typeof path}`);
  }
  const full = resolve(path);
  let source: FileSource;
  try {
    source = await FileSource.open(full);
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const model = await parseSource(source, `ONNX model ${path}`);
    return await describe(model, source, full, dirname(full));
  } finally {
    await source.close();
  }
}

/**
 * Inspects an ONNX model held in memory. External data files are only checked when
 * `options.baseDir` is given.
 *
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT if `bytes` is not a Uint8Array;
 *   ERR_DINO_INVALID_MODEL if it is not a (complete) ONNX model.
 */
export async function inspectOnnxBuffer(bytes: Uint8Array, options: InspectBufferOptions = {}): Promise<OnnxModelInfo> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Expected a Uint8Array for bytes but received ${typeof bytes}`);
  }
  const source = new MemorySource(bytes);
  const model = await parseSource(source, 'ONNX buffer');
  return describe(model, source, undefined, options.baseDir === undefined ? undefined : resolve(options.baseDir));
}
