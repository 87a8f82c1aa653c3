/**
 * mjpegServer(): an HTTP request handler that streams live frames as MJPEG to any number of
 * browsers, with the live page, server-sent stage timings and a control endpoint. Mount it in
 * your own HTTP server, or let {@link serveLive} create one bound to localhost.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DinoError, isDinoError } from '../errors';
import type { Model } from '../model/model';
import { batchSettings, streamsLoop } from '../pipeline/streams';
import { integer, invalid } from '../validate';
import { VideoSource } from '../video/sources/source';
import { LiveControls } from './controls';
import { LiveStage } from './live-stage';
import { gridPage, livePage } from './page';
import { segmentStream, type LiveFrame, type SegmentStreamOptions } from './stream';

export interface MjpegServerOptions {
  /** Settings the page's controls change. */
  controls?: LiveControls;
  /** Page title. Default 'dinov3 live'. */
  title?: string;
  /** Largest accepted control request body in bytes. Default 4096. */
  maxBodyBytes?: number;
}

export interface MjpegServer {
  /** The request handler: GET / (page), /stream.mjpg, /frame.jpg, /events, /settings; POST /control. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Sends a frame (with `jpeg`) to every connected viewer; slow viewers skip frames. */
  publish(frame: LiveFrame): void;
  readonly controls: LiveControls;
  /** Connected MJPEG viewers. */
  readonly viewers: number;
  /** Ends every open response. */
  close(): void;
}

const BOUNDARY = 'dinov3frame';

