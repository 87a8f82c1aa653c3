/**
 * ONNX Runtime backend (onnxruntime-node, CPU). Each session lives in a worker thread
 * (onnxruntime-worker.js) because onnxruntime-node's run() blocks the thread that calls it;
 * here the event loop stays free while a model runs. Several sessions of one model may run side
 * by side (`sessions`), each on its share of the cores.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { DinoError, toDinoError } from '../errors';
import { DEFAULTS } from '../options';
import { applyPrivacyDefaults } from '../privacy';
import type { Backend, BackendResult, BackendTensor, HostTensor, IoInfo } from './backend';

/** Options of the ONNX Runtime backend. */
export interface OnnxRuntimeOptions {
  /**
   * Sessions, each in its own worker thread; runs go to an idle one, so this many run at once.
   * Default 1.
   */
  sessions?: number;
  /**
   * Threads for one operator (intra-op) of each session. Default: ONNX Runtime's choice (all
   * cores) with one session; the cores divided among the sessions with several.
   */
  intraOpThreads?: number;
  /**
   * Whether the intra-op (and, in parallel mode, inter-op) threads spin between operators
   * instead of sleeping (`session.intra_op.allow_spinning`). Default: DEFAULTS.spinning (off).
   */
  spinning?: boolean;
  /** Threads running independent nodes at once in 'parallel' execution mode. Default: ONNX Runtime's. */
  interOpThreads?: number;
  /** 'sequential' (default): one node at a time; 'parallel': independent nodes at once. */
  executionMode?: 'sequential' | 'parallel';
  /** Graph optimisation level. Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

interface Pending {
  resolve: (r: BackendResult) => void;
  reject: (e: unknown) => void;
  stack: Error;
}

interface WorkerTensor {
  type: string;
  dims: readonly number[];
  data: Float32Array | Uint16Array;
}

type WorkerMessage =
  | { type: 'ready'; inputs: OrtValueMetadata[]; outputs: OrtValueMetadata[] }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, WorkerTensor>; runMs: number }
  | { type: 'error'; id: number; message: string };

interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
}

function toIo(meta: OrtValueMetadata[]): IoInfo[] {
  return meta.map((m) => ({ name: m.name, type: m.type ?? 'unknown', shape: m.shape ? [...m.shape] : [] }));
}

function workerScript(): string {
  const here = join(__dirname, 'onnxruntime-worker.js');
  if (existsSync(here)) return here;
  throw new DinoError('ERR_DINO_INTERNAL', `onnxruntime worker script missing at ${here}`);
}

/** One InferenceSession in its own worker thread. */
class SessionWorker {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #disposed = false;
  #exitError: DinoError | undefined;

