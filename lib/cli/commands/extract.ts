/** `dinov3 extract`: CLS, register and patch tokens of one image (or one input tensor) to files. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DinoError } from '../../errors';
import type { Features } from '../../features';
import { encodeNpy } from '../../io/npy';
import { loadModel } from '../../model/model';
import { parseSize } from '../../util/size';
import { int, parse, required, str, type Options } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';

export const usage = `Usage: dinov3 extract --model MODEL.onnx (--image IMAGE | --input-tensor FILE.f32 --input-shape 1x3xHxW)
                      [--size HxW] --out DIR [--format npy|f32] [model options]

Writes DIR/cls, DIR/registers and DIR/patches (.npy, loadable with numpy.load, or raw
little-endian .f32) and DIR/meta.json (grid, dim, registers, patch size, input size, backend,
timings). Aliases: --input_size for --size, --patch_size to assert the model's patch size.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  'input-tensor': { type: 'string' },
  'input-shape': { type: 'string' },
  size: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

function parseShape(text: string): number[] {
  const dims = text.split(/[x×,]/).map((s) => Number(s.trim()));
  if (dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d <= 0) || dims[1] !== 3) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--input-shape must be Bx3xHxW, got '${text}'`);
  }
  return dims;
}

async function readTensor(path: string): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Input tensor file not found: ${path}`, { cause: err });
  }
  if (bytes.length % 4 !== 0) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${path} is not raw float32 data (${bytes.length} bytes)`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export async function write(features: Features, dir: string, format: 'npy' | 'f32'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const parts: Array<[string, Float32Array, number[]]> = [
    ['cls', features.cls, [features.dim]],
    ['registers', features.registers, [features.registerCount, features.dim]],
    ['patches', features.patches, [features.patchCount, features.dim]],
  ];
  const files: string[] = [];
  for (const [name, data, shape] of parts) {
    const file = join(dir, `${name}.${format}`);
    await writeFile(file, format === 'npy' ? encodeNpy(data, shape) : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    files.push(file);
  }
  const meta = {
    grid: features.grid,
    dim: features.dim,
    registers: features.registerCount,
    patchSize: features.patchSize,
    inputSize: features.inputSize,
    imageSize: features.imageSize,
    backend: features.backend,
    format,
    layout: 'cls [dim]; registers [registers, dim]; patches [grid.rows * grid.cols, dim] row-major',
    timings: features.timings,
  };
  const metaFile = join(dir, 'meta.json');
  await writeFile(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  files.push(metaFile);
  return files;
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const dir = required(p, 'out', usage);
  const format = (str(p, 'format') ?? 'npy') as 'npy' | 'f32';
  if (format !== 'npy' && format !== 'f32') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--format must be npy or f32, got '${String(format)}'`);
  const image = str(p, 'image');
  const tensorPath = str(p, 'input-tensor');
  if ((image === undefined) === (tensorPath === undefined)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Give exactly one of --image or --input-tensor\n\n${usage}`);
  }
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    let features: Features;
    if (image !== undefined) {
      const size = str(p, 'size');
      features = await model.extract(image, size === undefined ? {} : { size: parseSize(size, '--size') });
    } else {
      const shape = parseShape(required(p, 'input-shape', usage));
      if (shape[0] !== 1) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'extract writes one image: --input-shape must start with 1');
      [features] = (await model.extractTensor(await readTensor(tensorPath as string), shape)) as [Features];
    }
    features = await features.toHost(); // TensorRT features live on the GPU
    const files = await write(features, dir, format);
    const t = features.timings;
    out(
      `grid ${features.grid.rows}x${features.grid.cols}, dim ${features.dim}, registers ${features.registerCount}, backend ${features.backend}\n` +
        `decode ${t.decodeMs.toFixed(1)} ms, preprocess ${t.preprocessMs.toFixed(1)} ms, inference ${t.inferenceMs.toFixed(1)} ms, total ${t.totalMs.toFixed(1)} ms\n` +
        files.map((f) => `wrote ${f}`).join('\n'),
    );
  } finally {
    await model.dispose();
  }
}
