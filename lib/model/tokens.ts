/**
 * Turns a backend's raw outputs into one token store per image in the canonical layout
 * [1 CLS + R registers + N patches, dim] — a view into the batch output where possible —
 * and refuses outputs holding NaN or Infinity (a broken export or an fp16 overflow) — host outputs
 * scanned here, outputs in CUDA memory counted on the GPU.
 * Internal: not part of the public API.
 * @module
 */
import { native } from '../binding';
import { DinoError } from '../errors';
import type { BackendTensor, HostTensor } from '../backends/backend';
import type { TokenStore } from '../analysis/token-view';
import type { ResolvedContract } from './contract';
import { checkFiniteDevice, checkFiniteHost } from './finite';

/** IEEE half floats to float32, off the main thread (the native converter). */
export function halfToFloat32(halves: Uint16Array): Promise<Float32Array> {
  return native().halfToFloat(halves);
}

async function hostFloats(t: HostTensor): Promise<Float32Array> {
  return t.type === 'float16' ? halfToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
}

function expectDims(name: string, dims: readonly number[], expected: readonly number[]): void {
  if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
    throw new DinoError('ERR_DINO_BACKEND', `Output ${name} has shape [${dims.join(', ')}]; expected [${expected.join(', ')}]`);
  }
}

function output(outputs: Record<string, BackendTensor>, name: string): BackendTensor {
  const t = outputs[name];
  if (!t) throw new DinoError('ERR_DINO_BACKEND', `The backend returned no ${name} output`);
  return t;
}

export async function tokensFromOutputs(
  c: ResolvedContract,
  outputs: Record<string, BackendTensor>,
  batch: number,
  patches: number,
): Promise<TokenStore[]> {
  const tokens = 1 + c.registers + patches;
  const perImage = tokens * c.dim;
  if (c.layout === 'last_hidden_state') {
    const t = output(outputs, 'last_hidden_state');
    expectDims('last_hidden_state', t.dims, [batch, tokens, c.dim]);
    if (t.location === 'cuda') {
      try {
        await checkFiniteDevice(t.tensor, batch * tokens, c.dim, 'last_hidden_state');
      } catch (err) {
        t.tensor.dispose();
        throw err;
      }
      // The batch tensor stays on the GPU; each image holds a share and the last release frees it.
      let shares = batch;
      const release = (): void => {
        if (--shares === 0) t.tensor.dispose();
      };
      return Array.from({ length: batch }, (_, i) => ({ location: 'cuda', tensor: t.tensor, offset: i * perImage, release }));
    }
    const data = await hostFloats(t);
    checkFiniteHost(data, 'last_hidden_state');
    return Array.from({ length: batch }, (_, i) => ({ location: 'cpu', data, offset: i * perImage }));
  }
  // Reference layout: concatenate CLS, registers and patches into the canonical layout.
  const parts = await Promise.all(
    c.fetches.map(async (name) => {
      const t = output(outputs, name);
      if (t.location !== 'cpu') throw new DinoError('ERR_DINO_BACKEND', 'Reference-layout outputs must be host tensors');
      const data = await hostFloats(t);
      checkFiniteHost(data, name);
      return { name, data };
    }),
  );
  const combined = new Float32Array(batch * perImage);
  for (let b = 0; b < batch; b++) {
    let offset = b * perImage;
    for (const { name, data } of parts) {
      const count = name.endsWith('clstoken') ? 1 : name.endsWith('regtokens') ? c.registers : patches;
      const chunk = data.subarray(b * count * c.dim, (b + 1) * count * c.dim);
      if (chunk.length !== count * c.dim) throw new DinoError('ERR_DINO_BACKEND', `Output ${name} is too short`);
      combined.set(chunk, offset);
      offset += count * c.dim;
    }
  }
  return Array.from({ length: batch }, (_, i) => ({ location: 'cpu', data: combined, offset: i * perImage }));
}
