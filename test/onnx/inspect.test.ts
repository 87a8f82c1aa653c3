/**
 * inspectOnnx on the conformance model and the real-size ViT-S/16 graph (bench/models), on a
 * 1.2 GB model with inline weights (a sparse file: only its structure may be read), and on
 * broken input: truncated copies, images, random bytes, missing paths.
 */
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, readSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectOnnx, inspectOnnxBuffer } from '../../lib/onnx/inspect';
import { buildTinyDinov3 } from '../../lib/onnx/tiny-dinov3';
import { Xorshift32 } from '../../lib/onnx/prng';
import { ProtoWriter } from '../../lib/onnx/protobuf';
import { DataType, GraphField, ModelField, NodeField, OpsetField, TensorField, WireType } from '../../lib/onnx/schema';
import {
  conformanceModelPath,
  expectDinoError,
  pngPath,
  tempDir,
  vits16Path,
} from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('inspectOnnx: conformance model (dinov3-tiny-r4)', () => {
  it('reports the model contract', async () => {
    const info = await inspectOnnx(conformanceModelPath);
    expect(info.irVersion).toBe(8);
    expect(info.opsetVersion).toBe(17);
    expect(info.opsetImports).toContainEqual({ domain: '', version: 17 });
    expect(info.producer.name).toBe('pytorch');
    expect(info.inputs).toEqual([{ name: 'pixel_values', elemType: 'float32', elemTypeCode: 1, shape: ['batch', 3, 'height', 'width'] }]);
    expect(info.outputs.map((o) => [o.name, o.elemType, o.shape?.length])).toEqual([
      ['last_hidden_state', 'float32', 3],
      ['pooler_output', 'float32', 2],
    ]);
    expect(info.patchEmbedding).toMatchObject({
      input: 'pixel_values',
      via: 'cast',
      kernelShape: [16, 16],
      strides: [16, 16],
      patchSize: 16,
      weightName: 'embeddings.patch_embeddings.weight',
      weightDims: [64, 3, 16, 16],
      outChannels: 64,
      inChannels: 3,
    });
    expect(info.embeddingDim).toBe(64);
    expect(info.registerCountHint).toBe(4);
    expect(info.registerInitializers).toEqual([{ name: 'embeddings.register_tokens', dims: [1, 4, 64] }]);
    expect(info.hasLayerNormalization).toBe(true);
    expect(info.layerNormalizationCount).toBe(7); // 2 per block × 3 + final
    expect(info.hasIfNodes).toBe(true);
    expect(info.ifNodeNames.length).toBe(2);
    expect(info.subgraphNodeCount).toBeGreaterThan(0);
    expect(info.opHistogram['Conv']).toBe(1);
    expect(info.opHistogram['Softmax']).toBe(3);
    expect(info.hasFp16Weights).toBe(false);
    expect(info.externalData).toEqual({ used: false, files: [], missing: [] });
    expect(info.initializers.count).toBeGreaterThan(20);
    expect(info.initializers.inlineBytes).toBe(info.initializers.totalBytes);
    expect(info.initializers.totalBytes).toBeGreaterThan(500_000);
    expect(info.fileSize).toBe(readFileSync(conformanceModelPath).byteLength);
    expect(info.warnings.join('\n')).toMatch(/If node/);
  });

  it('gives the same answer from memory', async () => {
    const fromFile = await inspectOnnx(conformanceModelPath);
    const fromMemory = await inspectOnnxBuffer(readFileSync(conformanceModelPath));
    expect({ ...fromMemory, path: fromFile.path, bytesRead: fromFile.bytesRead }).toEqual(fromFile);
  });

  it('raises ERR_DINO_INVALID_MODEL saying "truncated" for every cut of the file', async () => {
    const bytes = readFileSync(conformanceModelPath);
    for (const n of [1, 10, 100, 5000, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const path = join(tmp.dir, `cut-${n}.onnx`);
      writeFileSync(path, bytes.subarray(0, n));
      const err = await expectDinoError(inspectOnnx(path), 'ERR_DINO_INVALID_MODEL', /truncated: expected \d+ more bytes at offset \d+/);
      expect(err.message).toContain(path);
    }
  });
});

describe('inspectOnnx: models/vits16 (external data, weights absent)', () => {
  it('reads only the graph and reports the missing data file cleanly', async () => {
    const info = await inspectOnnx(vits16Path);
    const manifest = JSON.parse(readFileSync(join(vits16Path, '..', 'external_data.json'), 'utf8')) as { location: string; bytes: number; tensors: unknown[] };
    expect(info.bytesRead).toBeLessThanOrEqual(info.fileSize);
    expect(info.embeddingDim).toBe(384);
    expect(info.patchEmbedding?.patchSize).toBe(16);
    expect(info.registerCountHint).toBe(4);
    expect(info.externalData.used).toBe(true);
    expect(info.initializers.externalBytes).toBe(manifest.bytes);
    expect(info.initializers.totalBytes).toBe(manifest.bytes);
    const file = info.externalData.files[0];
    expect(info.externalData.files.length).toBe(1);
    expect(file).toMatchObject({ location: manifest.location, tensorCount: manifest.tensors.length, requiredBytes: manifest.bytes });
    if (file?.status === 'missing') {
      expect(info.externalData.missing).toEqual([manifest.location]);
      expect(info.warnings.join('\n')).toMatch(new RegExp(`external data file "${manifest.location}" is missing`));
    } else {
      expect(file?.status).toBe('ok'); // someone ran synth-weights.mjs
    }
  });

  it('checks the data file next to a copy: too small, then present (never read)', async () => {
    const dir = join(tmp.dir, 'vits16');
    mkdirSync(dir);
    const model = join(dir, 'vits16.onnx');
    copyFileSync(vits16Path, model);
    const dataPath = join(dir, 'vits16.onnx.data');
    writeFileSync(dataPath, new Uint8Array(100));
    let info = await inspectOnnx(model);
    expect(info.externalData.files[0]).toMatchObject({ status: 'too-small', actualBytes: 100 });
    expect(info.externalData.missing).toEqual([]);
    truncateSync(dataPath, info.initializers.externalBytes); // sparse: no bytes written
    info = await inspectOnnx(model);
    expect(info.externalData.files[0]?.status).toBe('ok');
    expect(info.warnings.join('\n')).not.toMatch(/external data/);
    const fromMemory = await inspectOnnxBuffer(readFileSync(model));
    expect(fromMemory.externalData.files[0]?.status).toBe('unchecked');
    const withBase = await inspectOnnxBuffer(readFileSync(model), { baseDir: dir });
    expect(withBase.externalData.files[0]?.status).toBe('ok');
  });
});

/** Writes a model whose one initializer has `rawBytes` of inline raw_data, as a sparse file. */
function writeHugeInlineModel(path: string, rawBytes: number): void {
  const tensorHead = new ProtoWriter()
    .packedVarints(TensorField.DIMS, [rawBytes / 4])
    .int64(TensorField.DATA_TYPE, DataType.FLOAT)
    .string(TensorField.NAME, 'huge')
    .tag(TensorField.RAW_DATA, WireType.LEN)
    .varint(rawBytes)
    .finish();
  const tensorLength = tensorHead.length + rawBytes;
  const graphHead = new ProtoWriter()
    .message(GraphField.NODE, (n) => n.string(NodeField.INPUT, 'huge').string(NodeField.OUTPUT, 'y').string(NodeField.OP_TYPE, 'Identity'))
    .string(GraphField.NAME, 'huge_graph')
    .tag(GraphField.INITIALIZER, WireType.LEN)
    .varint(tensorLength)
    .finish();
  const graphTail = new ProtoWriter()
    .message(GraphField.OUTPUT, (v) => v.string(1, 'y'))
    .finish();
  const graphLength = graphHead.length + tensorLength + graphTail.length;
  const head = new ProtoWriter()
    .int64(ModelField.IR_VERSION, 8)
    .tag(ModelField.GRAPH, WireType.LEN)
    .varint(graphLength)
    .raw(graphHead)
    .raw(tensorHead)
    .finish();
  const tail = new ProtoWriter().raw(graphTail).message(ModelField.OPSET_IMPORT, (o) => o.int64(OpsetField.VERSION, 17)).finish();
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    writeSync(fd, tail, 0, tail.length, head.length + rawBytes);
  } finally {
    closeSync(fd);
  }
}

