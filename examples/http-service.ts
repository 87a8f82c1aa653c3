/**
 * A small Fastify service that embeds dinov3-trt the way a user's service would: the model is
 * loaded once and shared by every request, images arrive as the raw request body, and every
 * failure is answered as JSON `{ error: CODE, message }` with an HTTP status chosen in one place
 * ({@link errorReply}).
 *
 *   POST /features   ?format=npy|json &size=224|HxW                    -> patch tokens (.npy or JSON)
 *   POST /heatmap    ?row=R&col=C | ?x=X&y=Y &colormap= &overlay= &alpha= &size=   -> PNG
 *   POST /segment    ?k=K &alpha= &seed= &size=                         -> PNG
 *   GET  /health     capabilities, model facts, limits, queue statistics
 *
 * The image is the request body: its raw bytes (PNG, JPEG, WebP, ...) sent with an `image/*`
 * Content-Type or `application/octet-stream`:
 *
 *   node examples/dist/http-service.js --model MODEL.onnx [--port 8080] [--host 127.0.0.1]
 *   node examples/dist/http-service.js --make-test-model        # a seeded tiny model, for a demo
 *   curl --data-binary @photo.jpg -H 'content-type: image/jpeg' 'http://127.0.0.1:8080/segment?k=5' -o seg.png
 *
 * Limits (options of {@link buildServer}; defaults in {@link SERVICE_DEFAULTS}): request body size
 * (413), decoded pixels (decompression bombs are refused before decoding: 422), input size per
 * side, JSON output size, and two bounds on work in progress: requests admitted at once
 * (`maxConcurrent`) and inference calls waiting for the model (`loadModel`'s `maxQueue`); past
 * either the answer is 503 with Retry-After, so memory stays bounded under any load.
 * SIGINT/SIGTERM: stop accepting, finish the requests in flight, dispose the model, exit.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import {
  capabilities,
  COLORMAP_NAMES,
  decodeImage,
  DinoError,
  encodeNpy,
  isDinoError,
  loadModel,
  renderHeatmap,
  renderSegmentation,
  toPng,
  type ColormapName,
  type ErrorCode,
  type Features,
  type Model,
  type RawImage,
  type SimilarityTarget,
} from 'dinov3-trt';
import { writeTinyDinov3 } from 'dinov3-trt/testing';

/** Options of {@link buildServer}. */
export interface ServiceOptions {
  /**
   * The model: a path (loaded here with `maxQueue`, disposed when the server closes), or a loaded
   * {@link Model} that the caller keeps owning (and disposes).
   */
  model: string | Model;
  /** Inference calls allowed to wait for the model before ERR_DINO_BUSY (loadModel's maxQueue). */
  maxQueue?: number;
  /** Image requests admitted at once (decoding, inference, k-means, rendering); more get 503. */
  maxConcurrent?: number;
  /** Largest request body in bytes (413 beyond). */
  bodyLimit?: number;
  /** Largest image in pixels, checked from the header before decoding (decompression bombs). */
  limitInputPixels?: number;
  /** Largest model input side for `size`, in pixels. */
  maxSide?: number;
  /** Largest number of values `format=json` returns (JSON is slow to build; npy is not). */
  maxJsonValues?: number;
  /** ONNX Runtime threads when the model is loaded from a path (default: all cores). */
  threads?: number;
  /** Fastify's logger: false (default), true, or a level such as 'info'. */
  logger?: boolean | string;
}

/** Defaults of {@link ServiceOptions}. */
export const SERVICE_DEFAULTS = {
  maxQueue: 8,
  maxConcurrent: 16,
  bodyLimit: 10 * 1024 * 1024,
  limitInputPixels: 25_000_000,
  maxSide: 1024,
  maxJsonValues: 1 << 19,
} as const;

/** Seconds a client is told to wait after a 503. */
const RETRY_AFTER_S = 1;

/** An HTTP answer to an error: status, extra headers, JSON body. */
export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string };
}

