/**
 * The engine cache: `<dir>/<key>.engine` (the serialized plan) and `<dir>/<key>.json` (a sidecar
 * recording every key field, the plan's size and sha256, the precision and the accuracy check),
 * plus one TensorRT timing cache per TensorRT version and GPU. Files are written to a temporary
 * name and renamed, so a crash never leaves a half-written engine under the real name. A plan
 * whose sidecar is missing, unreadable or disagrees, or whose bytes do not match it, is never
 * trusted.
 * Internal: not part of the public API.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DinoError } from '../errors';
import type { AccuracyReport } from './accuracy';
import type { CandidateResult } from './ladder';
import { canonicalJson, differingFields, type EngineKeyFields, type OnnxStamp } from './cache-key';

/** What the sidecar records. */
export interface EngineRecord {
  format: 1;
  key: string;
  fields: EngineKeyFields;
  onnxPath: string;
  /** Sizes and mtimes of the ONNX files when they were hashed: unchanged, the hash is reused. */
  onnxStamp?: OnnxStamp;
  /** Precision of the engine as built. */
  precision: 'fp32' | 'fp16' | 'bf16';
  /** The accuracy check against ONNX Runtime. */
  accuracy: AccuracyReport;
  /** Why this engine is (or is not) the one in use, one clause per candidate tried so far. */
  decision: string;
  /** The ladder up to and including this candidate: each precision's outcome and why. */
  candidates?: CandidateResult[];
  /** undefined when the engine failed its check (no plan is kept then). */
  plan: { bytes: number; sha256: string } | undefined;
  builtAt: string;
  buildMs: number;
  /** TensorRT warnings during the build. */
  warnings: string[];
}

export type CacheLookup =
  | { status: 'miss' }
  | { status: 'hit'; record: EngineRecord; plan: Buffer | undefined }
  | { status: 'stale'; reason: string };

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new DinoError('ERR_DINO_ENGINE_BUILD', `Could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export class EngineCache {
  constructor(readonly dir: string) {}

  planPath(key: string): string {
    return join(this.dir, `${key}.engine`);
  }

  sidecarPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  timingCachePath(tensorrt: string, gpu: string): string {
    return join(this.dir, `timing-trt${tensorrt}-${gpu.replace(/[^A-Za-z0-9]+/g, '_')}.cache`);
  }

  /** Looks an engine up and verifies sidecar and plan bytes against what is expected. */
  async lookup(key: string, expected: EngineKeyFields): Promise<CacheLookup> {
    let text: string;
    try {
      text = await readFile(this.sidecarPath(key), 'utf8');
    } catch {
      return { status: 'miss' };
    }
    let record: EngineRecord;
    try {
      record = JSON.parse(text) as EngineRecord;
    } catch {
      return { status: 'stale', reason: `its sidecar ${this.sidecarPath(key)} is not valid JSON` };
    }
    if (record.format !== 1 || record.key !== key || !record.fields) {
      return { status: 'stale', reason: 'its sidecar is from another version of dinov3-trt' };
    }
    const differing = differingFields(record.fields, expected);
    if (differing.length > 0) return { status: 'stale', reason: `its sidecar disagrees on ${differing.join(', ')}` };
    if (!record.plan) return { status: 'hit', record, plan: undefined }; // a remembered failed check
    let plan: Buffer;
    try {
      plan = await readFile(this.planPath(key));
    } catch {
      return { status: 'stale', reason: `its plan ${this.planPath(key)} is missing` };
    }
    if (plan.length !== record.plan.bytes || sha256(plan) !== record.plan.sha256) {
      return { status: 'stale', reason: `its plan ${this.planPath(key)} does not match the sidecar (size or sha256 differ: truncated or overwritten)` };
    }
    return { status: 'hit', record, plan };
  }

  /** Stores an engine (plan may be undefined for a failed check that should be remembered). */
  async store(record: EngineRecord, plan: Uint8Array | undefined): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (plan) {
      record.plan = { bytes: plan.length, sha256: sha256(plan) };
      await atomicWrite(this.planPath(record.key), plan);
    } else {
      record.plan = undefined;
      await rm(this.planPath(record.key), { force: true });
    }
    // The sidecar goes last: an engine without a matching sidecar is never used.
    await atomicWrite(this.sidecarPath(record.key), `${JSON.stringify(record, null, 2)}\n`);
  }

  /**
   * The sha256 a sidecar recorded for `onnxPath` when its files had exactly these sizes and
   * mtimes (then the bytes are taken as unchanged and not hashed again); undefined otherwise.
   */
  async knownSha(onnxPath: string, stamp: OnnxStamp): Promise<string | undefined> {
    for (const record of await this.#records()) {
      if (record.onnxPath === onnxPath && record.onnxStamp && canonicalJson(record.onnxStamp) === canonicalJson(stamp)) {
        return record.fields?.onnxSha256;
      }
    }
    return undefined;
  }

  /** Records a new stamp for an entry whose ONNX was rehashed and found unchanged. */
  async restamp(record: EngineRecord, stamp: OnnxStamp): Promise<void> {
    if (canonicalJson(record.onnxStamp ?? null) === canonicalJson(stamp)) return;
    await atomicWrite(this.sidecarPath(record.key), `${JSON.stringify({ ...record, onnxStamp: stamp }, null, 2)}\n`);
  }

  async #records(): Promise<EngineRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: EngineRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        const r = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as EngineRecord;
        if (r && typeof r === 'object' && typeof r.key === 'string') out.push(r);
      } catch {
        // not ours or unreadable: leave it
      }
    }
    return out;
  }

  /** Removes one entry (plan and sidecar). */
  async remove(key: string): Promise<void> {
    await rm(this.planPath(key), { force: true });
    await rm(this.sidecarPath(key), { force: true });
  }

  /** Removes entries built from the same ONNX path but from other bytes (the model changed). */
  async pruneReplaced(onnxPath: string, onnxSha256: string): Promise<string[]> {
    const removed: string[] = [];
    for (const r of await this.#records()) {
      if (r.onnxPath === onnxPath && r.fields?.onnxSha256 !== onnxSha256) {
        await this.remove(r.key);
        removed.push(r.key);
      }
    }
    return removed;
  }

  async readTimingCache(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path);
    } catch {
      return undefined;
    }
  }

  async writeTimingCache(path: string, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await atomicWrite(path, data);
  }
}

/** Equal key fields (exported for tests). */
export function sameFields(a: EngineKeyFields, b: EngineKeyFields): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