describe('inspectOnnx: 1.2 GB model with inline weights', () => {
  it('skips the weights by seeking: reads kilobytes, not gigabytes', async () => {
    const path = join(tmp.dir, 'huge.onnx');
    const rawBytes = 1_200_000_000;
    writeHugeInlineModel(path, rawBytes);
    const start = performance.now();
    const info = await inspectOnnx(path);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(info.fileSize).toBeGreaterThan(rawBytes);
    expect(info.bytesRead).toBeLessThan(200_000);
    expect(info.initializers).toMatchObject({ count: 1, totalBytes: rawBytes, inlineBytes: rawBytes, externalBytes: 0 });
    expect(info.graphName).toBe('huge_graph');
    expect(info.opHistogram).toEqual({ Identity: 1 });
    // The same file cut short inside the weights: truncated, found without reading them.
    const cut = join(tmp.dir, 'huge-cut.onnx');
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(4096);
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    writeFileSync(cut, head);
    truncateSync(cut, 600_000_000);
    const err = await expectDinoError(inspectOnnx(cut), 'ERR_DINO_INVALID_MODEL', /truncated: expected \d+ more bytes/);
    expect(err.details?.['fileSize']).toBe(600_000_000);
  });
});

describe('inspectOnnx: I/O', () => {
  it('reads little more than the graph structure of a model with many inline weights', async () => {
    const path = join(tmp.dir, 'wide.onnx');
    writeFileSync(path, buildTinyDinov3({ dim: 256, depth: 2, heads: 4 }));
    const info = await inspectOnnx(path);
    expect(info.initializers.inlineBytes).toBeGreaterThan(0.95 * info.fileSize);
    expect(info.bytesRead).toBeLessThan(0.05 * info.fileSize);
    expect(info.embeddingDim).toBe(256);
  });
});

