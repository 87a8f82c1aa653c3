/**
 * Facts about a parsed ONNX graph that the DINOv3 model contract needs: the patch-embedding
 * Conv, LayerNormalization and If nodes, register-token initializers, weight types and sizes.
 * Pure functions over a {@link ParsedGraph}; no I/O.
 * @module
 */
import type {
  OnnxInitializerSummary,
  OnnxNamedDims,
  OnnxPatchEmbedding,
  OnnxTensorInfo,
  OnnxTypeTally,
} from './inspect-types';
import type { ParsedAttribute, ParsedGraph, ParsedNode, ParsedTensor, ParsedValueInfo } from './model-types';
import { denseByteSize, elemTypeName, type OnnxElemType } from './schema';

/** A node and its nesting depth (0 = main graph). */
export interface NodeAtDepth {
  readonly node: ParsedNode;
  readonly depth: number;
}

/** Every node of `graph` and of its subgraphs (depth first, in order), with its nesting depth. */
export function allNodes(graph: ParsedGraph, depth = 0, out: NodeAtDepth[] = []): NodeAtDepth[] {
  for (const node of graph.nodes) {
    out.push({ node, depth });
    for (const attr of node.attributes) {
      if (attr.g) allNodes(attr.g, depth + 1, out);
      for (const g of attr.graphs) allNodes(g, depth + 1, out);
    }
  }
  return out;
}