/**
 * The one place where errors become HTTP answers. Library errors map by their stable code;
 * Fastify's own request errors (body too large, wrong content type, ...) keep their 4xx status
 * with a message that says what to do; anything else is a 500 whose details stay in the log.
 */
export function errorReply(err: unknown, limits: { bodyLimit: number }): ErrorReply {
  if (isDinoError(err)) {
    const status: Partial<Record<ErrorCode, number>> = {
      ERR_DINO_INVALID_ARGUMENT: 400, // bad query parameter (k out of range, unknown colormap, ...)
      ERR_DINO_SHAPE_MISMATCH: 400, // size not a multiple of the patch size, or not what the model takes
      ERR_DINO_INVALID_IMAGE: 422, // not an image, truncated, or more pixels than limitInputPixels
      ERR_DINO_BUSY: 503, // back-pressure: the queue is full
      ERR_DINO_DISPOSED: 503, // shutting down
      ERR_DINO_ABORTED: 499, // the client went away (nobody reads this answer; it is for the log)
    };
    const code = status[err.code] ?? 500;
    return {
      status: code,
      headers: code === 503 ? { 'retry-after': String(RETRY_AFTER_S) } : {},
      body: { error: err.code, message: err.message },
    };
  }
  const fst = err as { code?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500 && typeof fst.code === 'string') {
    const messages: Record<string, string> = {
      FST_ERR_CTP_BODY_TOO_LARGE: `The request body is larger than this service's limit of ${limits.bodyLimit} bytes`,
      FST_ERR_CTP_INVALID_MEDIA_TYPE:
        'Send the image file itself as the request body with an image/* Content-Type (image/png, image/jpeg, image/webp, ...) or application/octet-stream; multipart forms and JSON are not accepted',
      FST_ERR_CTP_EMPTY_BODY: 'The request body is empty: send the image file as the body',
    };
    return { status: fst.statusCode, headers: {}, body: { error: fst.code, message: messages[fst.code] ?? String(fst.message) } };
  }
  return { status: 500, headers: {}, body: { error: 'ERR_INTERNAL', message: 'Internal server error' } };
}

const invalidArgument = (message: string): DinoError => new DinoError('ERR_DINO_INVALID_ARGUMENT', message);

/** The query string of one route: only the parameters it names, each given at most once. */
class Query {
  readonly #values: Record<string, string>;

  constructor(raw: unknown, route: string, allowed: readonly string[]) {
    this.#values = {};
    for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
      if (!allowed.includes(name)) {
        throw invalidArgument(`Unknown query parameter '${name}' for ${route}; it takes ${allowed.join(', ')}`);
      }
      if (typeof value !== 'string') throw invalidArgument(`Query parameter '${name}' is given more than once`);
      this.#values[name] = value;
    }
  }

  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  string(name: string): string | undefined {
    return this.#values[name];
  }

  /** A number as written in the query; the library checks the range and says what it expects. */
  number(name: string): number | undefined {
    const text = this.#values[name];
    if (text === undefined) return undefined;
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) throw invalidArgument(`Query parameter '${name}' must be a number; got '${text}'`);
    return Number(text);
  }

  boolean(name: string): boolean | undefined {
    const text = this.#values[name];
    if (text === undefined) return undefined;
    if (['1', 'true', 'yes', ''].includes(text)) return true;
    if (['0', 'false', 'no'].includes(text)) return false;
    throw invalidArgument(`Query parameter '${name}' must be true or false; got '${text}'`);
  }
}

/** Service statistics reported by GET /health. */
interface Stats {
  active: number;
  peakActive: number;
  served: number;
  /** Answered with an error (4xx, 500). */
  failed: number;
  /** Answered 503: too many requests, or shutting down. */
  rejectedBusy: number;
  /** The client hung up before its answer. */
  aborted: number;
}

/**
 * Builds the service (not listening yet: call `listen`, or `inject` in tests). Closing the
 * returned instance waits for requests in flight, then disposes the model when it loaded it.
 */
