/**
 * examples/http-service.ts against bad input and under its limits: every bad request is a 4xx
 * with a JSON `{ error, message }` that says what was wrong, and the service keeps serving. The
 * happy paths check content: the .npy holds the same tokens as Model.extract, segmentation PNGs
 * have the photo's size and change with k, heatmap PNGs carry the marker on the target patch.
 * Everything runs in-process (fastify.inject) or on 127.0.0.1 with an ephemeral port.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDeflate, crc32 } from 'node:zlib';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The example imports 'dinov3-trt' as a user does; here that is this checkout's lib/.
vi.mock('dinov3-trt', async () => await import('../lib/index.js'));

import { buildServer, errorReply, SERVICE_DEFAULTS } from '../examples/http-service';
import { DinoError, ERROR_CODES, loadModel, Model, type ErrorCode } from '../lib/index';
import { decodeNpy } from '../lib/io/npy';
import { MARKER_COLORS } from '../lib/render/heatmap';
import { markerThickness, patchRect } from '../lib/render/marker';
import { tinyModel } from './helpers/models';
import { projectRoot } from './helpers/shared';
import { gradientPng } from './helpers/images';

type App = Awaited<ReturnType<typeof buildServer>>;

const photo = gradientPng;

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a complete, valid 1-bit grayscale PNG of `side` x `side` pixels (all
 * black) whose pixel rows deflate to ~0.1 % of their size — about 110 kB on the wire for 900
 * megapixels once decoded.
 */
async function pngBomb(side: number): Promise<{ png: Buffer; rawBytes: number }> {
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + packed bits
  const rows = Buffer.alloc(rowBytes * 100);
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let y = 0; y < side; y += 100) deflate.write(rows.subarray(0, rowBytes * Math.min(100, side - y)));
  deflate.end();
  await done;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  return { png, rawBytes: rowBytes * side };
}

