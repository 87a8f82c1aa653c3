/**
 * A segmentation endpoint to copy into your own service: the model is loaded once, requests
 * share it (inference calls queue up; when too many wait, ERR_DINO_BUSY becomes 503), and every
 * error is a DinoError with a stable code that maps to an HTTP status.
 *
 *   node examples/dist/service-snippet.js MODEL.onnx [PORT]
 *   curl --data-binary @photo.jpg 'http://127.0.0.1:8080/segment?k=5' -o segments.png
 *   curl --data-binary @photo.jpg 'http://127.0.0.1:8080/heatmap?x=120&y=80' -o heatmap.png
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { isDinoError, loadModel, renderHeatmap, renderSegmentation, toPng, type Model } from 'dinov3-trt';

const MAX_BODY = 20 * 1024 * 1024;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('image too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function status(err: unknown): number {
  if (isDinoError(err)) {
    if (err.code === 'ERR_DINO_BUSY') return 503;
    if (['ERR_DINO_INVALID_IMAGE', 'ERR_DINO_INVALID_ARGUMENT', 'ERR_DINO_SHAPE_MISMATCH'].includes(err.code)) return 400;
    return 500;
  }
  return (err as { status?: number }).status ?? 500;
}

/** Handles POST /segment?k=K and POST /heatmap?x=X&y=Y with an image as the body; answers PNG. */
export function handler(model: Model): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'POST' || !['/segment', '/heatmap'].includes(url.pathname)) {
        res.writeHead(404).end();
        return;
      }
      const image = await body(req);
      const features = await model.extract(image);
      const picture =
        url.pathname === '/segment'
          ? await renderSegmentation(image, await features.kmeans({ k: Number(url.searchParams.get('k') ?? 5) }))
          : await renderHeatmap(
              image,
              await features.similarity({ x: Number(url.searchParams.get('x') ?? 0), y: Number(url.searchParams.get('y') ?? 0) }),
              { overlay: true },
            );
      res.writeHead(200, { 'content-type': 'image/png' }).end(await toPng(picture));
    } catch (err) {
      res.writeHead(status(err), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err), code: isDinoError(err) ? err.code : undefined }));
    }
  };
}

export async function main(args: readonly string[]): Promise<Server> {
  const [modelPath, port = '8080'] = args;
  if (!modelPath) throw new Error('usage: node examples/dist/service-snippet.js MODEL.onnx [PORT]');
  const model = await loadModel(modelPath, { maxQueue: 8 });
  const handle = handler(model);
  const server = createServer((req, res) => void handle(req, res));
  server.on('close', () => void model.dispose());
  await new Promise<void>((resolve) => server.listen(Number(port), '127.0.0.1', resolve));
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
  return server;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
