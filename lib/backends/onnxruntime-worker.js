// @ts-check
/**
 * Worker thread that owns one ONNX Runtime InferenceSession. onnxruntime-node's run() is
 * synchronous on the calling thread (it blocks the event loop for the whole inference), so the
 * session lives here and the main thread only posts messages. Tensors travel as transferred
 * ArrayBuffers (no copies).
 *
 * Messages in:  { type: 'run', id, feeds: { [name]: { type, dims, data } }, fetches: string[] }
 *               { type: 'dispose' }
 * Messages out: { type: 'ready', inputs, outputs } | { type: 'init-error', message }
 *               { type: 'result', id, outputs: { [name]: { type, dims, data } }, runMs }
 *               { type: 'error', id, message }
 */
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

if (!parentPort) throw new Error('onnxruntime-worker.js must run in a worker thread');
const port = parentPort;

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/** @param {any} data */
function transferable(data) {
  // Transfer the buffer when the typed array owns all of it; otherwise copy once.
  if (data.byteOffset === 0 && data.buffer.byteLength === data.byteLength && !(data.buffer instanceof SharedArrayBuffer)) {
    return data;
  }
  return data.slice();
}

async function main() {
  /** @type {import('onnxruntime-node').InferenceSession} */
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.sessionOptions);
  } catch (err) {
    port.postMessage({ type: 'init-error', message: messageOf(err) });
    return;
  }
  port.postMessage({
    type: 'ready',
    inputs: session.inputMetadata,
    outputs: session.outputMetadata,
  });
  port.on('message', async (msg) => {
    if (msg.type === 'dispose') {
      try {
        await session.release();
      } finally {
        port.close();
      }
      return;
    }
    if (msg.type !== 'run') return;
    try {
      /** @type {Record<string, import('onnxruntime-node').Tensor>} */
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const start = performance.now();
      const results = await session.run(feeds, msg.fetches);
      const runMs = performance.now() - start;
      /** @type {Record<string, {type: string, dims: readonly number[], data: any}>} */
      const outputs = {};
      /** @type {ArrayBuffer[]} */
      const transfer = [];
      for (const name of msg.fetches) {
        const t = results[name];
        if (!t) continue;
        const data = transferable(t.data);
        outputs[name] = { type: t.type, dims: t.dims, data };
        transfer.push(data.buffer);
      }
      port.postMessage({ type: 'result', id: msg.id, outputs, runMs }, transfer);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, message: messageOf(err) });
    }
  });
}

main().catch((err) => port.postMessage({ type: 'init-error', message: messageOf(err) }));