  private constructor(worker: Worker, inputs: IoInfo[], outputs: IoInfo[]) {
    this.#worker = worker;
    this.inputs = inputs;
    this.outputs = outputs;
    worker.on('message', (msg: WorkerMessage) => this.#onMessage(msg));
    worker.on('error', (err) => this.#failAll(toDinoError(err, 'ERR_DINO_BACKEND', undefined, 'ONNX Runtime worker failed')));
    worker.on('exit', (code) => {
      if (!this.#disposed) this.#failAll(new DinoError('ERR_DINO_BACKEND', `ONNX Runtime worker exited unexpectedly (code ${code})`));
    });
    worker.unref();
  }

  /** Loads a model (path or bytes) into a new worker thread. */
  static async create(model: string | Uint8Array, sessionOptions: Record<string, unknown>): Promise<SessionWorker> {
    applyPrivacyDefaults(); // before the worker loads ONNX Runtime
    const worker = new Worker(workerScript(), { workerData: { model, sessionOptions } });
    const ready = await new Promise<Extract<WorkerMessage, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (msg: WorkerMessage): void => {
        cleanup();
        if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'init-error') reject(new DinoError('ERR_DINO_INVALID_MODEL', `ONNX Runtime could not load the model: ${msg.message}`));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(toDinoError(err, 'ERR_DINO_BACKEND', undefined, 'ONNX Runtime worker failed to start'));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new DinoError('ERR_DINO_BACKEND', `ONNX Runtime worker exited during start-up (code ${code})`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new SessionWorker(worker, toIo(ready.inputs), toIo(ready.outputs));
  }

  /** Runs in flight on this session. */
  get load(): number {
    return this.#pending.size;
  }

  run(inputName: string, input: HostTensor, fetches: readonly string[], signal: AbortSignal | undefined, stack: Error): Promise<BackendResult> {
    if (this.#disposed) return Promise.reject(new DinoError('ERR_DINO_DISPOSED', 'The model has been disposed'));
    if (this.#exitError) return Promise.reject(this.#exitError);
    const id = this.#nextId++;
    return new Promise<BackendResult>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(id);
        this.#updateRef();
        reject(new DinoError('ERR_DINO_ABORTED', 'Inference was aborted', { cause: signal?.reason }));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        stack,
      });
      this.#updateRef();
      // A transferable input moves to the worker without a copy; otherwise it is cloned and the
      // caller keeps its tensor.
      const { data } = input;
      const transfer = input.transferable && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? [data.buffer as ArrayBuffer] : [];
      this.#worker.postMessage(
        { type: 'run', id, feeds: { [inputName]: { type: input.type, dims: input.dims, data } }, fetches: [...fetches] },
        transfer,
      );
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    // Wait for runs in flight, then release the session and stop the thread.
    const inFlight = [...this.#pending.values()].map(
      (p) => new Promise<void>((done) => {
        const { resolve, reject } = p;
        p.resolve = (r) => { resolve(r); done(); };
        p.reject = (e) => { reject(e); done(); };
      }),
    );
    await Promise.all(inFlight);
    this.#disposed = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage({ type: 'dispose' });
    const timer = setTimeout(() => void this.#worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  #updateRef(): void {
    if (this.#pending.size > 0) this.#worker.ref();
    else this.#worker.unref();
  }

  #onMessage(msg: WorkerMessage): void {
    if (msg.type !== 'result' && msg.type !== 'error') return;
    const p = this.#pending.get(msg.id);
    if (!p) return; // aborted meanwhile: drop the result
    this.#pending.delete(msg.id);
    this.#updateRef();
    if (msg.type === 'error') {
      p.reject(toDinoError(new Error(msg.message), 'ERR_DINO_BACKEND', p.stack, 'ONNX Runtime failed'));
      return;
    }
    const outputs: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(msg.outputs)) {
      if (t.type !== 'float32' && t.type !== 'float16') {
        p.reject(new DinoError('ERR_DINO_INVALID_MODEL', `Output ${name} has type ${t.type}; expected float32 or float16`));
        return;
      }
      outputs[name] = { location: 'cpu', type: t.type, dims: [...t.dims], data: t.data };
    }
    p.resolve({ outputs, runMs: msg.runMs });
  }

  #failAll(error: DinoError): void {
    this.#exitError = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

/**
 * The ONNX Runtime backend: one or more sessions of the same model, each in its own worker
 * thread. With several, concurrent runs go to the idle session with the fewest runs, so a
 * pipeline with frames in flight keeps every session busy without the sessions' threads waiting
 * on one another.
 */
export class OnnxRuntimeBackend implements Backend {
  readonly name = 'onnxruntime' as const;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  readonly concurrency: number;
  readonly #sessions: readonly SessionWorker[];

  private constructor(sessions: readonly SessionWorker[]) {
    const first = sessions[0] as SessionWorker;
    this.#sessions = sessions;
    this.concurrency = sessions.length;
    this.inputs = first.inputs;
    this.outputs = first.outputs;
  }

  /** Loads a model (path or bytes) into `options.sessions` worker threads. */
  static async create(model: string | Uint8Array, options: OnnxRuntimeOptions = {}): Promise<OnnxRuntimeBackend> {
    const sessions = options.sessions ?? 1;
    const sessionOptions: Record<string, unknown> = {
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionProviders: ['cpu'],
    };
    const threads = options.intraOpThreads ?? (sessions > 1 ? Math.max(1, Math.floor(availableParallelism() / sessions)) : undefined);
    if (threads !== undefined) sessionOptions.intraOpNumThreads = threads;
    const spin = (options.spinning ?? DEFAULTS.spinning) ? '1' : '0';
    sessionOptions.extra = { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } };
    if (options.executionMode !== undefined) sessionOptions.executionMode = options.executionMode;
    if (options.interOpThreads !== undefined) sessionOptions.interOpNumThreads = options.interOpThreads;
    const started = await Promise.allSettled(Array.from({ length: sessions }, () => SessionWorker.create(model, sessionOptions)));
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((s) => s.dispose()));
      throw failed.reason;
    }
    return new OnnxRuntimeBackend(ok);
  }

  run(inputName: string, input: BackendTensor, fetches: readonly string[], signal?: AbortSignal): Promise<BackendResult> {
    const stack = new Error();
    if (input.location !== 'cpu') {
      return Promise.reject(new DinoError('ERR_DINO_INVALID_ARGUMENT', 'The ONNX Runtime backend takes host tensors only'));
    }
    let session = this.#sessions[0] as SessionWorker;
    for (const s of this.#sessions) if (s.load < session.load) session = s;
    return session.run(inputName, input, fetches, signal, stack);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#sessions.map((s) => s.dispose()));
  }
}
