/**
 * `dinov3 doctor`: the report's structure, the checks that run on this machine passing against
 * the shipped reference, the machine facts parsers, and a failing check (a corrupt or missing
 * reference) giving a non-zero exit code.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { capabilities } from '../lib';
import { main } from '../lib/cli/main';
import { BUNDLED_CASE, bundledPaths } from '../lib/conformance/bundled';
import { jetpackFor, jetsonFacts, parseTegraRelease } from '../lib/doctor/machine';
import { runDoctor } from '../lib/doctor/run';
import type { DoctorReport } from '../lib/doctor/types';
import { tinyModel } from './helpers/models';

const caps = capabilities();

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(['doctor', ...args], (s) => lines.push(s), (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

/** A copy of the shipped conformance subset that a test may damage. */
function copyOfReference(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dinov3-doctor-ref-'));
  const from = bundledPaths();
  const to = bundledPaths(dir);
  for (const k of ['model', 'photo', 'input', 'reference'] as const) {
    mkdirSync(join(to[k], '..'), { recursive: true });
    copyFileSync(from[k], to[k]);
  }
  return dir;
}

describe('dinov3 doctor', () => {
  it('reports the machine and every check; the CPU checks pass here, the rest say why they could not run', async () => {
    const r = await runDoctor();
    expect(r.tool).toBe('dinov3 doctor');
    expect(r.machine.cpu.cores).toBeGreaterThan(0);
    expect(r.machine.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(r.machine.modules.map((m) => m.name)).toEqual(['cuda kernels', 'tensorrt', 'capture (GStreamer)', 'nvmm zero-copy', 'png decoder (libdeflate)', 'jpeg decoder (libturbojpeg)']);
    for (const m of r.machine.modules) if (!m.available) expect(m.reason?.length).toBeGreaterThan(0);
    const byId = new Map(r.checks.map((c) => [c.id, c]));
    expect(byId.get('conformance.preprocess')?.status).toBe('passed');
    expect(byId.get('conformance.onnxruntime')).toMatchObject({ status: 'passed', measurements: { maxAbsDiff: expect.any(Number) } });
    expect((byId.get('conformance.onnxruntime')?.measurements?.maxAbsDiff as number) <= 1e-5).toBe(true);
    for (const id of ['cuda.similarity', 'cuda.kmeans', 'cuda.preprocess', 'cuda.non-finite']) {
      const c = byId.get(id);
      expect(c?.status).toBe(caps.cuda.available ? 'passed' : 'not-run');
      if (!caps.cuda.available) expect(c?.detail).toMatch(/CUDA is not available/);
    }
    if (!caps.tensorrt.available || !caps.cuda.available) expect(byId.get('conformance.tensorrt')).toMatchObject({ status: 'not-run', detail: expect.stringMatching(/not available/) });
    expect(['passed', 'not-run']).toContain(byId.get('capture.test')?.status);
    for (const c of r.checks) {
      expect(c.detail.length).toBeGreaterThan(0);
      expect(c.ms === undefined).toBe(c.status === 'not-run');
    }
    expect(r.summary.passed + r.summary.failed + r.summary.notRun).toBe(r.checks.length);
    expect(r.ok).toBe(r.summary.failed === 0);
    expect(r.ok).toBe(true);
  }, 120_000);

  it('writes the JSON and Markdown reports and exits 0 when every check that ran passed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-doctor-'));
    const { code, out } = await cli(['--report', join(dir, 'r.json'), '--markdown', join(dir, 'r.md')]);
    expect(code).toBe(0);
    expect(out).toMatch(/PASS {2}conformance\.onnxruntime/);
    expect(out).toMatch(/^OK: \d+ passed, 0 failed/m);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as DoctorReport;
    expect(report.ok).toBe(true);
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    expect(md).toMatch(/^# dinov3 doctor report/);
    expect(md).toMatch(/\| PASS \| ONNX Runtime reproduces the reference tokens \(`conformance.onnxruntime`\)/);
    expect(md.split('\n').filter((l) => l.startsWith('| PASS') || l.startsWith('| FAIL') || l.startsWith('| SKIP'))).toHaveLength(report.checks.length);
  }, 120_000);

  it('--model runs the user model on ONNX Runtime and compares TensorRT with it where TensorRT exists', async () => {
    const { code, out } = await cli(['--model', tinyModel({ depth: 1, seed: 5 }), '--json']);
    const r = JSON.parse(out) as DoctorReport;
    expect(code).toBe(r.ok ? 0 : 1);
    const ort = r.checks.find((c) => c.id === 'model.onnxruntime');
    expect(ort).toMatchObject({ status: 'passed', measurements: { nonFinite: 0, inferenceMs: expect.any(Number) } });
    expect(ort?.detail).toMatch(/tokens of dim \d+ at \d+x\d+, 0 NaN\/Inf/);
    const trt = r.checks.find((c) => c.id === 'model.tensorrt');
    if (!caps.tensorrt.available || !caps.cuda.available) expect(trt).toMatchObject({ status: 'not-run', detail: expect.stringMatching(/not available/) });
    else expect(trt?.status).toBe('passed');
  }, 120_000);

  it('a corrupt reference fails its check and the exit code is 1', async () => {
    const dir = copyOfReference();
    const path = bundledPaths(dir).reference;
    const tokens = new Float32Array(readFileSync(path).buffer.slice(0));
    // Perturb one patch token by 1e-3 (100 times the bar).
    const at = (1 + BUNDLED_CASE.registers + 7) * BUNDLED_CASE.dim + 3;
    tokens[at] = (tokens[at] as number) + 1e-3;
    writeFileSync(path, Buffer.from(tokens.buffer));
    const { code, out } = await cli(['--conformance', dir, '--json']);
    expect(code).toBe(1);
    const r = JSON.parse(out) as DoctorReport;
    expect(r.ok).toBe(false);
    const c = r.checks.find((x) => x.id === 'conformance.onnxruntime');
    expect(c?.status).toBe('failed');
    expect(c?.detail).toMatch(/max \|diff\| 1\.00e-3 against the reference tokens \(bar: <= 1e-5\)/);
    expect(r.checks.find((x) => x.id === 'conformance.preprocess')?.status).toBe('passed');
  }, 120_000);

  it('a missing reference file is a failed check, not a crash', async () => {
    const dir = copyOfReference();
    writeFileSync(bundledPaths(dir).input, Buffer.alloc(12));
    const { code, out } = await cli(['--conformance', dir]);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL {2}conformance\.data .*reference input .* holds 12 bytes; expected 602112/);
  }, 120_000);
});

