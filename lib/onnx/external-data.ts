/**
 * Checks the external data files an ONNX model references: present next to the model, large
 * enough, and inside the model's directory. Only `stat` is used; no data byte is read.
 * @module
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { tensorBytes, type NodeAtDepth } from './analyze';
import type { OnnxExternalDataInfo, OnnxExternalFile, OnnxExternalFileStatus } from './inspect-types';
import type { ParsedGraph, ParsedTensor } from './model-types';

interface FileTally {
  tensorCount: number;
  requiredBytes: number;
}

function externalTensors(graph: ParsedGraph, nodes: readonly NodeAtDepth[]): ParsedTensor[] {
  const out = graph.initializers.filter((t) => t.external);
  for (const { node } of nodes) {
    for (const a of node.attributes) {
      if (a.t?.external) out.push(a.t);
      for (const t of a.tensors) if (t.external) out.push(t);
    }
  }
  return out;
}

function tallyByLocation(tensors: readonly ParsedTensor[]): Map<string, FileTally> {
  const files = new Map<string, FileTally>();
  for (const t of tensors) {
    const location = t.externalData['location'] ?? '';
    const offset = Number(t.externalData['offset'] ?? '0');
    const end = (Number.isFinite(offset) ? offset : 0) + tensorBytes(t);
    const tally = files.get(location) ?? { tensorCount: 0, requiredBytes: 0 };
    tally.tensorCount++;
    tally.requiredBytes = Math.max(tally.requiredBytes, end);
    files.set(location, tally);
  }
  return files;
}

function insideDir(baseDir: string, location: string): string | undefined {
  if (location === '' || isAbsolute(location)) return undefined;
  const full = resolve(baseDir, location);
  const rel = relative(resolve(baseDir), full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return full;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Describes the external data files of `graph` (whose nodes, subgraphs included, are `nodes`).
 * With `baseDir` (the model's directory) each file is checked with `stat`; without it every
 * file is reported `'unchecked'`.
 */
export async function checkExternalData(graph: ParsedGraph, nodes: readonly NodeAtDepth[], baseDir: string | undefined): Promise<OnnxExternalDataInfo> {
  const tallies = tallyByLocation(externalTensors(graph, nodes));
  const files: OnnxExternalFile[] = [];
  for (const [location, tally] of tallies) {
    let status: OnnxExternalFileStatus = 'unchecked';
    let path: string | undefined;
    let actualBytes: number | undefined;
    if (baseDir !== undefined) {
      path = insideDir(baseDir, location);
      if (path === undefined) status = 'outside-model-dir';
      else {
        actualBytes = await fileSize(path);
        if (actualBytes === undefined) status = 'missing';
        else status = actualBytes < tally.requiredBytes ? 'too-small' : 'ok';
      }
    }
    files.push({ location, path, status, tensorCount: tally.tensorCount, requiredBytes: tally.requiredBytes, actualBytes });
  }
  return {
    used: files.length > 0,
    files,
    missing: files.filter((f) => f.status === 'missing').map((f) => f.location),
  };
}