async function readPng(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function pixel(img: { data: Buffer; width: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

const PNG = { 'content-type': 'image/png' };

describe('examples/http-service.ts', () => {
  let app: App;
  let image: Buffer; // 224x224
  let wide: Buffer; // 200x150: outputs must have the photo's size, not the model's
  const modelPath = tinyModel();

  const post = (url: string, payload: Buffer | string, headers: Record<string, string> = PNG) => app.inject({ method: 'POST', url, payload, headers });

  /** Asserts a 4xx JSON error with the given status and code, and returns its message. */
  async function expectError(response: Awaited<ReturnType<typeof post>>, status: number, code: string, message?: RegExp): Promise<string> {
    expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json<{ error: string; message: string }>();
    expect(body.error).toBe(code);
    expect(body.message.length).toBeGreaterThan(20);
    if (message) expect(body.message).toMatch(message);
    return body.message;
  }

  beforeAll(async () => {
    [image, wide] = await Promise.all([photo(224, 224), photo(200, 150)]);
    app = await buildServer({ model: modelPath });
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('happy paths', () => {
    it('GET /health reports the model, limits, queue statistics and capabilities', async () => {
      const r = await app.inject({ method: 'GET', url: '/health' });
      expect(r.statusCode).toBe(200);
      const h = r.json();
      expect(h).toMatchObject({
        status: 'ok',
        model: { backend: 'onnxruntime', patchSize: 16, dim: 64, registers: 4, defaultSize: { height: 224, width: 224 } },
        limits: { ...SERVICE_DEFAULTS },
        queue: { active: 0 },
        capabilities: { backends: expect.arrayContaining(['onnxruntime']) },
      });
      expect(h.memory.rssBytes).toBeGreaterThan(0);
    });

    it('POST /features answers .npy of the patch tokens, equal to Model.extract', async () => {
      const r = await post('/features', image);
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-dino-grid']).toBe('14x14');
      const npy = decodeNpy(r.rawPayload);
      expect(npy.dtype).toBe('<f4');
      expect(npy.shape).toEqual([196, 64]);
      const model = await loadModel(modelPath);
      try {
        const f = await model.extract(image);
        expect(Array.from(npy.data)).toEqual(Array.from(f.patches));
      } finally {
        await model.dispose();
      }
    });

    it('POST /features?size=HxW&format=json answers JSON on the requested grid', async () => {
      const r = await post('/features?format=json&size=320x480', wide, { 'content-type': 'application/octet-stream' });
      expect(r.statusCode).toBe(200);
      const f = r.json<{ grid: object; dim: number; cls: number[]; patches: number[][]; imageSize: object; inputSize: object }>();
      expect(f).toMatchObject({ grid: { rows: 20, cols: 30 }, dim: 64, imageSize: { height: 150, width: 200 }, inputSize: { height: 320, width: 480 } });
      expect(f.cls).toHaveLength(64);
      expect(f.patches).toHaveLength(600);
      expect(f.patches.every((p) => p.length === 64 && p.every(Number.isFinite))).toBe(true);
      const npy = decodeNpy((await post('/features?size=320x480&format=npy', wide)).rawPayload);
      expect(npy.shape).toEqual([600, 64]);
      expect(Math.abs(npy.data[0]! - f.patches[0]![0]!)).toBeLessThan(1e-6);
    });

    it('POST /segment answers a PNG of the photo\'s size that changes with k', async () => {
      const pictures = [];
      for (const k of [2, 5]) {
        const r = await post(`/segment?k=${k}`, wide);
        expect(r.statusCode).toBe(200);
        expect(r.headers['content-type']).toBe('image/png');
        const png = await readPng(r.rawPayload);
        expect([png.width, png.height]).toEqual([200, 150]);
        pictures.push(png);
      }
      const [a, b] = pictures as unknown as [{ data: Buffer }, { data: Buffer }];
      let differing = 0;
      for (let i = 0; i < a.data.length; i += 3) if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) differing++;
      expect(differing / (a.data.length / 3)).toBeGreaterThan(0.1);
      // mask-free overlay: alpha 0 gives the photo back
      const plain = await readPng((await post('/segment?k=3&alpha=0', wide)).rawPayload);
      expect(plain.data.equals((await readPng(wide)).data)).toBe(true);
    });

    it('POST /heatmap answers a PNG with the marker colour on the target patch', async () => {
      const grid = { rows: 14, cols: 14 };
      const cases = [
        { query: 'row=3&col=10', target: { row: 3, col: 10 }, color: MARKER_COLORS.viridis },
        { query: 'x=40&y=200&colormap=inferno', target: { row: 12, col: 2 }, color: MARKER_COLORS.inferno },
        { query: 'overlay=false&colormap=magma', target: { row: 7, col: 7 }, color: MARKER_COLORS.magma }, // default: centre
      ];
      for (const c of cases) {
        const r = await post(`/heatmap?${c.query}`, image);
        expect(r.statusCode, c.query).toBe(200);
        const png = await readPng(r.rawPayload);
        expect([png.width, png.height]).toEqual([224, 224]);
        const rect = patchRect(c.target, grid, 224, 224);
        const t = markerThickness(rect);
        const cx = Math.floor((rect.x0 + rect.x1 + 1 - t) / 2);
        const cy = Math.floor((rect.y0 + rect.y1 + 1 - t) / 2);
        expect(pixel(png, cx, cy), c.query).toEqual([...c.color]); // the cross's centre
        expect(pixel(png, rect.x0, cy), c.query).toEqual([...c.color]); // the square's left side
      }
    });
  });

  describe('bad input: a 4xx with a clear message each', () => {
    it('oversized body: 413 before decoding', async () => {
      const big = Buffer.concat([image, Buffer.alloc(SERVICE_DEFAULTS.bodyLimit)]);
      await expectError(await post('/segment?k=3', big), 413, 'FST_ERR_CTP_BODY_TOO_LARGE', /larger than .* limit of 10485760 bytes/);
      // without a Content-Length (chunked upload): counted while reading, same answer
      const chunked = await app.inject({ method: 'POST', url: '/segment', payload: Readable.from([image, big]), headers: PNG });
      expect(Number(chunked.headers['content-length'])).toBe(chunked.rawPayload.length);
      await expectError(chunked, 413, 'FST_ERR_CTP_BODY_TOO_LARGE');
    });

    it('truncated PNG, bytes that are no image, an empty body: 422', async () => {
      await expectError(await post('/features', image.subarray(0, image.length >> 1)), 422, 'ERR_DINO_INVALID_IMAGE', /could not be decoded as an image/);
      await expectError(await post('/segment', 'this is not a picture, just text'), 422, 'ERR_DINO_INVALID_IMAGE', /could not be decoded/);
      await expectError(await post('/heatmap', Buffer.alloc(0)), 422, 'ERR_DINO_INVALID_IMAGE', /empty/);
    });

    it('wrong content type: 415 before the body is read', async () => {
      for (const type of ['text/plain', 'application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        await expectError(await post('/features', image, { 'content-type': type }), 415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', /image\/\*/);
      }
      await expectError(await post('/features', image, {}), 415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');
    });

    it('decompression bomb (a 110 kB PNG of 30000x30000 pixels): refused from its header, 422', async () => {
      const { png, rawBytes } = await pngBomb(30000);
      expect(png.length).toBeLessThan(200_000); // passes the body limit
      // honestly a bomb: a well-formed PNG that declares, and inflates to, 900 megapixels
      const meta = await sharp(png, { limitInputPixels: false }).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 30000, 30000]);
      expect(rawBytes).toBe(30000 * 3751);
      const rssBefore = process.memoryUsage().rss;
      const start = performance.now();
      const message = await expectError(await post('/segment?k=3', png), 422, 'ERR_DINO_INVALID_IMAGE', /larger than the limit of 25000000 pixels/);
      expect(message).toMatch(/refusing to decode/);
      expect(performance.now() - start).toBeLessThan(2000);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024); // 900 MB were never allocated
    });

    it('k out of range or not an integer: 400 with the library\'s message', async () => {
      await expectError(await post('/segment?k=0', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /integer >= 1 for k but received 0/);
      await expectError(await post('/segment?k=197', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /k = 197 is larger than the number of patches \(196\)/);
      await expectError(await post('/segment?k=2.5', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /integer >= 1 for k but received 2.5/);
      await expectError(await post('/segment?k=-3', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /for k but received -3/);
      await expectError(await post('/segment?k=five', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /'k' must be a number; got 'five'/);
      await expectError(await post('/segment?k=2&k=3', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /more than once/);
      // the upper bound follows the grid: 196 patches at 224, 400 at 320
      expect((await post('/segment?k=300&size=320', image)).statusCode).toBe(200);
    });

    it('bad size: 400 (not a multiple of the patch size, too large, unreadable)', async () => {
      await expectError(await post('/features?size=250', image), 400, 'ERR_DINO_SHAPE_MISMATCH', /250 is not a multiple of the model's patch size 16; use 240 or 256/);
      await expectError(await post('/segment?size=224x100', image), 400, 'ERR_DINO_SHAPE_MISMATCH', /width 100 .* use 96 or 112/);
      await expectError(await post('/features?size=4096', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /larger than this service allows \(1024 pixels per side\)/);
      await expectError(await post('/features?size=big', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /a size such as 224 or "320x480"/);
      await expectError(await post('/features?size=0', image), 400, 'ERR_DINO_INVALID_ARGUMENT');
    });

    it('parameters the service checks itself are refused before any decoding or inference', async () => {
      const extract = vi.spyOn(Model.prototype, 'extract');
      try {
        await expectError(await post('/features?format=csv', image), 400, 'ERR_DINO_INVALID_ARGUMENT');
        await expectError(await post('/heatmap?colormap=rainbow', image), 400, 'ERR_DINO_INVALID_ARGUMENT');
        await expectError(await post('/segment?k=many', image), 400, 'ERR_DINO_INVALID_ARGUMENT');
        await expectError(await post('/segment?size=4096', image), 400, 'ERR_DINO_INVALID_ARGUMENT');
        await expectError(await post('/segment?k=3', image, { 'content-type': 'text/plain' }), 415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');
        expect(extract).not.toHaveBeenCalled();
      } finally {
        extract.mockRestore();
      }
    });

    it('other bad parameters: 400; unknown routes: 404', async () => {
      await expectError(await post('/heatmap?row=14&col=0', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /between 0 and 13 for row but received 14/);
      await expectError(await post('/heatmap?x=500&y=10', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /outside the 224x224 image/);
      await expectError(await post('/heatmap?row=1', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /both row and col/);
      await expectError(await post('/heatmap?row=1&col=1&x=3&y=3', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /not both/);
      await expectError(await post('/heatmap?colormap=rainbow', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /colormap must be one of viridis/);
      await expectError(await post('/heatmap?overlay=maybe', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /true or false/);
      await expectError(await post('/segment?alpha=2', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /between 0 and 1 for alpha/);
      await expectError(await post('/features?format=csv', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /'npy' or 'json'/);
      await expectError(await post('/segment?clusters=3', image), 400, 'ERR_DINO_INVALID_ARGUMENT', /Unknown query parameter 'clusters' for POST \/segment; it takes k, alpha/);
      await expectError(await app.inject({ method: 'GET', url: '/segment' }), 404, 'ERR_NOT_FOUND', /No route GET \/segment/);
    });

    it('keeps serving: a burst of bad requests, then good ones succeed', async () => {
      const { png: bomb } = await pngBomb(20000);
      const bad = await Promise.all([
        post('/segment?k=0', image),
        post('/segment', image.subarray(0, 100)),
        post('/features', bomb),
        post('/features', image, { 'content-type': 'text/plain' }),
        post('/heatmap?size=33', image),
        post('/features', Buffer.alloc(SERVICE_DEFAULTS.bodyLimit + 1)),
      ]);
      expect(bad.map((r) => r.statusCode)).toEqual([400, 422, 422, 415, 400, 413]);
      const good = await Promise.all([post('/segment?k=4', image), post('/heatmap', image), post('/features', image)]);
      expect(good.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const health = (await app.inject({ method: 'GET', url: '/health' })).json<{ queue: { active: number; failed: number } }>();
      expect(health.queue.active).toBe(0);
      expect(health.queue.failed).toBeGreaterThan(6);
    });
  });

  describe('limits and errors', () => {
    it('maps every error code to one status, in one function', () => {
      const statuses = Object.fromEntries(
        (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => [code, errorReply(new DinoError(code, 'x'), { bodyLimit: 1 }).status]),
      );
      expect(statuses).toMatchObject({
        ERR_DINO_INVALID_ARGUMENT: 400,
        ERR_DINO_SHAPE_MISMATCH: 400,
        ERR_DINO_INVALID_IMAGE: 422,
        ERR_DINO_BUSY: 503,
        ERR_DINO_DISPOSED: 503,
        ERR_DINO_BACKEND: 500,
        ERR_DINO_INTERNAL: 500,
      });
      expect(errorReply(new DinoError('ERR_DINO_BUSY', 'x'), { bodyLimit: 1 }).headers).toEqual({ 'retry-after': '1' });
      const internal = errorReply(new Error('secret detail'), { bodyLimit: 1 });
      expect(internal).toEqual({ status: 500, headers: {}, body: { error: 'ERR_INTERNAL', message: 'Internal server error' } });
    });

    it('refuses unusable limits', async () => {
      await expect(buildServer({ model: modelPath, maxConcurrent: 0 })).rejects.toThrow(/maxConcurrent must be an integer >= 1; got 0/);
      await expect(buildServer({ model: modelPath, maxQueue: Number.NaN })).rejects.toThrow(/maxQueue must be an integer >= 0/);
    });

    it('more requests than maxConcurrent: 503 ERR_DINO_BUSY with Retry-After, then serving again', async () => {
      const small = await buildServer({ model: modelPath, maxConcurrent: 1 });
      try {
        const inject = () => small.inject({ method: 'POST', url: '/segment?k=3&size=448', payload: image, headers: PNG });
        const answers = await Promise.all([inject(), inject(), inject()]);
        expect(answers.map((r) => r.statusCode)).toEqual([200, 503, 503]);
        expect(answers[1]!.headers['retry-after']).toBe('1');
        expect(answers[1]!.json()).toMatchObject({ error: 'ERR_DINO_BUSY', message: expect.stringMatching(/Too many requests in progress .* limit is 1/) });
        expect((await inject()).statusCode).toBe(200);
        expect((await small.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ queue: { active: 0, peakActive: 1, rejectedBusy: 2 } });
      } finally {
        await small.close();
      }
    });

    it('the model\'s own queue full (loadModel maxQueue): 503 with the library\'s message', async () => {
      const model = await loadModel(modelPath, { maxQueue: 0 });
      const shared = await buildServer({ model });
      try {
        // Hold the model with a long inference of another caller (a ready tensor: it enters the
        // model's queue at once), then ask the service.
        const long = model.extractTensor(new Float32Array(3 * 640 * 640), [1, 3, 640, 640]);
        await new Promise((r) => setTimeout(r, 20));
        const r = await shared.inject({ method: 'POST', url: '/features', payload: image, headers: PNG });
        await long;
        expect(r.statusCode).toBe(503);
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json()).toMatchObject({ error: 'ERR_DINO_BUSY', message: expect.stringMatching(/maxQueue 0/) });
        expect((await shared.inject({ method: 'POST', url: '/features', payload: image, headers: PNG })).statusCode).toBe(200);
      } finally {
        await shared.close();
        expect((await model.extract(image)).patchCount).toBeGreaterThan(0); // a model passed in stays the caller's
        await model.dispose();
      }
    });

    it('over real sockets on 127.0.0.1: close() finishes requests in flight, then disposes the model', async () => {
      const dispose = vi.spyOn(Model.prototype, 'dispose');
      const server = await buildServer({ model: modelPath });
      try {
        const address = await server.listen({ port: 0, host: '127.0.0.1' });
        expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const send = (query: string, body: Buffer | string, type = 'image/png') =>
          fetch(`${address}${query}`, { method: 'POST', body, headers: { 'content-type': type } });
        expect((await send('/segment?k=0', image)).status).toBe(400);
        expect((await send('/segment', 'nope')).status).toBe(422);
        expect((await send('/segment', image, 'text/plain')).status).toBe(415);
        const inFlight = send('/segment?k=4&size=448', image);
        await new Promise((r) => setTimeout(r, 20));
        const closing = server.close();
        const answer = await inFlight;
        expect(answer.status).toBe(200);
        expect((await readPng(Buffer.from(await answer.arrayBuffer()))).width).toBe(224);
        await closing;
        expect(dispose).toHaveBeenCalledTimes(1);
        await expect(send('/segment', image)).rejects.toThrow(); // no longer listening
      } finally {
        dispose.mockRestore();
        await server.close();
      }
    });
  });

  it('the command line serves, and exits cleanly on SIGTERM after disposing the model', async () => {
    // The example's main() run by plain node, with 'dinov3-trt' resolved to this checkout's lib/
    // (TypeScript transpiled on require, as bench/run-ts.cjs does).
    const bootstrap = `
      const ts = require('typescript');
      const Module = require('node:module');
      const { readFileSync } = require('node:fs');
      require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return resolve.call(this, request === 'dinov3-trt' ? ${JSON.stringify(join(projectRoot, 'lib/index.ts'))} : request, ...rest);
      };
      require(${JSON.stringify(join(projectRoot, 'examples/http-service.ts'))}).main(process.argv.slice(1)).catch((err) => {
        console.error(err);
        process.exitCode = 1;
      });`;
    const child = spawn(process.execPath, ['-e', bootstrap, '--', '--make-test-model', '--port', '0'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          stdout += s;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`the service exited with ${code}: ${stderr}`)));
      });
      expect(stdout).toMatch(/wrote a tiny test model/);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const r = await fetch(`${url}/segment?k=3`, { method: 'POST', body: image, headers: PNG });
      expect(r.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/SIGTERM: finishing requests in flight[\s\S]*closed; model disposed/);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