describe('inspectOnnx: tensor storage variants', () => {
  it('sizes typed-field and external tensors without a length, and flags locations outside the model dir', async () => {
    const external = (w: ProtoWriter, name: string, location: string): void => {
      w.packedVarints(TensorField.DIMS, [10, 10]).int64(TensorField.DATA_TYPE, DataType.FLOAT16).string(TensorField.NAME, name);
      w.message(TensorField.EXTERNAL_DATA, (e) => e.string(1, 'location').string(2, location));
      w.message(TensorField.EXTERNAL_DATA, (e) => e.string(1, 'offset').string(2, '4096'));
      w.int64(TensorField.DATA_LOCATION, 1);
    };
    const bytes = new ProtoWriter()
      .int64(ModelField.IR_VERSION, 7)
      .message(ModelField.GRAPH, (g) => {
        g.message(GraphField.NODE, (n) => n.string(NodeField.INPUT, 'a').string(NodeField.INPUT, 'b').string(NodeField.OUTPUT, 'y').string(NodeField.OP_TYPE, 'Add'));
        g.message(GraphField.INITIALIZER, (t) =>
          t.packedVarints(TensorField.DIMS, [3]).int64(TensorField.DATA_TYPE, DataType.FLOAT).string(TensorField.NAME, 'a').packedFloats(TensorField.FLOAT_DATA, [1, 2, 3]),
        );
        g.message(GraphField.INITIALIZER, (t) => external(t, 'b', 'weights.bin'));
        g.message(GraphField.INITIALIZER, (t) => external(t, 'c', '../escape.bin'));
        g.message(GraphField.OUTPUT, (v) => v.string(1, 'y'));
      })
      .message(ModelField.OPSET_IMPORT, (o) => o.int64(OpsetField.VERSION, 13))
      .message(ModelField.OPSET_IMPORT, (o) => o.string(OpsetField.DOMAIN, 'com.microsoft').int64(OpsetField.VERSION, 1))
      .finish();
    const info = await inspectOnnxBuffer(bytes, { baseDir: tmp.dir });
    expect(info.opsetImports).toEqual([
      { domain: '', version: 13 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(info.initializers).toMatchObject({ count: 3, totalBytes: 12 + 200 + 200, inlineBytes: 12, externalBytes: 400 });
    expect(info.initializers.byElemType).toEqual({ float32: { count: 1, bytes: 12 }, float16: { count: 2, bytes: 400 } });
    expect(info.hasFp16Weights).toBe(true);
    expect(info.externalData.files.map((f) => [f.location, f.status, f.requiredBytes])).toEqual([
      ['weights.bin', 'missing', 4296],
      ['../escape.bin', 'outside-model-dir', 4296],
    ]);
    expect(info.externalData.missing).toEqual(['weights.bin']);
    expect(info.warnings.join('\n')).toMatch(/"\.\.\/escape\.bin" is absolute or outside the model directory/);
  });
});

describe('inspectOnnx: not ONNX / not there', () => {
  it('rejects a PNG image', async () => {
    await expectDinoError(inspectOnnx(pngPath), 'ERR_DINO_INVALID_MODEL', /not a valid ONNX model: it looks like a PNG image/);
    // Without its signature byte the PNG goes through the protobuf parser, which must refuse it too.
    const headless = join(tmp.dir, 'headless.png');
    writeFileSync(headless, readFileSync(pngPath).subarray(1));
    await expectDinoError(inspectOnnx(headless), 'ERR_DINO_INVALID_MODEL');
  });

  it('rejects random bytes, text and an empty file', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Xorshift32(seed);
      const bytes = Uint8Array.from({ length: 2000 }, () => rng.nextUint32() & 0xff);
      await expectDinoError(inspectOnnxBuffer(bytes), 'ERR_DINO_INVALID_MODEL');
    }
    const text = join(tmp.dir, 'model.txt');
    writeFileSync(text, 'this is not a model\n');
    await expectDinoError(inspectOnnx(text), 'ERR_DINO_INVALID_MODEL');
    const empty = join(tmp.dir, 'empty.onnx');
    writeFileSync(empty, '');
    await expectDinoError(inspectOnnx(empty), 'ERR_DINO_INVALID_MODEL', /empty/);
    // Valid protobuf that is not a model (no graph).
    await expectDinoError(inspectOnnxBuffer(Uint8Array.of(0x08, 0x08)), 'ERR_DINO_INVALID_MODEL', /no graph/);
  });

  it('reports a missing path or a directory as ERR_DINO_FILE_NOT_FOUND, a bad argument as ERR_DINO_INVALID_ARGUMENT', async () => {
    await expectDinoError(inspectOnnx(join(tmp.dir, 'nope.onnx')), 'ERR_DINO_FILE_NOT_FOUND', /does not exist/);
    await expectDinoError(inspectOnnx(tmp.dir), 'ERR_DINO_FILE_NOT_FOUND', /is a directory/);
    await expectDinoError(inspectOnnx(''), 'ERR_DINO_INVALID_ARGUMENT');
    await expectDinoError(inspectOnnxBuffer('x' as unknown as Uint8Array), 'ERR_DINO_INVALID_ARGUMENT');
  });
});
