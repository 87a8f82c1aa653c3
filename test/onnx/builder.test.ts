/**
 * The graph builder and writer: what is written reads back identically, the result runs in
 * onnxruntime-node, and malformed graphs are refused when built.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attr, OnnxGraphBuilder, tensorFloat32, tensorInt64 } from '../../lib/onnx/builder';
import { inspectOnnxBuffer } from '../../lib/onnx/inspect';
import { parseModel } from '../../lib/onnx/parse';
import { ProtoReader } from '../../lib/onnx/protobuf';
import { AttributeType, DataType } from '../../lib/onnx/schema';
import { expectDinoErrorSync } from './helpers';

function sampleGraph(allAttributeKinds = true): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder({ name: 'sample', opset: 17, producerVersion: '1.2.3', docString: 'doc' });
  const x = g.input('x', 'float32', ['batch', 4]);
  g.output('y', 'float32', ['batch', 4]);
  g.output('shape', 'int64', [2]);
  const w = g.float32('w', [4], [1, 2, 3, 4]);
  const h = g.float16('h', [2, 2], [0.5, -1, 2, 65504]);
  g.int64('idx', [3], [-1, 0, 2n ** 62n]);
  const c = g.op('Constant', [], { value: attr.tensor(tensorFloat32('', [4], [10, 20, 30, 40])) });
  const sum = g.op('Add', [x, w]);
  const scaled = g.op('Mul', [sum, c], {}, { name: 'scale_node' });
  g.op('Identity', [scaled], {}, { output: 'y' });
  g.op('Shape', [x], {}, { output: 'shape' });
  // An unused node carrying every other attribute kind (not a valid Cast, so ORT tests leave it out).
  if (allAttributeKinds) g.node('Cast', [h], {
    to: attr.int(DataType.FLOAT),
    ints: attr.ints([-1, 0, 9223372036854775807n]),
    f: attr.float(0.25),
    floats: attr.floats([1.5, -2]),
    s: attr.string('text ✓'),
    t: attr.tensor(tensorInt64('t', [2], [7, -7])),
  }, { outputs: ['unused'] });
  g.meta('purpose', 'test');
  return g;
}

describe('OnnxGraphBuilder + serializeModel', () => {
  it('writes a ModelProto that parses back field for field', async () => {
    const bytes = sampleGraph().toBytes();
    const m = await parseModel(ProtoReader.fromBytes(bytes));
    expect(m.irVersion).toBe(8);
    expect(m.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(m.producerName).toBe('dinov3-trt');
    expect(m.producerVersion).toBe('1.2.3');
    expect(m.docString).toBe('doc');
    expect(m.metadata).toEqual({ purpose: 'test' });
    const g = m.graph;
    expect(g?.name).toBe('sample');
    expect(g?.inputs).toEqual([{ name: 'x', type: { kind: 'tensor', elemTypeCode: DataType.FLOAT, shape: ['batch', 4] } }]);
    expect(g?.outputs.map((o) => o.name)).toEqual(['y', 'shape']);
    expect(g?.initializers.map((t) => [t.name, t.dataType, t.dims, t.inlineBytes])).toEqual([
      ['w', DataType.FLOAT, [4], 16],
      ['h', DataType.FLOAT16, [2, 2], 8],
      ['idx', DataType.INT64, [3], 24],
    ]);
    const raw = g?.initializers[0]?.smallRawData;
    expect(raw && [...new Float32Array(raw.slice().buffer)]).toEqual([1, 2, 3, 4]);
    expect(g?.nodes.map((n) => n.opType)).toEqual(['Constant', 'Add', 'Mul', 'Identity', 'Shape', 'Cast']);
    expect(g?.nodes[2]?.name).toBe('scale_node');
    const cast = g?.nodes[5];
    const byName = new Map(cast?.attributes.map((a) => [a.name, a]));
    expect(byName.get('to')).toMatchObject({ type: AttributeType.INT, i: BigInt(DataType.FLOAT) });
    expect(byName.get('ints')).toMatchObject({ type: AttributeType.INTS, ints: [-1n, 0n, 9223372036854775807n] });
    expect(byName.get('f')).toMatchObject({ type: AttributeType.FLOAT, f: 0.25 });
    expect(byName.get('floats')).toMatchObject({ type: AttributeType.FLOATS, floats: [1.5, -2] });
    expect(Buffer.from(byName.get('s')?.s ?? new Uint8Array()).toString('utf8')).toBe('text ✓');
    expect(byName.get('t')?.t).toMatchObject({ name: 't', dataType: DataType.INT64, dims: [2] });
  });

  it('runs in onnxruntime-node', async () => {
    const session = await ort.InferenceSession.create(sampleGraph(false).toBytes(), { intraOpNumThreads: 1 });
    const x = new ort.Tensor('float32', Float32Array.of(1, 1, 1, 1, 0, 0, 0, 0), [2, 4]);
    const out = await session.run({ x });
    expect([...(out['y']?.data as Float32Array)]).toEqual([20, 60, 120, 200, 10, 40, 90, 160]);
    expect([...(out['shape']?.data as BigInt64Array)]).toEqual([2n, 4n]);
  });

  it('is deterministic', () => {
    expect(Buffer.from(sampleGraph().toBytes()).equals(Buffer.from(sampleGraph().toBytes()))).toBe(true);
  });

  it('inspects its own output', async () => {
    const info = await inspectOnnxBuffer(sampleGraph().toBytes());
    expect(info.opsetVersion).toBe(17);
    expect(info.inputs).toEqual([{ name: 'x', elemType: 'float32', elemTypeCode: 1, shape: ['batch', 4] }]);
    expect(info.initializers).toMatchObject({ count: 3, totalBytes: 48, inlineBytes: 48, externalBytes: 0 });
    expect(info.hasFp16Weights).toBe(true);
    expect(info.opHistogram).toEqual({ Constant: 1, Add: 1, Mul: 1, Identity: 1, Shape: 1, Cast: 1 });
    expect(info.patchEmbedding).toBeUndefined();
    expect(info.warnings.join('\n')).toMatch(/no Conv fed by the image input/);
  });

  it('refuses malformed graphs', () => {
    const g = new OnnxGraphBuilder();
    const x = g.input('x', 'float32', [1]);
    expectDinoErrorSync(() => g.op('Relu', ['nope']), 'ERR_DINO_INVALID_ARGUMENT', /nope, which is not defined/);
    expectDinoErrorSync(() => g.float32('x', [1], [0]), 'ERR_DINO_INVALID_ARGUMENT', /defined twice/);
    expectDinoErrorSync(() => g.float32('w', [2, 2], [0]), 'ERR_DINO_INVALID_ARGUMENT', /4 elements\) but 1 values/);
    g.op('Relu', [x], {}, { name: 'r' });
    expectDinoErrorSync(() => g.op('Relu', [x], {}, { name: 'r' }), 'ERR_DINO_INVALID_ARGUMENT', /used twice/);
    expectDinoErrorSync(() => g.build(), 'ERR_DINO_INVALID_ARGUMENT', /no outputs/);
    g.output('y', 'float32', [1]);
    expectDinoErrorSync(() => g.build(), 'ERR_DINO_INVALID_ARGUMENT', /never produced/);
  });
});
