/**
 * The C++ test suite (CTest: native core, CUDA kernels, capture module, TensorRT module), one
 * vitest test per C++ test, so that what ran, what failed and what was skipped (and why) shows
 * in the vitest output. A source checkout builds the C++ tests with the addon (CMakeLists.txt);
 * when the addon's build tree has none (a node-gyp build, or DINOV3_BUILD_TESTS=OFF) they are
 * built here with CMake into build/ctest.
 *
 * The C++ harness (native/tests/check.h) ends every test with "[  OK  ] name", "[ FAIL ] name"
 * or "[ SKIP ] name: why", and exits 77 when nothing could run (CTest's SKIP_RETURN_CODE): the
 * CUDA tests on a machine without a GPU, the TensorRT tests without a device. On a TensorRT
 * machine the TensorRT suite runs on the conformance model rewritten for TensorRT
 * (DINOV3_TRT_ONNX, as test/tensorrt.test.ts does).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { projectRoot } from './helpers/shared';
import { conformanceOnnxForTensorRT } from './helpers/trt-onnx';

interface CTestEntry {
  name: string;
  command: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  timeoutMs: number;
  skipCode: number | undefined;
}

interface CppResult {
  status: 'passed' | 'failed' | 'skipped';
  why: string;
}

const hasTree = (dir: string): boolean => existsSync(join(dir, 'native', 'tests', 'CTestTestfile.cmake'));
const commandWorks = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

/** The CTest tree: the addon's build, DINOV3_CTEST_DIR, or one built here; otherwise why not. */
function ctestTree(): { dir: string } | { why: string } {
  const addonTree = process.env.DINOV3_CTEST_DIR ?? join(projectRoot, 'build');
  if (hasTree(addonTree)) return { dir: addonTree };
  if (!commandWorks('cmake') || !commandWorks('ctest')) return { why: 'cmake/ctest not found: the C++ tests build with CMake' };
  const dir = join(projectRoot, 'build', 'ctest');
  console.log(`building the C++ tests in ${dir} (the addon's build tree has none)`);
  const steps: string[][] = [['-S', projectRoot, '-B', dir, '-DDINOV3_BUILD_TESTS=ON'], ['--build', dir, '--parallel', '2']];
  for (const args of steps) {
    const r = spawnSync('cmake', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`cmake ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  }
  return { dir };
}

interface CTestJson {
  tests?: Array<{ name: string; command?: string[]; properties?: Array<{ name: string; value: unknown }> }>;
}

/** The tests CTest would run, with their commands and properties. */
function ctestEntries(dir: string): CTestEntry[] {
  const r = spawnSync('ctest', ['--test-dir', dir, '--show-only=json-v1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ctest --show-only failed: ${r.stderr}`);
  return ((JSON.parse(r.stdout) as CTestJson).tests ?? []).map((t) => {
    const prop = (name: string): unknown => t.properties?.find((p) => p.name === name)?.value;
    const env: Record<string, string> = {};
    for (const kv of (prop('ENVIRONMENT') as string[] | undefined) ?? []) {
      const eq = kv.indexOf('=');
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const timeout = Number(prop('TIMEOUT') ?? 600);
    const skip = prop('SKIP_RETURN_CODE');
    return { name: t.name, command: t.command ?? [], env, cwd: prop('WORKING_DIRECTORY') as string | undefined, timeoutMs: timeout * 1000, skipCode: skip === undefined ? undefined : Number(skip) };
  });
}

/** C++ test names of one binary (its --list). */
function cppTestNames(entry: CTestEntry): string[] {
  const [cmd, ...args] = entry.command;
  const r = spawnSync(cmd!, [...args, '--list'], { encoding: 'utf8', cwd: entry.cwd });
  if (r.status !== 0) throw new Error(`${entry.command.join(' ')} --list failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Per-test results from the harness's output. */
function parseResults(output: string): Map<string, CppResult> {
  const results = new Map<string, CppResult>();
  for (const line of output.split('\n')) {
    const m = /^\[ ( OK |FAIL|SKIP) \] ([^\s:]+)(?:: (.*))?$/.exec(line.trimEnd());
    if (!m) continue;
    const status = m[1] === ' OK ' ? 'passed' : m[1] === 'FAIL' ? 'failed' : 'skipped';
    results.set(m[2]!, { status, why: m[3] ?? '' });
  }
  return results;
}

const tree = ctestTree();
if ('why' in tree) console.warn(`SKIPPED C++ tests: ${tree.why}`);
const entries = 'dir' in tree ? ctestEntries(tree.dir) : [];

describe.skipIf(!('dir' in tree))('C++ tests (CTest)', () => {
  it('CTest lists the core tests', () => {
    expect(entries.map((e) => e.name)).toContain('core');
  });

  for (const entry of entries) {
    describe(entry.name, () => {
      const names = cppTestNames(entry);
      let run: SpawnSyncReturns<string>;
      let output = '';
      let results = new Map<string, CppResult>();

      beforeAll(() => {
        const env: NodeJS.ProcessEnv = { ...process.env, ...entry.env };
        if (entry.name === 'tensorrt' && !env.DINOV3_TRT_ONNX) {
          const fixed = conformanceOnnxForTensorRT(mkdtempSync(join(tmpdir(), 'dinov3-ctest-trt-')));
          if (fixed.rewritten) env.DINOV3_TRT_ONNX = fixed.path;
          else console.warn(`C++ TensorRT tests run on the original conformance ONNX: the rewrite failed (${fixed.why})`);
        }
        const [cmd, ...args] = entry.command;
        run = spawnSync(cmd!, args, { encoding: 'utf8', env, cwd: entry.cwd, timeout: entry.timeoutMs, maxBuffer: 64 << 20 });
        output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
        results = parseResults(run.stdout ?? '');
        const skipped = [...results].filter(([, r]) => r.status === 'skipped');
        const summary = /^\d+ tests, .*$/m.exec(run.stdout ?? '')?.[0] ?? `exit ${run.status}`;
        console.log(`CTest ${entry.name}: ${summary}${skipped.length ? `\n${skipped.map(([n, r]) => `  SKIPPED ${n}: ${r.why}`).join('\n')}` : ''}`);
      }, entry.timeoutMs + 60_000);

      it('exits as CTest expects (0: passed, SKIP_RETURN_CODE: nothing could run)', (ctx) => {
        expect(run.error, output).toBeUndefined();
        if (entry.skipCode !== undefined && run.status === entry.skipCode) ctx.skip(`the whole binary skipped: ${output.trim().split('\n').filter((l) => /SKIP/.test(l))[0] ?? ''}`);
        expect(run.status, output).toBe(0);
      });

      for (const name of names) {
        it(name, (ctx) => {
          const r = results.get(name);
          if (!r && entry.skipCode !== undefined && run.status === entry.skipCode) {
            ctx.skip(output.trim().split('\n').find((l) => /^SKIPPED/.test(l)) ?? 'the binary skipped before its tests');
          }
          if (!r) expect.fail(`${name} reported no result:\n${output}`);
          if (r.status === 'skipped') ctx.skip(r.why);
          expect(r.status, output).toBe('passed');
        });
      }
    });
  }
});