export async function buildServer(options: ServiceOptions): Promise<FastifyInstance> {
  const o = { ...SERVICE_DEFAULTS, ...dropUndefined(options) };
  for (const [name, min] of [['maxQueue', 0], ['maxConcurrent', 1], ['bodyLimit', 1], ['limitInputPixels', 1], ['maxSide', 1], ['maxJsonValues', 0]] as const) {
    if (!Number.isSafeInteger(o[name]) || o[name] < min) throw invalidArgument(`${name} must be an integer >= ${min}; got ${String(o[name])}`);
  }
  const owned = typeof o.model === 'string';
  const model = typeof o.model === 'string' ? await loadModel(o.model, { maxQueue: o.maxQueue, ...(o.threads ? { threads: o.threads } : {}) }) : o.model;
  const logger = o.logger === undefined || o.logger === false ? false : o.logger === true ? true : { level: o.logger };
  const app = fastify({ logger, bodyLimit: o.bodyLimit, return503OnClosing: false, forceCloseConnections: 'idle' });
  const stats: Stats = { active: 0, peakActive: 0, served: 0, failed: 0, rejectedBusy: 0, aborted: 0 };
  const patch = model.info.patchSize;
  let closing = false;
  /** Aborted when the client hangs up before its answer. */
  const signals = new WeakMap<FastifyRequest, AbortSignal>();

  // Bodies: image bytes only. Everything else (JSON, forms, text) is refused with 415 before the
  // body is read.
  app.removeAllContentTypeParsers();
  const raw = (_req: FastifyRequest, body: Buffer | string, done: (err: null, body: Buffer | string) => void): void => done(null, body);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: o.bodyLimit }, raw);
  app.addContentTypeParser(/^image\/[\w.+-]+$/, { parseAs: 'buffer', bodyLimit: o.bodyLimit }, raw);

  app.setErrorHandler((err, request, reply) => {
    const answer = errorReply(err, o);
    if (answer.status >= 500 && answer.status !== 503) request.log.error({ err }, 'request failed');
    if (answer.status === 503) stats.rejectedBusy++;
    else if (answer.status === 499) stats.aborted++;
    else stats.failed++;
    return reply.status(answer.status).headers(answer.headers).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'ERR_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}; see GET /health` }),
  );

  // Admission: at most maxConcurrent image requests at once, counted from before the body is read
  // until the response is closed (sent, or the client went away), so that uploads, decoded images
  // and renders in memory are bounded too, not just the model's queue.
  const admit = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (closing) throw new DinoError('ERR_DINO_BUSY', 'The service is shutting down; retry later (or elsewhere)');
    if (stats.active >= o.maxConcurrent) {
      throw new DinoError('ERR_DINO_BUSY', `Too many requests in progress (${stats.active}, the limit is ${o.maxConcurrent}); retry later`);
    }
    stats.active++;
    stats.peakActive = Math.max(stats.peakActive, stats.active);
    const controller = new AbortController();
    signals.set(request, controller.signal);
    reply.raw.once('close', () => {
      stats.active--;
      // A client that hung up before its answer: drop its queued work.
      if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
    });
  };

  /** Decodes the body once, refusing images over the pixel limit from their header alone. */
  const decode = async (request: FastifyRequest) => {
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new DinoError('ERR_DINO_INVALID_IMAGE', 'The request body is empty: send the image file as the body');
    }
    return decodeImage(body, { limitInputPixels: o.limitInputPixels });
  };

  // The library parses and checks the size ("224", "320x480"); the service caps it before anything is decoded.
  const sizeOf = (q: Query): string | undefined => {
    const text = q.string('size');
    if (text !== undefined && text.split(/\D+/).some((side) => Number(side) > o.maxSide)) {
      throw invalidArgument(`size ${text} is larger than this service allows (${o.maxSide} pixels per side)`);
    }
    return text;
  };

  type Answer = (features: Features, image: RawImage, reply: FastifyReply, signal: AbortSignal | undefined) => Promise<unknown>;

  /**
   * An image route: admitted, the query checked (before the body is decoded, so that a bad
   * parameter costs no inference; ranges that depend on the image, such as k, are checked by the
   * library with its own message), decoded, features extracted, answered, features released.
   */
  const imageRoute = (path: string, params: readonly string[], prepare: (q: Query) => Answer): void => {
    app.post(path, { onRequest: admit }, async (request, reply) => {
      const q = new Query(request.query, `POST ${path}`, params);
      const size = sizeOf(q);
      const answer = prepare(q);
      const image = await decode(request);
      const signal = signals.get(request);
      const features = await model.extract(image, { ...(size ? { size } : {}), ...(signal ? { signal } : {}) });
      try {
        const result = await answer(features, image, reply, signal);
        stats.served++;
        return result;
      } finally {
        features.dispose();
      }
    });
  };

  imageRoute('/features', ['format', 'size'], (q) => {
    const format = q.string('format') ?? 'npy';
    if (format !== 'npy' && format !== 'json') throw invalidArgument(`format must be 'npy' or 'json'; got '${format}'`);
    return async (f, _image, reply) => {
      const patches = f.patches;
      if (format === 'json' && patches.length + f.dim > o.maxJsonValues) {
        throw invalidArgument(
          `format=json is limited to ${o.maxJsonValues} values and these features hold ${patches.length + f.dim}; use format=npy (or a smaller size)`,
        );
      }
      reply.header('x-dino-grid', `${f.grid.rows}x${f.grid.cols}`).header('x-dino-dim', String(f.dim));
      if (format === 'npy') {
        return reply
          .type('application/octet-stream')
          .header('content-disposition', 'attachment; filename="patches.npy"')
          .send(encodeNpy(patches.slice(), [f.patchCount, f.dim]));
      }
      const rows: number[][] = [];
      for (let i = 0; i < f.patchCount; i++) rows.push(Array.from(patches.subarray(i * f.dim, (i + 1) * f.dim)));
      return reply.type('application/json').send({
        grid: f.grid,
        dim: f.dim,
        patchSize: f.patchSize,
        inputSize: f.inputSize,
        imageSize: f.imageSize,
        backend: f.backend,
        timings: f.timings,
        cls: Array.from(f.cls),
        patches: rows,
      });
    };
  });

  imageRoute('/heatmap', ['row', 'col', 'x', 'y', 'colormap', 'overlay', 'alpha', 'size'], (q) => {
    const byPatch = q.has('row') || q.has('col');
    const byPoint = q.has('x') || q.has('y');
    if (byPatch && byPoint) throw invalidArgument('Give the target as row and col (a patch) or as x and y (pixels), not both');
    if ((byPatch && !(q.has('row') && q.has('col'))) || (byPoint && !(q.has('x') && q.has('y')))) {
      throw invalidArgument('The target needs both row and col, or both x and y');
    }
    const row = q.number('row');
    const col = q.number('col');
    const x = q.number('x');
    const y = q.number('y');
    const colormap = q.string('colormap') ?? 'viridis';
    if (!(COLORMAP_NAMES as readonly string[]).includes(colormap)) {
      throw invalidArgument(`colormap must be one of ${COLORMAP_NAMES.join(', ')}; got '${colormap}'`);
    }
    const overlay = q.boolean('overlay') ?? true;
    const alpha = q.number('alpha');
    return async (f, image, reply) => {
      const target: SimilarityTarget =
        row !== undefined && col !== undefined
          ? { row, col }
          : x !== undefined && y !== undefined
            ? { x, y }
            : { row: Math.floor(f.grid.rows / 2), col: Math.floor(f.grid.cols / 2) }; // default: the centre patch
      const heat = await f.similarity(target);
      const picture = await renderHeatmap(image, heat, { colormap: colormap as ColormapName, overlay, ...(alpha !== undefined ? { alpha } : {}) });
      return reply.type('image/png').send(await toPng(picture));
    };
  });

  imageRoute('/segment', ['k', 'alpha', 'seed', 'size'], (q) => {
    const k = q.number('k') ?? 5;
    const seed = q.number('seed') ?? 0;
    const alpha = q.number('alpha');
    return async (f, image, reply, signal) => {
      const clusters = await f.kmeans({ k, seed, ...(signal ? { signal } : {}) });
      const picture = await renderSegmentation(image, clusters, alpha !== undefined ? { alpha } : {});
      return reply.type('image/png').header('x-dino-inertia', String(clusters.inertia)).send(await toPng(picture));
    };
  });

  app.get('/health', async (_request, reply) => {
    const memory = process.memoryUsage();
    if (closing) reply.status(503).header('retry-after', String(RETRY_AFTER_S));
    return {
      status: closing ? 'closing' : 'ok',
      model: {
        file: basename(model.info.path),
        backend: model.backend,
        patchSize: patch,
        dim: model.info.dim,
        registers: model.info.registers,
        defaultSize: model.info.defaultSize,
        fixedSize: model.info.fixedSize ?? null,
      },
      limits: {
        bodyLimit: o.bodyLimit,
        limitInputPixels: o.limitInputPixels,
        maxSide: o.maxSide,
        maxJsonValues: o.maxJsonValues,
        maxConcurrent: o.maxConcurrent,
        maxQueue: owned ? o.maxQueue : null,
      },
      queue: { ...stats },
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external },
      capabilities: capabilities(),
    };
  });

  // Shutting down: new image requests get 503, answers still in progress close their connection
  // (so that close() does not wait for keep-alive sockets to time out), and the model goes once
  // nothing uses it.
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  if (owned) app.addHook('onClose', async () => model.dispose());
  return app;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export const USAGE = `Usage: node examples/dist/http-service.js [--model MODEL.onnx | MODEL.onnx] [--make-test-model]
                                       [--port 8080] [--host 127.0.0.1] [--max-queue N] [--threads N]

Environment: DINOV3_MODEL (model path), DINOV3_MAKE_TEST_MODEL=1, PORT, HOST, LOG_LEVEL (default info).
--make-test-model writes a small DINOv3-shaped model with seeded weights (random pictures, real
plumbing) to the --model path, or to a temporary file, and serves it.`;