/** Op histogram over `nodes` (from {@link allNodes}); non-default domains are keyed `domain::Op`. */
export function opHistogram(nodes: readonly NodeAtDepth[]): Record<string, number> {
  const hist: Record<string, number> = {};
  for (const { node } of nodes) {
    const key = node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}::${node.opType}`;
    hist[key] = (hist[key] ?? 0) + 1;
  }
  return hist;
}

/** Converts a ValueInfo to the public tensor description. */
export function tensorInfo(v: ParsedValueInfo): OnnxTensorInfo {
  if (v.type.kind !== 'tensor') return { name: v.name, elemType: 'undefined', elemTypeCode: 0, shape: undefined };
  return {
    name: v.name,
    elemType: elemTypeName(v.type.elemTypeCode) ?? 'undefined',
    elemTypeCode: v.type.elemTypeCode,
    shape: v.type.shape,
  };
}

/** Graph inputs that are not initializers (IR < 4 models list weights as inputs too). */
export function realInputs(graph: ParsedGraph): ParsedValueInfo[] {
  const init = new Set(graph.initializers.map((t) => t.name));
  return graph.inputs.filter((v) => !init.has(v.name));
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Data bytes of one tensor: external `length`, else dense size from dims and type, else inline bytes. */
export function tensorBytes(t: ParsedTensor): number {
  if (t.external) {
    const length = Number(t.externalData['length']);
    if (Number.isFinite(length) && length >= 0 && t.externalData['length'] !== undefined) return length;
  }
  return denseByteSize(t.dataType, elementCount(t.dims)) ?? t.inlineBytes;
}

/** Counts and sizes of the initializers. */
export function summarizeInitializers(graph: ParsedGraph): OnnxInitializerSummary {
  let totalBytes = 0;
  let inlineBytes = 0;
  let externalBytes = 0;
  const byElemType: Partial<Record<OnnxElemType, OnnxTypeTally>> = {};
  for (const t of graph.initializers) {
    const bytes = tensorBytes(t);
    totalBytes += bytes;
    if (t.external) externalBytes += bytes;
    else inlineBytes += t.inlineBytes;
    const type = elemTypeName(t.dataType) ?? 'undefined';
    const prev = byElemType[type];
    byElemType[type] = { count: (prev?.count ?? 0) + 1, bytes: (prev?.bytes ?? 0) + bytes };
  }
  return { count: graph.initializers.length, totalBytes, inlineBytes, externalBytes, byElemType };
}

/** Initializers whose name contains "register" (any case), and a register count read from their dims. */
export function registerInfo(graph: ParsedGraph): { initializers: OnnxNamedDims[]; countHint: number | undefined } {
  const initializers = graph.initializers
    .filter((t) => /register/i.test(t.name))
    .map((t) => ({ name: t.name, dims: t.dims }));
  let countHint: number | undefined;
  for (const { dims } of initializers) {
    // [1, R, D] or [R, D] token tables: R is the second-to-last dim.
    if (dims.length >= 2) {
      countHint = dims[dims.length - 2];
      break;
    }
  }
  return { initializers, countHint };
}

function attr(node: ParsedNode, name: string): ParsedAttribute | undefined {
  return node.attributes.find((a) => a.name === name);
}

function intsAttr(node: ParsedNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && a.ints.length > 0 ? a.ints.map(Number) : undefined;
}

const PASS_THROUGH = new Set(['Cast', 'Identity']);

/** Finds the tensor behind `name`, following Identity/Cast producers and Constant nodes. */
function resolveTensor(
  name: string,
  initializers: ReadonlyMap<string, ParsedTensor>,
  producers: ReadonlyMap<string, ParsedNode>,
): ParsedTensor | undefined {
  let current = name;
  for (let hops = 0; hops < 8; hops++) {
    const init = initializers.get(current);
    if (init) return init;
    const node = producers.get(current);
    if (!node) return undefined;
    if (node.opType === 'Constant') {
      const value = attr(node, 'value')?.t;
      return value ? { ...value, name: value.name || current } : undefined;
    }
    const next = node.inputs[0];
    if (!PASS_THROUGH.has(node.opType) || next === undefined) return undefined;
    current = next;
  }
  return undefined;
}

/** Picks the image input: `pixel_values`, else the first 4-D input with 3 channels, else the first input. */
export function imageInput(inputs: readonly ParsedValueInfo[]): ParsedValueInfo | undefined {
  const byName = inputs.find((v) => v.name === 'pixel_values');
  if (byName) return byName;
  const rgb = inputs.find((v) => v.type.kind === 'tensor' && v.type.shape?.length === 4 && v.type.shape[1] === 3);
  return rgb ?? inputs[0];
}

/** The first Conv fed by the image input, directly or through Cast/Identity nodes. */
export function findPatchEmbedding(graph: ParsedGraph): OnnxPatchEmbedding | undefined {
  const image = imageInput(realInputs(graph));
  if (!image) return undefined;
  const reach = new Map<string, 'direct' | 'cast'>([[image.name, 'direct']]);
  const producers = new Map<string, ParsedNode>();
  for (const node of graph.nodes) for (const out of node.outputs) producers.set(out, node);
  const initializers = new Map(graph.initializers.map((t) => [t.name, t] as const));
  // Nodes are topologically sorted, so one pass propagates Cast/Identity chains.
  for (const node of graph.nodes) {
    const src = node.inputs[0];
    if (src === undefined || !reach.has(src)) continue;
    if (PASS_THROUGH.has(node.opType)) {
      for (const out of node.outputs) reach.set(out, 'cast');
      continue;
    }
    if (node.opType !== 'Conv') continue;
    const weight = node.inputs[1] === undefined ? undefined : resolveTensor(node.inputs[1], initializers, producers);
    const weightDims = weight?.dims;
    const kernelShape = intsAttr(node, 'kernel_shape') ?? weightDims?.slice(2) ?? [];
    const strides = intsAttr(node, 'strides') ?? kernelShape.map(() => 1);
    const group = Number(attr(node, 'group')?.i ?? 1n);
    const k0 = kernelShape[0];
    const square = k0 !== undefined && kernelShape.every((k) => k === k0) && strides.every((s) => s === k0);
    return {
      nodeName: node.name,
      input: image.name,
      via: reach.get(src) ?? 'direct',
      kernelShape,
      strides,
      patchSize: square ? k0 : undefined,
      weightName: weight?.name,
      weightDims,
      outChannels: weightDims?.[0],
      inChannels: weightDims?.[1] === undefined ? undefined : weightDims[1] * group,
    };
  }
  return undefined;
}