describe('doctor machine facts', () => {
  it('reads the L4T release and maps it to JetPack', () => {
    expect(parseTegraRelease('# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025')).toBe('36.4.3');
    expect(parseTegraRelease('# R35 (release), REVISION: 2.1, GCID: 32413640, BOARD: t186ref')).toBe('35.2.1');
    expect(parseTegraRelease('not a release file')).toBeUndefined();
    expect(jetpackFor('36.4.3')).toBe('6.2');
    expect(jetpackFor('36.4.0')).toBe('6.1');
    expect(jetpackFor('36.3.0')).toBe('6.0');
    expect(jetpackFor('35.2.1')).toBe('5.1');
    expect(jetpackFor('99.1')).toBeUndefined();
  });

  it('finds a Jetson from the device tree and nv_tegra_release, and nothing elsewhere', () => {
    const root = mkdtempSync(join(tmpdir(), 'dinov3-jetson-root-'));
    expect(jetsonFacts(root)).toBeUndefined();
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'proc', 'device-tree'), { recursive: true });
    writeFileSync(join(root, 'etc', 'nv_tegra_release'), '# R36 (release), REVISION: 4.3, GCID: 1, BOARD: generic\n');
    writeFileSync(join(root, 'proc', 'device-tree', 'model'), 'NVIDIA Jetson AGX Orin Developer Kit\0');
    expect(jetsonFacts(root)).toEqual({ model: 'NVIDIA Jetson AGX Orin Developer Kit', l4t: '36.4.3', jetpack: '6.2' });
  });
});