/** Command line: loads the model, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<FastifyInstance | undefined> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'make-test-model': { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-queue': { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw new Error(`--${name} takes a whole number; got '${text}'`);
    return Number(text);
  };
  const port = int('port', values.port ?? process.env.PORT) ?? 8080;
  const maxQueue = int('max-queue', values['max-queue']);
  const threads = int('threads', values.threads);
  let modelPath = values.model ?? positionals[0] ?? process.env.DINOV3_MODEL;
  if (values['make-test-model'] || /^(1|true|yes)$/i.test(process.env.DINOV3_MAKE_TEST_MODEL ?? '')) {
    if (modelPath !== undefined && existsSync(modelPath)) {
      throw new Error(`--make-test-model would overwrite ${modelPath}; give a new path, or no model path for a temporary file`);
    }
    modelPath ??= join(await mkdtemp(join(tmpdir(), 'dinov3-service-')), 'tiny-dinov3.onnx');
    await writeTinyDinov3(modelPath);
    console.log(`wrote a tiny test model (seeded random weights) to ${modelPath}`);
  }
  if (!modelPath) throw new Error(`no model given\n\n${USAGE}`);
  const app = await buildServer({
    model: modelPath,
    maxQueue,
    threads,
    logger: process.env.LOG_LEVEL ?? 'info',
  });
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    console.log(`${signal}: finishing requests in flight, then disposing the model`);
    // Should anything hang, do not hang with it.
    setTimeout(() => process.exit(1), 15_000).unref();
    app.close().then(
      () => console.log('closed; model disposed'),
      (err: unknown) => {
        console.error('shutdown failed:', err);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (err) {
    await app.close(); // e.g. the port is taken: release the model, or its threads keep the process alive
    throw err;
  }
  console.log(`listening on ${address}`);
  return app;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