export function mjpegServer(options: MjpegServerOptions = {}): MjpegServer {
  const controls = options.controls ?? new LiveControls();
  const title = options.title ?? 'dinov3 live';
  const maxBody = options.maxBodyBytes ?? 4096;
  const viewers = new Set<ServerResponse>();
  const listeners = new Set<ServerResponse>();
  let latest: LiveFrame | undefined;
  let lastEvent = 0;

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const writeFrame = (res: ServerResponse, jpeg: Buffer): void => {
    if (res.writableNeedDrain) return; // this viewer is behind: skip the frame rather than buffer it
    res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
    res.write(jpeg);
    res.write('\r\n');
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^.*\//, '/');
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(livePage(title));
    } else if (req.method === 'GET' && path === '/stream.mjpg') {
      res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`, 'cache-control': 'no-store', connection: 'close' });
      viewers.add(res);
      res.on('close', () => viewers.delete(res));
      if (latest?.jpeg) writeFrame(res, latest.jpeg);
    } else if (req.method === 'GET' && path === '/frame.jpg') {
      if (!latest?.jpeg) return json(res, 503, { error: 'ERR_DINO_SOURCE_TIMEOUT', message: 'no frame yet' });
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
      res.end(latest.jpeg);
    } else if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('\n');
      listeners.add(res);
      res.on('close', () => listeners.delete(res));
    } else if (req.method === 'GET' && path === '/settings') {
      json(res, 200, controls.settings);
    } else if (req.method === 'POST' && path === '/control') {
      let body = '';
      let tooLarge = false;
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > maxBody) tooLarge = true;
      });
      req.on('end', () => {
        if (tooLarge) return json(res, 413, { error: 'ERR_DINO_INVALID_ARGUMENT', message: `control body larger than ${maxBody} bytes` });
        try {
          json(res, 200, controls.update(JSON.parse(body || '{}')));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          json(res, 400, { error: isDinoError(err) ? err.code : 'ERR_DINO_INVALID_ARGUMENT', message });
        }
      });
    } else {
      json(res, 404, { error: 'not found', message: `${req.method} ${path}` });
    }
  };

  return {
    handler,
    controls,
    get viewers() {
      return viewers.size;
    },
    publish(frame: LiveFrame) {
      latest = frame;
      if (frame.jpeg) for (const v of viewers) writeFrame(v, frame.jpeg);
      const t = performance.now();
      if (listeners.size > 0 && t - lastEvent >= 100) {
        lastEvent = t;
        const event = {
          index: frame.index,
          sequence: frame.sequence,
          fps: frame.fps,
          timings: frame.timings,
          mode: frame.settings.mode,
          k: frame.settings.k,
          grid: frame.grid,
          width: frame.rendered.width,
          height: frame.rendered.height,
        };
        for (const l of listeners) if (!l.writableNeedDrain) l.write(`data: ${JSON.stringify(event)}\n\n`);
      }
    },
    close() {
      for (const r of [...viewers, ...listeners]) r.end();
      viewers.clear();
      listeners.clear();
    },
  };
}

export interface ServeLiveOptions extends Omit<SegmentStreamOptions, 'controls' | 'jpegQuality'> {
  /** Port (0: any free port). Default 8080. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1' (localhost only). */
  host?: string;
  /** JPEG quality of the stream. Default 80. */
  jpegQuality?: number;
  title?: string;
  /** Several sources: how long a batch waits for their frames before it runs with those it has (ms). Default 40. */
  batchDeadlineMs?: number;
  /**
   * Called with every frame (stats, logging, recording) and the index of its source; a returned
   * promise is awaited (back-pressure).
   */
  onFrame?: (frame: LiveFrame, stream: number) => void | Promise<void>;
  /** Several sources: called when one ends or fails (the others go on). */
  onStreamEnd?: (stream: number, error: DinoError | undefined) => void;
}

export interface LiveService {
  server: Server;
  url: string;
  /** The MJPEG server of the first source. */
  mjpeg: MjpegServer;
  /** One MJPEG server per source (their pages are at `s/0/`, `s/1/`, ... with several sources). */
  streams: readonly MjpegServer[];
  /** Resolves when the stream ends (end of source, error or stop()). */
  done: Promise<void>;
  /** Stops the stream and closes the server. */
  stop(): Promise<void>;
}

/**
 * Runs segmentStream on a source and serves the live page on http://host:port/. With several
 * sources, their frames are batched into one inference per round (as segmentStreams does) and
 * the page is a grid with one live view per source, each with its own controls, FPS and
 * timings; a source that stalls does not stall the others, one that ends or fails is reported
 * through `onStreamEnd` and the others go on (`done` rejects only when every source failed).
 * @example
 * ```ts
 * const live = await serveLive(model, await openSource('csi://0'), { k: 3, port: 8080 });
 * console.log(`open ${live.url}`);
 * ```
 */
export async function serveLive(model: Model, source: VideoSource | readonly VideoSource[], options: ServeLiveOptions = {}): Promise<LiveService> {
  const sources: readonly VideoSource[] = Array.isArray(source) ? source : [source as VideoSource];
  if (sources.length === 0 || !sources.every((s) => s instanceof VideoSource)) invalid('source', 'a VideoSource or a non-empty array of them', source);
  const { port = 8080, host = '127.0.0.1', jpegQuality = 80, title, onFrame, onStreamEnd, signal, batchDeadlineMs, ...streamOptions } = options;
  const grid = sources.length > 1;
  const tiles = sources.map((s) => {
    const controls = new LiveControls({
      ...(streamOptions.mode ? { mode: streamOptions.mode } : {}),
      ...(streamOptions.k !== undefined ? { k: streamOptions.k } : {}),
      ...(streamOptions.alpha !== undefined ? { alpha: streamOptions.alpha } : {}),
      ...(streamOptions.point ? { point: streamOptions.point } : {}),
    });
    return mjpegServer({ controls, ...(grid ? { title: s.uri } : title ? { title } : {}) });
  });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!grid) return (tiles[0] as MjpegServer).handler(req, res);
    const m = /^\/s\/(\d+)\//.exec(path);
    const tile = m ? tiles[Number(m[1])] : undefined;
    if (tile) return tile.handler(req, res);
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(gridPage(title ?? 'dinov3 live', sources.length));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found', message: `${req.method} ${path}` }));
  };
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new DinoError('ERR_DINO_INVALID_ARGUMENT', `Cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const stop = new AbortController();
  const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const run = async (): Promise<void> => {
    if (!grid) {
      const controls = (tiles[0] as MjpegServer).controls;
      for await (const frame of segmentStream(model, sources[0] as VideoSource, { ...streamOptions, controls, jpegQuality, signal: combined })) {
        (tiles[0] as MjpegServer).publish(frame);
        await onFrame?.(frame, 0);
      }
      return;
    }
    const { size, palette, colormap, maxFrames, frameTimeoutMs } = streamOptions;
    const stages = tiles.map((t) => new LiveStage(t.controls, { palette, colormap, jpegQuality, signal: combined }));
    const loop = streamsLoop(model, sources, {
      mode: 'live',
      ...batchSettings({ batchDeadlineMs, frameTimeoutMs }),
      ...(size === undefined ? {} : { size }),
      ...(maxFrames === undefined ? {} : { maxFrames: integer(maxFrames, 'maxFrames', 1) }),
      signal: combined,
    });
    let failed = 0;
    let lastError: DinoError | undefined;
    for await (const e of loop) {
      if (e.type === 'frame') {
        const frame = await (stages[e.stream] as LiveStage).process(e.frame);
        (tiles[e.stream] as MjpegServer).publish(frame);
        await onFrame?.(frame, e.stream);
      } else {
        if (e.type === 'error') {
          failed += 1;
          lastError = e.error;
        }
        onStreamEnd?.(e.stream, e.type === 'error' ? e.error : undefined);
      }
    }
    if (lastError && failed === sources.length) throw lastError;
  };
  const done = (async () => {
    try {
      await run();
    } catch (err) {
      if (!(combined.aborted && isDinoError(err, 'ERR_DINO_ABORTED'))) throw err;
    }
  })();
  done.catch(() => undefined);
  return {
    server,
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/`,
    mjpeg: tiles[0] as MjpegServer,
    streams: tiles,
    done,
    async stop() {
      stop.abort();
      await done.catch(() => undefined);
      for (const t of tiles) t.close();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(sources.map((s) => s.dispose()));
    },
  };
}
