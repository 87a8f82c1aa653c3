/**
 * The shape of the library: the module graph of lib/ has no import cycles, counting type-only
 * imports (found with TypeScript's own pre-processor: import/export ... from, require, dynamic
 * import), and the public API fits on a screen — the root export holds the model, features,
 * analysis, rendering, sources/pipelines, server, capabilities and errors; test-model generation
 * lives in `dinov3-trt/testing`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import * as api from '../lib';
import { DEFAULTS, ERROR_CODES } from '../lib';
import { NativePixelFormat } from '../lib/binding';
import * as testingApi from '../lib/testing';
import * as workerApi from '../lib/worker';
import { projectRoot } from './helpers/shared';

const lib = join(projectRoot, 'lib');

function modules(): string[] {
  return readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(lib, f));
}

function target(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

/** Strongly connected components with more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.map((m) => relative(lib, m)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('architecture', () => {
  it('lib/ has no import cycles (type-only imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const file of modules()) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      graph.set(file, info.importedFiles.map((i) => target(file, i.fileName)).filter((t): t is string => t !== undefined));
    }
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });

  it('the check finds a cycle when there is one', () => {
    expect(cycles(new Map([['/a.ts', ['/b.ts']], ['/b.ts', ['/a.ts']], ['/c.ts', ['/a.ts']]]))).toHaveLength(1);
  });
});

describe('native calls', () => {
  // The modules that own native work; CLI commands, renderers, pipelines and the live server go
  // through them.
  const owners = [
    'binding.ts', 'privacy.ts', 'capabilities.ts', 'features.ts', 'util/cancel.ts',
    'analysis/kmeans.ts', 'analysis/pca.ts', 'analysis/similarity.ts', 'analysis/correspondence.ts', 'analysis/propagate.ts',
    'backends/select.ts', 'backends/tensorrt.ts', 'model/model.ts', 'model/tokens.ts', 'tensorrt/build-engine.ts',
    'render/kernels.ts', 'video/sources/capture-source.ts', 'video/sources/source.ts', 'image/fast-decode.ts',
    'model/finite.ts', 'tensorrt/engine-check.ts',
    // The doctor exercises the kernels, the preprocessing and the module versions directly: checking them is its job.
    'doctor/conformance.ts', 'doctor/cuda.ts', 'doctor/machine.ts',
  ];

  it('native() is called only from the modules that own native work', () => {
    const callers = modules()
      .filter((f) => /\bnative\(\)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(lib, f))
      .sort();
    expect(callers.filter((f) => !owners.includes(f))).toEqual([]);
    expect(callers.filter((f) => /^(cli|render\/(?!kernels)|pipeline|live)\//.test(f))).toEqual([]);
  });
});

describe('facts written in C++ and in TypeScript agree', () => {
  const source = (path: string): string => readFileSync(join(projectRoot, path), 'utf8');
  const enumValues = (text: string, name: string): Record<string, number> => {
    const body = new RegExp(`enum class ${name} : \\w+ \\{([^}]*)\\}`).exec(text)?.[1] ?? '';
    return Object.fromEntries([...body.matchAll(/k(\w+) = (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  };

  it('pixel format numbers: NativePixelFormat = the CUDA FrameFormat (which extends the core PixelFormat: static_assert)', () => {
    const cuda = enumValues(source('native/cuda/cuda_api.h'), 'FrameFormat');
    const core = enumValues(source('native/core/preprocess.h'), 'PixelFormat');
    expect(Object.keys(cuda)).toHaveLength(6);
    expect(Object.fromEntries(Object.entries(NativePixelFormat).map(([k, v]) => [k, v]))).toEqual(cuda);
    for (const [k, v] of Object.entries(core)) expect(cuda[k]).toBe(v);
  });

  it('k-means defaults: DEFAULTS.kmeans = the C++ KMeansOptions defaults', () => {
    const struct = /struct KMeansOptions \{([\s\S]*?)\};/.exec(source('native/core/kmeans.h'))?.[1] ?? '';
    const value = (field: string): number => Number(new RegExp(`\\b${field} = ([\\d.e-]+);`).exec(struct)?.[1]);
    expect({ iterations: value('max_iterations'), restarts: value('restarts'), seed: value('seed'), tolerance: value('tolerance') }).toEqual({ ...DEFAULTS.kmeans });
  });

  it('every error code the native code raises is an ERROR_CODES entry', () => {
    const files = readdirSync(join(projectRoot, 'native'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(h|cc|cu|cuh)$/.test(f) && !f.startsWith('tests'));
    const codes = new Set(files.flatMap((f) => [...source(join('native', f)).matchAll(/"(ERR_DINO_[A-Z0-9_]+)"/g)].map((m) => m[1]!)));
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
});

describe('public API', () => {
  const root: Record<string, unknown> = api;
  const testing: Record<string, unknown> = testingApi;

  it('the root export has at most 30 runtime names, and no internals', () => {
    const names = Object.keys(root).filter((n) => n !== '__esModule');
    expect(names.length).toBeLessThanOrEqual(30);
    for (const name of ['loadModel', 'Model', 'Features', 'openSource', 'segmentVideo', 'segmentStreams', 'segmentStream', 'serveLive', 'renderHeatmap', 'capabilities', 'DinoError', 'matchPatches', 'trackVideo']) expect(names).toContain(name);
    for (const internal of ['ProgressBar', 'openFrameWriter', 'changedShare', 'writeTinyDinov3', 'buildTinyDinov3', 'openImageDir', 'openFrameSource', 'native']) expect(names).not.toContain(internal);
  });

  it('dinov3-trt/testing has the test-model generator and the graph builder with its tensor helpers', () => {
    expect(Object.keys(testing).filter((n) => n !== '__esModule').sort()).toEqual(['OnnxGraphBuilder', 'attr', 'buildTinyDinov3', 'tensorFloat16', 'tensorFloat32', 'tensorInt64', 'writeTinyDinov3']);
  });

  it('dinov3-trt/worker has the worker, the submit client and the message schema; only its loader names the optional NATS packages', () => {
    expect(Object.keys(workerApi).filter((n) => n !== '__esModule').sort()).toEqual(
      ['POOL_DEFAULTS', 'decodeJob', 'decodeResult', 'encodeMessage', 'formatCounters', 'jobIdFor', 'poolNames', 'startWorker', 'submitFolder'].sort(),
    );
    const naming = modules()
      .filter((f) => readFileSync(f, 'utf8').includes("'@nats-io/"))
      .map((f) => relative(lib, f));
    expect(naming).toEqual(['worker/nats-api.ts']);
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string>; dependencies: Record<string, string> };
    expect(Object.keys(pkg.optionalDependencies ?? {}).sort()).toEqual(['@nats-io/jetstream', '@nats-io/obj', '@nats-io/transport-node']);
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@nats-io/'))).toEqual([]);
  });

  it.skipIf(!existsSync(join(projectRoot, 'dist', 'testing.js')))('package.json exports both entry points and the built .d.ts files carry no @internal member', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { default?: string }> };
    expect(pkg.exports['./testing']?.default).toBe('./dist/testing.js');
    // The package resolves itself through its exports, as an installed one would.
    const resolved = createRequire(join(projectRoot, 'package.json')).resolve(`${pkg.name}/testing`);
    expect(resolved).toBe(join(projectRoot, 'dist', 'testing.js'));
    expect(createRequire(join(projectRoot, 'package.json')).resolve(`${pkg.name}/worker`)).toBe(join(projectRoot, 'dist', 'worker', 'index.js'));
    const declarations = readdirSync(join(projectRoot, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(50);
    expect(declarations.filter((f) => readFileSync(join(projectRoot, 'dist', f), 'utf8').includes('@internal'))).toEqual([]);
    // stripInternal must not leave a declaration naming something it stripped.
    const program = ts.createProgram(declarations.map((f) => join(projectRoot, 'dist', f)), {
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      types: ['node'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(problems).toEqual([]);
  }, 60_000);
});
